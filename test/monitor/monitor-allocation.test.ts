// The monitor's per-message work allocates nothing: 100 000 requests and responses through a
// ring checked with the generated blkif MonitorSpec, each batch scanned by the monitor
// (correlation, generated validators, grant checks), trigger no young-generation collection,
// while the same loop with one small allocation per message does (which shows the detector works).
// A second suite adds a notification per message (the per-role event budgets), a clock tick per
// batch (responder progress, deadlines, handshake) and the generated padding clause over nested
// records and variants (test/monitor/generated/padded.ts).

import { describe, expect, it } from "vitest";
import { fewestMinorCollectionsDuring, totalMinorCollectionsDuring } from "../support/allocation.js";
import { ConnectionMonitor } from "../../runtime/monitor/index.js";
import { SharedRingBackend, SharedRingFrontend, computeSharedRingBytes } from "../../runtime/ring/index.js";
import { VirtualClock } from "../../runtime/time/index.js";
import { Operation, createRequest as createBlkifRequest, encodeRequestX86_64 as encodeBlkifRequest, layoutTables as blkifLayouts, monitorSpecX86_64 as generatedBlkifSpec } from "../../drivers/blk/generated/blkif.js";
import { Kind, createRequest as createPaddedRequest, encodeRequestX86_64 as encodePaddedRequest, layoutTables as paddedLayouts, monitorSpecX86_64 as paddedSpec } from "./generated/padded.js";
import type { MonitorSpec } from "../../runtime/monitor/index.js";
import { describeBlkifWire } from "../policer/blkif-wire.js";

const blkif = describeBlkifWire("x86_64");
const { requestBytes } = blkif;

function createMonitoredRing() {
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const frontend = SharedRingFrontend.initialize(memory, requestBytes);
  const backend = SharedRingBackend.attach(memory, requestBytes);
  const clock = new VirtualClock();
  const violations: string[] = [];
  const monitor = new ConnectionMonitor({
    spec: blkif.spec,
    parties: [
      { role: "frontend", domainId: 1, directory: "/fe" },
      { role: "backend", domainId: 2, directory: "/be" },
    ],
    ringMemories: [memory],
    clock,
    grants: { isGrantedTo: () => true, isReadOnly: () => false },
    onViolation: (violation) => violations.push(violation.clauseId),
  });
  monitor.states[0] = 4;
  monitor.states[1] = 4;
  // Requests carry two segments so the grant clauses run too; ids are patched in place.
  const request = blkif.encodeRequest(0, 0, [10, 11]);
  const requestView = new DataView(request.buffer);
  const response = blkif.encodeResponse(0, 0, 0);
  const responseView = new DataView(response.buffer);
  const responseRecord = response;
  const copy = new Uint8Array(requestBytes);
  const copyView = new DataView(copy.buffer);
  let nextId = 0;
  const runBatch = (allocatePerMessage: boolean, sink: unknown[]): void => {
    for (let message = 0; message < 16; message += 1) {
      requestView.setUint32(8, nextId++, true);
      frontend.produceRequest(request);
    }
    frontend.pushRequests();
    monitor.scanRings();
    backend.beginRequestBatch();
    while (backend.consumeRequestInto(copy)) {
      responseView.setUint32(0, copyView.getUint32(8, true), true);
      backend.produceResponse(responseRecord);
      // About a hundred bytes per message, so the control fills the young generation in every attempt
      // even after V8 has grown it (a 16-byte object per message did not always, under load).
      if (allocatePerMessage) sink[0] = [nextId, nextId, nextId, nextId, nextId, nextId, nextId, nextId, nextId, nextId];
    }
    backend.pushResponses();
    monitor.scanRings();
    frontend.beginResponseBatch();
    while (frontend.consumeResponseInto(copy));
  };
  return { monitor, violations, runBatch };
}

describe("monitor allocation", () => {
  it("checks 100 000 messages without a minor collection", async () => {
    const ring = createMonitoredRing();
    const sink: unknown[] = [];
    for (let warm = 0; warm < 500; warm += 1) ring.runBatch(false, sink);
    const quiet = await fewestMinorCollectionsDuring(() => {
      for (let batch = 0; batch < 6250; batch += 1) ring.runBatch(false, sink);
    });
    const noisy = await totalMinorCollectionsDuring(() => {
      for (let batch = 0; batch < 6250; batch += 1) ring.runBatch(true, sink);
    });
    expect(ring.violations).toEqual([]);
    expect(ring.monitor.listOutstandingRequestIds()).toEqual([]);
    expect(quiet).toBe(0);
    expect(noisy).toBeGreaterThan(0);
  });
});

