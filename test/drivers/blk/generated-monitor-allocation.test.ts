// The generated blkif monitor description keeps the monitor allocation-free per message: its
// validators decode into module-level scratch values over cached slot views, its grant helpers
// read bytes in place. 100 000 requests and responses trigger no young-generation collection,
// while the same loop with one ~300-byte allocation per message does (so the detector works).
import { describe, expect, it } from "vitest";
import { fewestMinorCollectionsDuring, totalMinorCollectionsDuring } from "../../support/allocation.js";
import { Operation, Status, createRequest, createResponse, encodeRequestX86_64, encodeResponseX86_64, monitorSpecX86_64 } from "../../../drivers/blk/generated/blkif.js";
import { ConnectionMonitor } from "../../../runtime/monitor/index.js";
import { SharedRingBackend, SharedRingFrontend, computeSharedRingBytes } from "../../../runtime/ring/index.js";
import { VirtualClock } from "../../../runtime/time/index.js";


function createMonitoredGeneratedRing() {
  const channel = monitorSpecX86_64.rings[0];
  if (channel === undefined) throw new Error("the generated blkif spec has no ring");
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const frontend = SharedRingFrontend.initialize(memory, channel.slotBytes);
  const backend = SharedRingBackend.attach(memory, channel.slotBytes);
  const violations: string[] = [];
  const monitor = new ConnectionMonitor({
    spec: monitorSpecX86_64,
    parties: [
      { role: "frontend", domainId: 1, directory: "/fe" },
      { role: "backend", domainId: 2, directory: "/be" },
    ],
    ringMemories: [memory],
    clock: new VirtualClock(),
    grants: { isGrantedTo: () => true, isReadOnly: () => false },
    onViolation: (violation) => violations.push(violation.clauseId),
  });
  // The handshake is covered elsewhere; here both parties start Connected.
  monitor.states[0] = 4;
  monitor.states[1] = 4;
  const requestValue = createRequest();
  requestValue.operation = Operation.read;
  const read = requestValue.operationVariant.read;
  read.nrSegments = 2;
  read.seg.forEach((segment, index) => {
    segment.gref = 10 + index;
    segment.lastSect = 7;
  });
  const request = new Uint8Array(channel.slotBytes);
  const requestView = new DataView(request.buffer);
  encodeRequestX86_64(requestValue, requestView, 0);
  const responseValue = createResponse();
  responseValue.status = Status.okay;
  const response = new Uint8Array(channel.responseBytes);
  const responseView = new DataView(response.buffer);
  encodeResponseX86_64(responseValue, responseView, 0);
  const copy = new Uint8Array(channel.slotBytes);
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
      backend.produceResponse(response);
      // About 300 bytes per message: 100 000 of them overflow any young generation.
      if (allocatePerMessage) sink[0] = new Array<number>(32).fill(nextId);
    }
    backend.pushResponses();
    monitor.scanRings();
    frontend.beginResponseBatch();
    while (frontend.consumeResponseInto(copy));
  };
  return { monitor, violations, runBatch };
}

describe("generated blkif monitor spec allocation", () => {
  it("checks 100 000 messages without a minor collection", async () => {
    const ring = createMonitoredGeneratedRing();
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
