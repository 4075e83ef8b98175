// A hand-written blkif MonitorSpec (numbers from reference/xen-abi.md §2 and §5) and its
// request/response encoders: the baseline the monitor benchmark compares the generated spec
// (drivers/blk/generated/blkif.ts) with. Nothing else uses it; the policer's tests police
// with the generated spec.

import type { MonitorSpec } from "../../runtime/monitor/index.js";

export const requestBytes = 112;
export const responseBytes = 16;
export const ringEntries = 32;
export const maximumSegments = 11;
export const XenbusState = { initialising: 1, initWait: 2, initialised: 3, connected: 4, closing: 5, closed: 6 } as const;

const specFile = "specs/blkif.proto-desc";
const clause = (id: string, ownerRole: string, line: number, summary: string) => ({ id, ownerRole, specSpan: `${specFile}:${line}:3`, summary });

/** Request fields that must be in range (xen-abi.md §2): operation, nr_segments, sector bounds. */
function validateRequest(slot: Uint8Array): string | null {
  const operation = slot[0] ?? 0;
  const segments = slot[1] ?? 0;
  if (operation > 6 || operation === 4 || segments > maximumSegments) return "blkif.request_fields_in_range";
  for (let segment = 0; segment < segments; segment += 1) {
    const first = slot[24 + segment * 8 + 4] ?? 0;
    const last = slot[24 + segment * 8 + 5] ?? 0;
    if (first > last || last > 7) return "blkif.request_fields_in_range";
  }
  return null;
}

/** Response padding (byte 9 and bytes 12..15) must be zero (XSA-216); status in {0, -1, -2}. */
function validateResponse(slot: Uint8Array): string | null {
  if ((slot[9] ?? 0) !== 0 || (slot[12] ?? 0) !== 0 || (slot[13] ?? 0) !== 0 || (slot[14] ?? 0) !== 0 || (slot[15] ?? 0) !== 0) return "blkif.response_padding_zeroed";
  const status = ((slot[10] ?? 0) | ((slot[11] ?? 0) << 8)) << 16 >> 16;
  if (status > 0 || status < -2) return "blkif.response_padding_zeroed";
  return null;
}

const closingTransitions = (role: string) => [
  ...[1, 2, 3, 4, 5].map((from) => ({ role, from, to: XenbusState.closed, peerStates: [], requiredKeys: [] })),
  { role, from: XenbusState.connected, to: XenbusState.closing, peerStates: [], requiredKeys: [] },
  { role, from: XenbusState.closed, to: XenbusState.initialising, peerStates: [], requiredKeys: [] },
];

