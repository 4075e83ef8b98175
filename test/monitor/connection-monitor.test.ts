// The monitor engine on its own, over a bare ring with a netif-like geometry (32-bit ids,
// 16-byte slots, 128 entries): honest traffic across the 2^32 index wrap is never flagged,
// and index overflow right at the wrap is blamed on the right role.

import { describe, expect, it } from "vitest";
import { ConnectionMonitor, type MonitorSpec, type Violation } from "../../runtime/monitor/index.js";
import { SharedRingBackend, SharedRingFrontend, computeSharedRingBytes } from "../../runtime/ring/index.js";
import { VirtualClock } from "../../runtime/time/index.js";

const slotBytes = 16;
const clause = (id: string, ownerRole: string) => ({ id, ownerRole, specSpan: `specs/echo.proto-desc:1:1`, summary: id });
const echoSpec: MonitorSpec = {
  protocol: "echo",
  version: 2,
  roles: ["client", "server"],
  clauses: [clause("echo.request_index", "client"), clause("echo.response_index", "server"), clause("echo.unique", "client"), clause("echo.bound", "client"), clause("echo.known", "server"), clause("echo.once", "server"), clause("echo.unchanged", "client")],
  rings: [
    {
      name: "echo",
      slotBytes,
      entries: 128,
      responseBytes: 8,
      requesterRole: "client",
      responderRole: "server",
      requestId: { offset: 0, widthBytes: 4 },
      responseId: { offset: 0, widthBytes: 4 },
      outstandingBound: 128,
      requestIndexClauseId: "echo.request_index",
      responseIndexClauseId: "echo.response_index",
      duplicateRequestIdClauseId: "echo.unique",
      outstandingBoundClauseId: "echo.bound",
      unknownResponseIdClauseId: "echo.known",
      duplicateResponseIdClauseId: "echo.once",
      slotRewrittenClauseId: "echo.unchanged",
    },
  ],
  lifecycle: { illegalTransitionClauseId: "echo.bound", missingKeysClauseId: "echo.bound", transitions: [], initialState: 4, connectedState: 4, closedState: 6 },
};

function createEchoRing(startIndex: number) {
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const client = SharedRingFrontend.initialize(memory, slotBytes, startIndex);
  const server = SharedRingBackend.attach(memory, slotBytes, startIndex);
  const violations: Violation[] = [];
  const monitor = new ConnectionMonitor({
    spec: echoSpec,
    parties: [
      { role: "client", domainId: 1, directory: "/c" },
      { role: "server", domainId: 2, directory: "/s" },
    ],
    ringMemories: [memory],
    clock: new VirtualClock(),
    grants: { isGrantedTo: () => false, isReadOnly: () => true },
    onViolation: (violation) => violations.push(violation),
  });
  return { memory, client, server, monitor, violations };
}

describe("ConnectionMonitor on a 128-entry ring with 32-bit ids", () => {
  it("accepts honest traffic across the 2^32 index wrap", () => {
    const ring = createEchoRing(0xffffff00);
    const message = new Uint8Array(slotBytes);
    const view = new DataView(message.buffer);
    const copy = new Uint8Array(slotBytes);
    for (let round = 0; round < 10; round += 1) {
      for (let index = 0; index < 100; index += 1) {
        view.setUint32(0, round * 1000 + index, true);
        view.setUint32(8, 0xdeadbeef, true);
        ring.client.produceRequest(message);
      }
      ring.client.pushRequests();
      ring.monitor.scanRings();
      ring.monitor.audit();
      ring.server.beginRequestBatch();
      while (ring.server.consumeRequestInto(copy)) ring.server.produceResponse(copy.subarray(0, 8));
      ring.server.pushResponses();
      ring.monitor.scanRings();
      ring.client.beginResponseBatch();
      while (ring.client.consumeResponseInto(copy));
    }
    expect(ring.violations).toEqual([]);
    expect(ring.monitor.listOutstandingRequestIds()).toEqual([]);
  });

  it("takes requests and responses published with suppressed notifications at the grant operations that follow them", () => {
    const ring = createEchoRing(0);
    const message = new Uint8Array(slotBytes);
    const view = new DataView(message.buffer);
    const copy = new Uint8Array(slotBytes);
    // The client publishes three requests and sends no event (the server is still busy).
    for (const id of [7, 8, 9]) {
      view.setUint32(0, id, true);
      ring.client.produceRequest(message);
    }
    ring.client.pushRequests();
    // The server maps the first request's data before answering: the monitor reads the requests now, before any response overwrites a slot.
    ring.monitor.observeHypervisorOperation({ kind: "grant-map", mapper: 2, granter: 1, reference: 3 });
    expect(ring.monitor.listOutstandingRequestIds()).toEqual(["7", "8", "9"]);
    ring.server.beginRequestBatch();
    while (ring.server.consumeRequestInto(copy)) ring.server.produceResponse(copy.subarray(0, 8));
    ring.server.pushResponses();
    ring.monitor.observeHypervisorOperation({ kind: "grant-unmap", mapper: 2, granter: 1, reference: 3 });
    // The server sends no event either; the client ends its grant only after taking the responses.
    ring.client.beginResponseBatch();
    while (ring.client.consumeResponseInto(copy));
    ring.monitor.observeHypervisorOperation({ kind: "grant-end-access", granter: 1, reference: 3 });
    expect(ring.monitor.listOutstandingRequestIds()).toEqual([]);
    expect(ring.violations).toEqual([]);
  });

  it("blames the client when req_prod jumps more than the ring ahead across the wrap", () => {
    const ring = createEchoRing(0xfffffff0);
    new DataView(ring.memory.buffer).setUint32(0, 0x00000100 + 1, true);
    ring.monitor.scanRings();
    expect(ring.violations.map((violation) => [violation.clauseId, violation.blamedRole, violation.protocol])).toEqual([["echo.request_index", "client", "echo@2"]]);
  });

  it("blames the server for a response published before any request", () => {
    const ring = createEchoRing(0xffffffff);
    new DataView(ring.memory.buffer).setUint32(8, 0, true);
    ring.monitor.scanRings();
    expect(ring.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([["echo.response_index", "server"]]);
  });

  it("refuses parties given out of the spec's role order", () => {
    expect(() => new ConnectionMonitor({ spec: echoSpec, parties: [{ role: "server", domainId: 2, directory: "/s" }, { role: "client", domainId: 1, directory: "/c" }], ringMemories: [new Uint8Array(4096)], clock: new VirtualClock(), grants: { isGrantedTo: () => true, isReadOnly: () => false } })).toThrow(RangeError);
  });
});
