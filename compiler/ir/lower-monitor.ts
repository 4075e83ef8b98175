// Lowers what a protocol promises about its connections (lifecycle, exchanges, ring guarantees)
// into the monitor obligations of ir/monitor.ts: each obligation names its clause id, the role
// it blames and where the spec states it, so generated monitors report violations precisely.
import type { Span } from "../diagnostics/diagnostic.js";
import type { LifecycleModel, ProtocolModel, RingModel } from "../semantic/model.js";
import type { PeerGuard } from "../semantic/lifecycle-shapes.js";
import { xenbusStateValue } from "../semantic/xenbus-states.js";
import type { Expression } from "../syntax/ast.js";
import type {
  IrCorrelationObligation,
  IrDeadlineObligation,
  IrLifecycleObligation,
  IrLifecycleTransition,
  IrMonitorObligation,
  IrMonitorObligations,
  IrRingIndexObligation,
} from "./monitor.js";
import type { IrLayoutAbi, IrRecord } from "./protocol.js";

/** Spec texts by path, so spans can be written as "file:line:col" in generated code. */
export type SpecSources = ReadonlyMap<string, string>;

/** "file:line:col" (1-based) of a span's start; "file:?:?" when the text is not at hand. */
export function describeSpanLocation(span: Span, sources: SpecSources): string {
  const text = sources.get(span.file);
  if (text === undefined) return `${span.file}:?:?`;
  let line = 1;
  let lineStart = 0;
  const end = Math.min(span.start, text.length);
  for (let index = 0; index < end; index += 1) {
    if (text.charCodeAt(index) === 10) {
      line += 1;
      lineStart = index + 1;
    }
  }
  return `${span.file}:${line}:${span.start - lineStart + 1}`;
}

/** Names of every builtin called anywhere inside an expression (e.g. `unchanged`, `granted`). */
function collectCalledBuiltins(expression: unknown, into: Set<string>): Set<string> {
  if (expression === null || typeof expression !== "object") return into;
  if (Array.isArray(expression)) {
    for (const element of expression) collectCalledBuiltins(element, into);
    return into;
  }
  const node = expression as { readonly kind?: unknown };
  if (node.kind === "CallExpression") into.add((expression as { readonly callee: { readonly text: string } }).callee.text);
  for (const [key, value] of Object.entries(expression)) {
    if (key !== "span") collectCalledBuiltins(value, into);
  }
  return into;
}

/** The peer states a guard demands, when it demands any at top level (`peer in {...}` or a conjunction holding one). */
function peerStatesRequiredBy(guard: PeerGuard | undefined): readonly number[] {
  if (guard === undefined) return [];
  if (guard.kind === "peer-state-in") return guard.states.map((state) => xenbusStateValue(state) ?? -1).filter((value) => value >= 0);
  if (guard.kind === "all") {
    for (const operand of guard.operands) {
      const states = peerStatesRequiredBy(operand);
      if (states.length > 0) return states;
    }
  }
  return [];
}

function lowerLifecycle(protocol: ProtocolModel, lifecycle: LifecycleModel, sources: SpecSources): IrLifecycleObligation {
  const transitions: IrLifecycleTransition[] = [];
  for (const role of lifecycle.roles) {
    for (const shape of role.machine.transitions) {
      const from = xenbusStateValue(shape.from);
      const to = xenbusStateValue(shape.to);
      // Lifecycles over non-XenBus states have no store encoding the monitor could read.
      if (from === undefined || to === undefined) continue;
      const declared = role.transitions.find((transition) => transition.to === shape.to && (transition.from === "*" || transition.from.split(/,\s*/).includes(shape.from)));
      transitions.push({
        role: role.role,
        from,
        to,
        peerStates: peerStatesRequiredBy(shape.guard),
        requiredKeys: [...shape.publishes],
        span: declared?.span ?? role.span,
      });
    }
  }
  return {
    kind: "lifecycle",
    clauseId: `${protocol.name}.lifecycle`,
    location: describeSpanLocation(lifecycle.span, sources),
    transitions,
    initialState: xenbusStateValue("Initialising") ?? 1,
    closedState: xenbusStateValue("Closed") ?? 6,
    span: lifecycle.span,
  };
}

function geometryByLayout(ring: RingModel): { slotBytes: Record<IrLayoutAbi, number>; entries: Record<IrLayoutAbi, number> } {
  const slotBytes: Record<IrLayoutAbi, number> = { x86_64: 0, x86_32: 0 };
  const entries: Record<IrLayoutAbi, number> = { x86_64: 0, x86_32: 0 };
  for (const abi of ["x86_64", "x86_32"] as const) {
    const geometry = ring.geometry.get(abi);
    if (geometry === undefined) continue;
    slotBytes[abi] = geometry.slotSize;
    // The monitor is built for the smallest ring; larger orders are negotiated per connection.
    entries[abi] = geometry.byOrder[0]?.entries ?? 0;
  }
  return { slotBytes, entries };
}

