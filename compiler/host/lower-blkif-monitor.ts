// Lowers the checked blkif protocol into the MonitorSpec the policer's monitor engine runs:
// ring geometry and message sizes from the layouts, the exchange's deadline, the lifecycle's
// transitions and published keys, and every clause with its owner and spec location. The code
// generator's general monitor emitter has not landed, so this lowering knows blkif's field
// offsets (reference/xen-abi.md §2, x86_64) and which of its guarantees each obligation checks.
import type { MonitorClause, MonitorLifecycleTransition, MonitorSpec } from "../../runtime/monitor/monitor-spec.js";
import { hostDiagnostics } from "../diagnostics/codes/host.js";
import { createDiagnostic } from "../diagnostics/definition.js";
import type { PhaseResult, Span } from "../diagnostics/diagnostic.js";
import type { LifecycleMachineShape } from "../semantic/lifecycle-shapes.js";
import type { ProtocolModel, SemanticModel } from "../semantic/model.js";
import { formatSourceLocation, locateSpanStart } from "./source-location.js";

/** blkif_request (x86_64): operation u8 @0, nr_segments u8 @1, id u64 @8, segments of 8 bytes from @24. */
const requestIdOffset = 8;
const firstSegmentOffset = 24;
const segmentBytes = 8;
const firstSectorOffsetInSegment = 4;
const lastSectorOffsetInSegment = 5;
const maximumSegmentsPerRequest = 11;
/** blkif_response: id u64 @0, operation u8 @8, status i16 @10; bytes 9 and 12..15 are padding. */
const responseIdOffset = 0;
const operationRead = 0;
const operationsKnown = new Set([0, 1, 2, 3, 5, 6]);
const sectorsPerFrame = 8;
/** The policer's own audit bounds, which the spec leaves to the host. */
const handshakeDeadlineMilliseconds = 2000;
const silenceMilliseconds = 5000;

function validateBlkifRequest(clauseId: string): (slot: Uint8Array) => string | null {
  return (slot) => {
    const operation = slot[0] ?? 0;
    const segments = slot[1] ?? 0;
    if (!operationsKnown.has(operation) || segments > maximumSegmentsPerRequest) return clauseId;
    for (let segment = 0; segment < segments; segment += 1) {
      const base = firstSegmentOffset + segment * segmentBytes;
      const first = slot[base + firstSectorOffsetInSegment] ?? 0;
      const last = slot[base + lastSectorOffsetInSegment] ?? 0;
      if (first > last || last >= sectorsPerFrame) return clauseId;
    }
    return null;
  };
}

function validateBlkifResponse(clauseId: string): (slot: Uint8Array) => string | null {
  return (slot) => {
    if ((slot[9] ?? 0) !== 0 || (slot[12] ?? 0) !== 0 || (slot[13] ?? 0) !== 0 || (slot[14] ?? 0) !== 0 || (slot[15] ?? 0) !== 0) return clauseId;
    return null;
  };
}

/** Lowers one role's lifecycle machine to numbered transitions; guards other than peer states are left to the product check. */
function lowerLifecycleMachine(machine: LifecycleMachineShape, stateValue: (name: string) => number): MonitorLifecycleTransition[] {
  const transitions: MonitorLifecycleTransition[] = [];
  for (const transition of machine.transitions) {
    const peerStates = transition.guard?.kind === "peer-state-in" ? transition.guard.states.map(stateValue) : [];
    const sources = transition.from === "*" ? machine.states.filter((state) => state !== transition.to) : [transition.from];
    for (const from of sources) transitions.push({ role: machine.role, from: stateValue(from), to: stateValue(transition.to), peerStates, requiredKeys: [...transition.publishes] });
  }
  return transitions;
}

export interface LoweredBlkifMonitor {
  readonly spec: MonitorSpec;
  /** Bytes of a request slot and a response record, and ring entries at page order 0. */
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly ringEntries: number;
  /** Keys each role publishes on each transition, for honest parties that follow the spec. */
  readonly publishedKeys: ReadonlyMap<string, readonly { readonly to: number; readonly keys: readonly string[] }[]>;
}

