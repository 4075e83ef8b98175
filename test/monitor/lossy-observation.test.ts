// The monitor engine reading a ring only now and then, as it does when parties suppress
// notifications: slots reused before it looks are counted as unobserved and never judged, the
// index guarantees are judged against the current indices (and still caught), an id is
// correlated exactly while nothing unobserved is pending and best-effort otherwise, the
// deadline is suspended until the ring is idle again, and all of it allocates nothing.

import { describe, expect, it } from "vitest";
import { fewestMinorCollectionsDuring, totalMinorCollectionsDuring } from "../support/allocation.js";
import { ConnectionMonitor, type MonitorSpec, type Violation } from "../../runtime/monitor/index.js";
import { SharedRingBackend, SharedRingFrontend, computeSharedRingBytes } from "../../runtime/ring/index.js";
import { VirtualClock } from "../../runtime/time/index.js";

const slotBytes = 16;
const entries = 128;
const deadlineMilliseconds = 100;
const clause = (id: string, ownerRole: string) => ({ id, ownerRole, specSpan: "specs/echo.proto-desc:1:1", summary: id });
const echoSpec: MonitorSpec = {
  protocol: "echo",
  version: 1,
  roles: ["client", "server"],
  clauses: [clause("echo.request_index", "client"), clause("echo.response_index", "server"), clause("echo.unique", "client"), clause("echo.bound", "client"), clause("echo.known", "server"), clause("echo.once", "server"), clause("echo.unchanged", "client"), clause("echo.in_time", "server"), clause("echo.even", "client")],
  rings: [
    {
      name: "echo",
      slotBytes,
      entries,
      responseBytes: 8,
      requesterRole: "client",
      responderRole: "server",
      requestId: { offset: 0, widthBytes: 4 },
      responseId: { offset: 0, widthBytes: 4 },
      outstandingBound: entries,
      requestIndexClauseId: "echo.request_index",
      responseIndexClauseId: "echo.response_index",
      duplicateRequestIdClauseId: "echo.unique",
      outstandingBoundClauseId: "echo.bound",
      unknownResponseIdClauseId: "echo.known",
      duplicateResponseIdClauseId: "echo.once",
      slotRewrittenClauseId: "echo.unchanged",
      deadline: { clauseId: "echo.in_time", milliseconds: deadlineMilliseconds },
      // A request's word at offset 4 must be even: a response's bytes there (odd) would fail it.
      requestValidator: (slot) => ((slot[4] ?? 0) % 2 === 0 ? null : "echo.even"),
    },
  ],
  lifecycle: { illegalTransitionClauseId: "echo.bound", missingKeysClauseId: "echo.bound", transitions: [], initialState: 4, connectedState: 4, closedState: 6 },
};

function createEchoRing() {
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const client = SharedRingFrontend.initialize(memory, slotBytes);
  const server = SharedRingBackend.attach(memory, slotBytes);
  const clock = new VirtualClock();
  const violations: Violation[] = [];
  const monitor = new ConnectionMonitor({
    spec: echoSpec,
    parties: [
      { role: "client", domainId: 1, directory: "/c" },
      { role: "server", domainId: 2, directory: "/s" },
    ],
    ringMemories: [memory],
    clock,
    grants: { isGrantedTo: () => true, isReadOnly: () => false },
    onViolation: (violation) => violations.push(violation),
  });
  const request = new Uint8Array(slotBytes);
  const requestView = new DataView(request.buffer);
  const response = new Uint8Array(slotBytes);
  const responseView = new DataView(response.buffer);
  const copy = new Uint8Array(slotBytes);
  const copyView = new DataView(copy.buffer);
  const send = (id: number): void => {
    requestView.setUint32(0, id, true);
    requestView.setUint32(4, 2, true);
    if (!client.produceRequest(request)) throw new Error("ring full");
    client.pushRequests();
  };
  /** Answers every waiting request with its own id; the response's word at offset 4 is odd. */
  const answerAll = (): number => {
    let answered = 0;
    server.beginRequestBatch();
    while (server.consumeRequestInto(copy)) {
      responseView.setUint32(0, copyView.getUint32(0, true), true);
      responseView.setUint32(4, 1, true);
      server.produceResponse(response);
      answered += 1;
    }
    server.pushResponses();
    return answered;
  };
  const collectAll = (): void => {
    client.beginResponseBatch();
    while (client.consumeResponseInto(copy));
  };
  const writeIndex = (byteOffset: number, value: number): void => new DataView(memory.buffer).setUint32(byteOffset, value >>> 0, true);
  const summary = () => violations.map((violation) => `${violation.clauseId} -> ${violation.blamedRole}`);
  return { memory, client, server, clock, monitor, violations, send, answerAll, collectAll, writeIndex, summary };
}