/** Lowers the monitor obligations of one protocol; an empty list when it declares nothing a monitor checks. */
export function lowerMonitorObligations(protocol: ProtocolModel, records: readonly IrRecord[], sources: SpecSources): IrMonitorObligations {
  const obligations: IrMonitorObligation[] = [];
  if (protocol.lifecycle !== undefined) obligations.push(lowerLifecycle(protocol, protocol.lifecycle, sources));
  for (const ring of protocol.rings) {
    const ringGuarantees = protocol.guarantees.filter((guarantee) => guarantee.subjects.some((subject) => subject.kind === "ring" && subject.ring === ring.name));
    const requestGuarantees = protocol.guarantees.filter((guarantee) => guarantee.subjects.some((subject) => subject.kind === "message" && subject.message === ring.requestMessage));
    const indexClauseFor = (producerRole: string, direction: "requests" | "responses"): IrRingIndexObligation => {
      // A ring invariant owned by the producer (e.g. `req_prod - rsp_prod <= entries(ring)`) names the clause.
      const stated = ringGuarantees.find((guarantee) => guarantee.owner === producerRole && guarantee.statements.some((statement) => statement.kind === "invariant"));
      const span = stated?.span ?? ring.span;
      return {
        kind: "ring-index",
        clauseId: stated?.qualifiedId ?? `${protocol.name}.${ring.name}.${direction === "requests" ? "request_index" : "response_index"}`,
        location: describeSpanLocation(span, sources),
        channel: ring.name,
        producerRole,
        direction,
        span,
      };
    };
    obligations.push(indexClauseFor(ring.requestProducer, "requests"), indexClauseFor(ring.responseProducer, "responses"));

    const exchange = protocol.exchanges.find((candidate) => candidate.ring === ring.name);
    if (exchange === undefined) continue;
    const idPair = exchange.correlation[0];
    if (idPair === undefined) continue;
    const geometry = geometryByLayout(ring);
    const outstandingBound = exchange.outstandingLimit !== undefined ? Number(exchange.outstandingLimit) : Math.max(geometry.entries.x86_64, geometry.entries.x86_32);
    const unchanged = requestGuarantees.find((guarantee) =>
      guarantee.statements.some((statement) => statement.kind === "until" && collectCalledBuiltins(statement.condition as Expression, new Set()).has("unchanged")),
    );
    const correlation: IrCorrelationObligation = {
      kind: "correlation",
      clauseId: `${protocol.name}.${ring.name}`,
      location: describeSpanLocation(exchange.span, sources),
      channel: ring.name,
      requestRecord: exchange.requestMessage,
      responseRecord: exchange.responseMessage,
      requestIdField: idPair.requestField.split("."),
      responseIdField: idPair.responseField.split("."),
      outstandingBound: exchange.outstandingIsRingCapacity ? Math.min(...[geometry.entries.x86_64, geometry.entries.x86_32].filter((entries) => entries > 0)) : outstandingBound,
      requesterRole: ring.requestProducer,
      responderRole: ring.responseProducer,
      slotBytes: geometry.slotBytes,
      entries: geometry.entries,
      ...(unchanged === undefined ? {} : { slotUnchanged: { clauseId: unchanged.qualifiedId, location: describeSpanLocation(unchanged.span, sources), ownerRole: unchanged.owner } }),
      span: exchange.span,
    };
    obligations.push(correlation);

    if (exchange.deadlineNanoseconds !== undefined) {
      // A `within` guarantee over the request message names the clause; the exchange's own deadline otherwise.
      const stated = requestGuarantees.find((guarantee) => guarantee.owner === ring.responseProducer && guarantee.statements.some((statement) => statement.kind === "within"));
      const span = stated?.span ?? exchange.span;
      const deadline: IrDeadlineObligation = {
        kind: "deadline",
        clauseId: stated?.qualifiedId ?? `${protocol.name}.${ring.name}.deadline`,
        location: describeSpanLocation(span, sources),
        channel: ring.name,
        milliseconds: Number(exchange.deadlineNanoseconds / 1_000_000n),
        blamedRole: ring.responseProducer,
        span,
      };
      obligations.push(deadline);
    }
  }
  const clauseLocations: Record<string, string> = {};
  for (const record of records) for (const clause of record.clauses) clauseLocations[clause.clauseId] = describeSpanLocation(clause.span, sources);
  return { obligations, clauseLocations };
}