export function lowerBlkifMonitor(model: SemanticModel, sources: ReadonlyMap<string, string>): PhaseResult<LoweredBlkifMonitor | undefined> {
  const protocol: ProtocolModel | undefined = model.protocols.find((candidate) => candidate.name === "blkif");
  const ring = protocol?.rings[0];
  const exchange = protocol?.exchanges[0];
  const lifecycle = protocol?.lifecycle;
  const requestRecord = protocol?.records.find((record) => record.name === ring?.requestMessage);
  const responseRecord = protocol?.records.find((record) => record.name === ring?.responseMessage);
  const requestBytes = requestRecord?.layouts.get("x86_64")?.size;
  const responseBytes = responseRecord?.layouts.get("x86_64")?.size;
  const ringEntries = ring?.geometry.get("x86_64")?.byOrder[0]?.entries;
  if (protocol === undefined || ring === undefined || exchange === undefined || lifecycle === undefined || requestBytes === undefined || responseBytes === undefined || ringEntries === undefined) {
    const span: Span = protocol?.span ?? { file: model.files[0] ?? "<no files>", start: 0, end: 0 };
    return { value: undefined, diagnostics: [createDiagnostic(hostDiagnostics.PD7003, span, "the demo host needs protocol 'blkif' with a ring, an exchange and a lifecycle (from protocols/blkif.proto-desc)")] };
  }

  const clauses: MonitorClause[] = [];
  const where = (span: Span): string => formatSourceLocation(locateSpanStart(span, sources));
  /** A clause written as a named guarantee, or the structural clause at `fallback` when the spec has none. */
  const guaranteeClause = (name: string, fallback: { readonly id: string; readonly owner: string; readonly span: Span; readonly summary: string }): string => {
    const guarantee = protocol.guarantees.find((candidate) => candidate.id === name || candidate.id === `${protocol.name}.${name}`);
    const id = guarantee === undefined ? fallback.id : guarantee.qualifiedId;
    if (!clauses.some((clause) => clause.id === id)) {
      clauses.push(guarantee === undefined
        ? { id, ownerRole: fallback.owner, specSpan: where(fallback.span), summary: fallback.summary }
        : { id, ownerRole: guarantee.owner, specSpan: where(guarantee.span), summary: (guarantee.doc ?? fallback.summary).replace(/\s+/g, " ").trim() });
    }
    return id;
  };
  const structuralClause = (suffix: string, owner: string, span: Span, summary: string): string => guaranteeClause(`\0${suffix}`, { id: `${protocol.name}.${suffix}`, owner, span, summary });
  const requester = ring.requestProducer;
  const responder = ring.responseProducer;

  const stateValue = (name: string): number => lifecycle.states.find((state) => state.name === name)?.value ?? 0;
  const transitions = lifecycle.roles.flatMap((role) => lowerLifecycleMachine(role.machine, stateValue));
  const publishedKeys = new Map(lifecycle.roles.map((role) => [role.role, lowerLifecycleMachine(role.machine, stateValue).filter((transition) => transition.requiredKeys.length > 0).map((transition) => ({ to: transition.to, keys: transition.requiredKeys }))] as const));
  const grantsClause = guaranteeClause("segments_granted_until_unmapped", { id: `${protocol.name}.segments_granted`, owner: requester, span: exchange.span, summary: "segments stay granted while outstanding" });
  const frontendRate = protocol.guarantees.find((candidate) => candidate.id.endsWith("frontend_event_rate"));
  const rate = frontendRate?.statements.find((statement) => statement.kind === "rate");

  const spec: MonitorSpec = {
    protocol: protocol.name,
    version: protocol.version,
    roles: [requester, responder],
    clauses,
    rings: [
      {
        name: ring.name,
        slotBytes: Math.max(requestBytes, responseBytes),
        entries: ringEntries,
        responseBytes,
        requesterRole: requester,
        responderRole: responder,
        requestId: { offset: requestIdOffset, widthBytes: 8 },
        responseId: { offset: responseIdOffset, widthBytes: 8 },
        outstandingBound: ringEntries,
        requestIndexClauseId: guaranteeClause("request_index_sane", { id: `${protocol.name}.request_index`, owner: requester, span: ring.span, summary: "req_prod stays within a ring of rsp_prod" }),
        responseIndexClauseId: structuralClause("response_index", responder, ring.span, "rsp_prod never passes req_prod"),
        duplicateRequestIdClauseId: structuralClause(`${exchange.ring}.request_id_unique`, requester, exchange.span, "no two outstanding requests share an id"),
        outstandingBoundClauseId: structuralClause(`${exchange.ring}.outstanding_bound`, requester, exchange.span, "outstanding at most entries(io)"),
        unknownResponseIdClauseId: structuralClause(`${exchange.ring}.response_id_known`, responder, exchange.span, "every response answers an outstanding request (correlate)"),
        duplicateResponseIdClauseId: structuralClause(`${exchange.ring}.exactly_once`, responder, exchange.span, "each request is answered exactly once"),
        slotRewrittenClauseId: guaranteeClause("request_stable_until_consumed", { id: `${protocol.name}.slot_unchanged`, owner: requester, span: exchange.span, summary: "a published request is not rewritten" }),
        ...(exchange.deadlineNanoseconds === undefined ? {} : { deadline: { clauseId: guaranteeClause("answers_in_time", { id: `${protocol.name}.deadline`, owner: responder, span: exchange.span, summary: "answered within the deadline" }), milliseconds: Number(exchange.deadlineNanoseconds / 1_000_000n) } }),
        grants: {
          notGrantedClauseId: grantsClause,
          readOnlyClauseId: grantsClause,
          endedWhileOutstandingClauseId: grantsClause,
          stillMappedAtResponseClauseId: guaranteeClause("unmapped_before_response", { id: `${protocol.name}.segments_unmapped`, owner: responder, span: exchange.span, summary: "unmapped before the response" }),
          countReferences: (slot) => Math.min(slot[1] ?? 0, maximumSegmentsPerRequest),
          maximumReferences: maximumSegmentsPerRequest,
          referenceOffset: (index) => firstSegmentOffset + index * segmentBytes,
          requiresWritable: (slot) => slot[0] === operationRead,
          unmapBeforeResponse: true,
        },
        requestValidator: validateBlkifRequest(guaranteeClause("segments_within_frame", { id: `${protocol.name}.request_fields_in_range`, owner: requester, span: exchange.span, summary: "request fields in range" })),
        responseValidator: validateBlkifResponse(guaranteeClause("response_padding_zero", { id: `${protocol.name}.response_padding_zeroed`, owner: responder, span: exchange.span, summary: "response padding is zero" })),
        messagesAllowedInRequesterStates: { clauseId: structuralClause("data_when_connected", requester, lifecycle.span, "ring messages only when both sides are Connected (lifecycle `data when`)"), states: [stateValue("Connected")] },
      },
    ],
    lifecycle: {
      illegalTransitionClauseId: structuralClause("lifecycle", requester, lifecycle.span, "xenbus transitions follow the lifecycle"),
      missingKeysClauseId: structuralClause("lifecycle_publishes", requester, lifecycle.span, "a transition's published keys exist before its state"),
      initialState: stateValue("Initialising"),
      connectedState: stateValue("Connected"),
      closedState: stateValue("Closed"),
      handshakeDeadline: { clauseId: structuralClause("handshake_deadline", responder, lifecycle.span, "the handshake completes within the policer's bound"), milliseconds: handshakeDeadlineMilliseconds },
      transitions,
    },
    ...(frontendRate === undefined || rate === undefined || rate.kind !== "rate"
      ? {}
      : { eventFlood: { clauseId: guaranteeClause(frontendRate.id.slice(frontendRate.id.lastIndexOf(".") + 1), { id: frontendRate.qualifiedId, owner: frontendRate.owner, span: frontendRate.span, summary: "event rate" }), maximumEvents: Number(rate.limit), windowMilliseconds: Number(rate.windowNanoseconds / 1_000_000n) } }),
    storeQuotaClauseId: structuralClause("store_quota", requester, lifecycle.span, "a party stays within its xenstore quota"),
    silence: { clauseId: structuralClause("not_silent", requester, lifecycle.span, "someone makes progress before the handshake ends"), milliseconds: silenceMilliseconds },
  };
  return { value: { spec, requestBytes, responseBytes, ringEntries, publishedKeys }, diagnostics: [] };
}
