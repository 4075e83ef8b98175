// The monitor's per-message work allocates nothing: 100 000 requests and responses through a
// ring checked with the generated blkif MonitorSpec, each batch scanned by the monitor
// (correlation, generated validators, grant checks), trigger no young-generation collection,
// while the same loop with one small allocation per message does (which shows the detector works).

import { describe, expect, it } from "vitest";
import { fewestMinorCollectionsDuring, totalMinorCollectionsDuring } from "../support/allocation.js";
import { ConnectionMonitor } from "../../runtime/monitor/index.js";
import { SharedRingBackend, SharedRingFrontend, computeSharedRingBytes } from "../../runtime/ring/index.js";
import { VirtualClock } from "../../runtime/time/index.js";
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
      if (allocatePerMessage) sink[0] = { id: nextId };
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