export const blkifMonitorSpec: MonitorSpec = {
  protocol: "blkif",
  version: 1,
  roles: ["frontend", "backend"],
  clauses: [
    clause("blkif.request_index", "frontend", 40, "req_prod never runs more than the ring size ahead"),
    clause("blkif.response_index", "backend", 41, "rsp_prod never passes req_prod"),
    clause("blkif.request_id_unique", "frontend", 44, "no two outstanding requests share an id"),
    clause("blkif.outstanding_bound", "frontend", 45, "at most 32 requests in flight"),
    clause("blkif.response_id_known", "backend", 46, "every response answers an outstanding request"),
    clause("blkif.response_exactly_once", "backend", 47, "no request is answered twice"),
    clause("blkif.slot_unchanged", "frontend", 50, "a published request is not rewritten"),
    clause("blkif.deadline", "backend", 52, "a request is answered within 1000 ms"),
    clause("blkif.segments_granted", "frontend", 55, "each segment is granted to the backend"),
    clause("blkif.read_segments_writable", "frontend", 56, "segments of a read are writable"),
    clause("blkif.segments_kept", "frontend", 57, "grants stay while the request is outstanding"),
    clause("blkif.segments_unmapped", "backend", 58, "the backend unmaps before responding, unless both ends use persistent grants"),
    clause("blkif.request_fields_in_range", "frontend", 60, "operation, nr_segments and sectors in range"),
    clause("blkif.response_padding_zeroed", "backend", 61, "response padding is zero, status known"),
    clause("blkif.requests_when_connected", "frontend", 63, "requests only in Connected"),
    clause("blkif.lifecycle", "frontend", 70, "xenbus transitions follow the handshake"),
    clause("blkif.keys_before_state", "frontend", 71, "keys are published before the state that needs them"),
    clause("blkif.handshake_deadline", "backend", 72, "the handshake finishes within 2000 ms"),
    clause("blkif.event_budget", "frontend", 75, "no notification storm without ring progress"),
    clause("blkif.store_quota", "frontend", 76, "a party stays within its xenstore quota"),
    clause("blkif.not_silent", "frontend", 77, "someone makes progress before the handshake ends"),
  ],
  rings: [
    {
      name: "ring",
      slotBytes: requestBytes,
      entries: ringEntries,
      responseBytes,
      requesterRole: "frontend",
      responderRole: "backend",
      requestId: { offset: 8, widthBytes: 8 },
      responseId: { offset: 0, widthBytes: 8 },
      outstandingBound: ringEntries,
      requestIndexClauseId: "blkif.request_index",
      responseIndexClauseId: "blkif.response_index",
      duplicateRequestIdClauseId: "blkif.request_id_unique",
      outstandingBoundClauseId: "blkif.outstanding_bound",
      unknownResponseIdClauseId: "blkif.response_id_known",
      duplicateResponseIdClauseId: "blkif.response_exactly_once",
      slotRewrittenClauseId: "blkif.slot_unchanged",
      deadline: { clauseId: "blkif.deadline", milliseconds: 1000 },
      grants: {
        notGrantedClauseId: "blkif.segments_granted",
        readOnlyClauseId: "blkif.read_segments_writable",
        endedWhileOutstandingClauseId: "blkif.segments_kept",
        stillMappedAtResponseClauseId: "blkif.segments_unmapped",
        countReferences: (slot) => Math.min(slot[1] ?? 0, maximumSegments),
        maximumReferences: maximumSegments,
        referenceOffset: (index) => 24 + index * 8,
        requiresWritable: (slot) => slot[0] === 0,
        unmapBeforeResponse: true,
        // Persistent grants (both ends publish feature-persistent = 1) stay mapped across responses.
        unmapExemptions: [
          [
            { role: "frontend", key: "feature-persistent", expected: true, valueWhenAbsent: false },
            { role: "backend", key: "feature-persistent", expected: true, valueWhenAbsent: false },
          ],
        ],
      },
      requestValidator: validateRequest,
      responseValidator: validateResponse,
      messagesAllowedInRequesterStates: { clauseId: "blkif.requests_when_connected", states: [XenbusState.connected] },
    },
  ],
  lifecycle: {
    illegalTransitionClauseId: "blkif.lifecycle",
    missingKeysClauseId: "blkif.keys_before_state",
    initialState: XenbusState.initialising,
    connectedState: XenbusState.connected,
    closedState: XenbusState.closed,
    handshakeDeadline: { clauseId: "blkif.handshake_deadline", milliseconds: 2000 },
    transitions: [
      { role: "backend", from: 1, to: 2, peerStates: [], requiredKeys: ["feature-flush-cache"] },
      { role: "frontend", from: 1, to: 3, peerStates: [2], requiredKeys: ["ring-ref", "event-channel", "protocol"] },
      { role: "backend", from: 2, to: 4, peerStates: [3], requiredKeys: ["sectors", "info", "sector-size"] },
      { role: "frontend", from: 3, to: 4, peerStates: [4], requiredKeys: [] },
      ...closingTransitions("frontend"),
      ...closingTransitions("backend"),
    ],
  },
  eventFlood: { clauseId: "blkif.event_budget", maximumEvents: 64, windowMilliseconds: 100 },
  storeQuotaClauseId: "blkif.store_quota",
  silence: { clauseId: "blkif.not_silent", milliseconds: 5000 },
};

/** Encodes a blkif request (x86_64 layout) into a 112-byte buffer. */
export function encodeRequest(operation: number, id: bigint, sector: bigint, grantReferences: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(requestBytes);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, operation);
  view.setUint8(1, grantReferences.length);
  view.setBigUint64(8, id, true);
  view.setBigUint64(16, sector, true);
  grantReferences.forEach((reference, index) => {
    view.setUint32(24 + index * 8, reference, true);
    view.setUint8(24 + index * 8 + 4, 0);
    view.setUint8(24 + index * 8 + 5, 7);
  });
  return bytes;
}

export function encodeResponse(id: bigint, operation: number, status: number): Uint8Array {
  const bytes = new Uint8Array(responseBytes);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, id, true);
  view.setUint8(8, operation);
  view.setInt16(10, status, true);
  return bytes;
}