/** A ring policed by a generated spec; `request` is a template whose u32 id sits at `idOffset` and is echoed at `responseIdOffset`. */
function createGeneratedRing(spec: MonitorSpec, request: Uint8Array, idOffset: number, responseBytesOfSpec: number, responseIdOffset: number) {
  const ring = spec.rings[0];
  if (ring === undefined) throw new Error("the spec monitors no ring");
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const frontend = SharedRingFrontend.initialize(memory, ring.slotBytes);
  const backend = SharedRingBackend.attach(memory, ring.slotBytes);
  const clock = new VirtualClock();
  const violations: string[] = [];
  const monitor = new ConnectionMonitor({
    spec,
    parties: [
      { role: "frontend", domainId: 1, directory: "/fe" },
      { role: "backend", domainId: 2, directory: "/be" },
    ],
    ringMemories: [memory],
    clock,
    grants: { isGrantedTo: () => true, isReadOnly: () => false },
    onViolation: (violation) => violations.push(violation.clauseId),
  });
  monitor.observeHypervisorOperation({ kind: "evtchn-alloc-unbound", domain: 1, port: 5, remote: 2 });
  monitor.observeHypervisorOperation({ kind: "evtchn-bind-interdomain", domain: 2, port: 6, remote: 1 });
  monitor.states[0] = 4;
  monitor.states[1] = 4;
  const frontendNotify = { kind: "evtchn-send", domain: 1, port: 5 } as const;
  const backendNotify = { kind: "evtchn-send", domain: 2, port: 6 } as const;
  const requestView = new DataView(request.buffer);
  const response = new Uint8Array(responseBytesOfSpec);
  const responseView = new DataView(response.buffer);
  const copy = new Uint8Array(ring.slotBytes);
  const copyView = new DataView(copy.buffer);
  let nextId = 0;
  const runBatch = (allocatePerMessage: boolean, sink: unknown[]): void => {
    for (let message = 0; message < 16; message += 1) {
      requestView.setUint32(idOffset, nextId++, true);
      frontend.produceRequest(request);
      frontend.pushRequests();
      monitor.observeHypervisorOperation(frontendNotify);
    }
    backend.beginRequestBatch();
    while (backend.consumeRequestInto(copy)) {
      responseView.setUint32(responseIdOffset, copyView.getUint32(idOffset, true), true);
      backend.produceResponse(response);
      backend.pushResponses();
      monitor.observeHypervisorOperation(backendNotify);
      // The control allocates about a hundred bytes per message, enough to fill the young generation in every attempt.
      if (allocatePerMessage) sink[0] = [nextId, nextId, nextId, nextId, nextId, nextId, nextId, nextId, nextId, nextId];
    }
    frontend.beginResponseBatch();
    while (frontend.consumeResponseInto(copy));
    // A millisecond per batch: 16 000 notifications per role per second, well inside blkif's budget of 100 000.
    clock.advanceBy(1);
    monitor.tick();
  };
  return { monitor, violations, runBatch };
}

function blkifGeneratedRequest(): Uint8Array {
  const request = createBlkifRequest();
  request.operation = Operation.read;
  const read = request.operationVariant.read;
  read.nrSegments = 2;
  for (const segment of read.seg.slice(0, 2)) {
    segment.gref = 10;
    segment.lastSect = 7;
  }
  const bytes = new Uint8Array(blkifLayouts.x86_64.Request.size);
  const failure = encodeBlkifRequest(request, new DataView(bytes.buffer), 0);
  if (failure !== undefined) throw new Error(String(failure));
  return bytes;
}

function paddedGeneratedRequest(): Uint8Array {
  const request = createPaddedRequest();
  request.kind = Kind.listing;
  request.kindVariant.listing.count = 3;
  const bytes = new Uint8Array(paddedLayouts.x86_64.Request.size);
  const failure = encodePaddedRequest(request, new DataView(bytes.buffer), 0);
  if (failure !== undefined) throw new Error(String(failure));
  return bytes;
}

describe("monitor allocation with generated specs", () => {
  it("checks 100 000 generated-blkif messages with a notification each and a tick per batch without a minor collection", async () => {
    const idOffset = blkifLayouts.x86_64.Request.fields.operation_variant.offset + blkifLayouts.x86_64.Request_read.fields.id.offset;
    const ring = createGeneratedRing(generatedBlkifSpec, blkifGeneratedRequest(), idOffset, blkifLayouts.x86_64.Response.size, blkifLayouts.x86_64.Response.fields.id.offset);
    const sink: unknown[] = [];
    for (let warm = 0; warm < 500; warm += 1) ring.runBatch(false, sink);
    const quiet = await fewestMinorCollectionsDuring(() => {
      for (let batch = 0; batch < 6250; batch += 1) ring.runBatch(false, sink);
    });
    const noisy = await totalMinorCollectionsDuring(() => {
      for (let batch = 0; batch < 6250; batch += 1) ring.runBatch(true, sink);
    });
    expect(ring.violations).toEqual([]);
    expect(quiet).toBe(0);
    expect(noisy).toBeGreaterThan(0);
  });

  it("checks 100 000 messages through the nested and variant padding clause without a minor collection", async () => {
    const idOffset = paddedLayouts.x86_64.Request.fields.kind_variant.offset + paddedLayouts.x86_64.Request_listing.fields.id.offset;
    const ring = createGeneratedRing(paddedSpec, paddedGeneratedRequest(), idOffset, paddedLayouts.x86_64.Response.size, paddedLayouts.x86_64.Response.fields.id.offset);
    const sink: unknown[] = [];
    for (let warm = 0; warm < 500; warm += 1) ring.runBatch(false, sink);
    const quiet = await fewestMinorCollectionsDuring(() => {
      for (let batch = 0; batch < 6250; batch += 1) ring.runBatch(false, sink);
    });
    const noisy = await totalMinorCollectionsDuring(() => {
      for (let batch = 0; batch < 6250; batch += 1) ring.runBatch(true, sink);
    });
    expect(ring.violations).toEqual([]);
    expect(quiet).toBe(0);
    expect(noisy).toBeGreaterThan(0);
  });
});