describe("lossy observation of a ring", () => {
  it("never reads a request slot below rsp_prod: an answered request is unobserved, not judged from the response bytes", () => {
    const ring = createEchoRing();
    ring.send(1);
    ring.answerAll();
    ring.monitor.scanRings();
    expect(ring.summary()).toEqual([]);
    expect(ring.monitor.countObservations()).toEqual({ observedRequests: 0, unobservedRequests: 1, observedResponses: 1, unobservedResponses: 0 });
    expect(ring.monitor.listOutstandingRequestIds()).toEqual([]);
  });

  it("lets req_prod run any distance between two looks while it stays within a ring of the current rsp_prod", () => {
    const ring = createEchoRing();
    let id = 1;
    for (let round = 0; round < 5; round += 1) {
      for (let count = 0; count < entries; count += 1) ring.send(id++);
      ring.answerAll();
      ring.collectAll();
    }
    ring.send(id++);
    ring.monitor.scanRings();
    expect(ring.summary()).toEqual([]);
    const counted = ring.monitor.countObservations();
    expect(counted.observedRequests + counted.unobservedRequests).toBe(5 * entries + 1);
    expect(counted.observedRequests).toBe(1);
    expect(ring.monitor.listOutstandingRequestIds()).toEqual([String(id - 1)]);
  });

  it("still blames req_prod more than a ring ahead of the current rsp_prod on the requester", () => {
    const ring = createEchoRing();
    ring.send(1);
    ring.answerAll();
    ring.writeIndex(0, 1 + entries + 1);
    ring.monitor.scanRings();
    expect(ring.summary()).toEqual(["echo.request_index -> client"]);
  });

  it("still blames rsp_prod past req_prod on the responder", () => {
    const ring = createEchoRing();
    ring.send(1);
    ring.writeIndex(8, 2);
    ring.monitor.scanRings();
    expect(ring.summary()).toEqual(["echo.response_index -> server"]);
  });

  it("blames an unknown response id exactly while nothing unobserved is pending", () => {
    const ring = createEchoRing();
    ring.send(1);
    ring.monitor.scanRings();
    // The server answers id 99 instead of 1.
    ring.server.beginRequestBatch();
    ring.server.consumeRequest();
    const response = new Uint8Array(slotBytes);
    new DataView(response.buffer).setUint32(0, 99, true);
    ring.server.produceResponse(response);
    ring.server.pushResponses();
    ring.monitor.scanRings();
    expect(ring.summary()).toEqual(["echo.known -> server"]);
  });

  it("matches an answer before the requester's reuse of its id within one look (no duplicate request id)", () => {
    const ring = createEchoRing();
    ring.send(7);
    ring.monitor.scanRings();
    ring.answerAll();
    ring.collectAll();
    ring.send(7);
    ring.monitor.scanRings();
    expect(ring.summary()).toEqual([]);
    expect(ring.monitor.listOutstandingRequestIds()).toEqual(["7"]);
  });

  it("suspends the deadline while an unobserved response may have answered a request, and judges it again once the ring was idle", () => {
    const ring = createEchoRing();
    ring.send(1);
    ring.monitor.scanRings();
    ring.answerAll();
    ring.collectAll();
    // A whole ring of new requests reuses the answer's slot before the monitor looks.
    for (let id = 2; id < 2 + entries; id += 1) ring.send(id);
    ring.monitor.scanRings();
    expect(ring.monitor.countObservations().unobservedResponses).toBe(1);
    ring.clock.advanceBy(deadlineMilliseconds + 1);
    ring.monitor.tick();
    expect(ring.summary()).toEqual([]);
    ring.answerAll();
    ring.collectAll();
    ring.monitor.scanRings();
    expect(ring.monitor.listOutstandingRequestIds()).toEqual([]);
    ring.send(500);
    ring.monitor.scanRings();
    ring.clock.advanceBy(deadlineMilliseconds + 1);
    ring.monitor.tick();
    expect(ring.summary()).toEqual(["echo.in_time -> server"]);
  });

  it("allocates nothing while most slots are reused before it looks", async () => {
    const ring = createEchoRing();
    let id = 0;
    let batch = 0;
    const runBatch = (allocatePerMessage: boolean, sink: unknown[]): void => {
      for (let count = 0; count < 48; count += 1) {
        ring.send(id++);
        if (allocatePerMessage) sink[0] = [id, id, id, id, id, id, id, id, id, id];
      }
      ring.answerAll();
      ring.collectAll();
      // One look every third batch: the rest is unobserved.
      batch += 1;
      if (batch % 3 === 0) ring.monitor.audit();
    };
    const sink: unknown[] = [];
    for (let warm = 0; warm < 300; warm += 1) runBatch(false, sink);
    const quiet = await fewestMinorCollectionsDuring(() => {
      for (let count = 0; count < 2000; count += 1) runBatch(false, sink);
    });
    const noisy = await totalMinorCollectionsDuring(() => {
      for (let count = 0; count < 2000; count += 1) runBatch(true, sink);
    });
    expect(ring.summary()).toEqual([]);
    expect(ring.monitor.countObservations().unobservedRequests).toBeGreaterThan(0);
    expect(quiet).toBe(0);
    expect(noisy).toBeGreaterThan(0);
  });
});
