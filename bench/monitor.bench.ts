// Monitor benchmark: blkif request/response traffic (112-byte slots, 32 entries, two granted
// segments per request, batches of 16) through a shared ring, unmonitored, monitored with the
// hand-written blkif MonitorSpec the adversarial catalogue uses, and monitored with the one
// generated from protocols/blkif.proto-desc (whose validators run the generated decoders), so the
// figures are the monitor's cost relative to the ring and what generation costs over hand work.
// A fourth run uses the generated spec with persistent grants agreed (both ends published
// feature-persistent = 1 before Connected): the backend keeps both segments mapped, so every
// response takes the unmap exemption instead of the unmap check.
import { performance } from "node:perf_hooks";
import { monitorSpecX86_64 } from "../drivers/blk/generated/blkif.js";
import { ConnectionMonitor, type MonitorSpec } from "../runtime/monitor/index.js";
import { SharedRingBackend, SharedRingFrontend, computeSharedRingBytes } from "../runtime/ring/index.js";
import { VirtualClock } from "../runtime/time/index.js";
import { blkifMonitorSpec, encodeRequest, encodeResponse, requestBytes, responseBytes } from "./support/hand-written-blkif-monitor-spec.js";
import { formatRate } from "./support/figures.js";
import type { BenchSuite } from "./suite.js";

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function measureRate(milliseconds: number, unit: number, step: () => void): number {
  const start = performance.now();
  let messages = 0;
  let now = start;
  while (now - start < milliseconds) {
    for (let repeat = 0; repeat < 64; repeat++) step();
    messages += 64 * unit;
    now = performance.now();
  }
  return (messages * 1000) / (now - start);
}

function createTraffic(spec: MonitorSpec | undefined, persistentGrants = false): () => void {
  const batch = 16;
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const frontend = SharedRingFrontend.initialize(memory, requestBytes);
  const backend = SharedRingBackend.attach(memory, requestBytes);
  const monitor = spec !== undefined
    ? new ConnectionMonitor({
        spec,
        parties: [
          { role: "frontend", domainId: 1, directory: "/fe" },
          { role: "backend", domainId: 2, directory: "/be" },
        ],
        ringMemories: [memory],
        clock: new VirtualClock(),
        grants: { isGrantedTo: () => true, isReadOnly: () => false },
        onViolation: (violation) => {
          throw new Error(`honest traffic blamed: ${violation.clauseId}`);
        },
      })
    : undefined;
  if (monitor !== undefined && persistentGrants) {
    // Published before Connected, as a handshake does; dom0 writes set the states without judging them.
    monitor.observeStoreWrite(2, "/be/feature-persistent", "1");
    monitor.observeStoreWrite(1, "/fe/feature-persistent", "1");
    monitor.observeStoreWrite(0, "/be/state", "4");
    monitor.observeStoreWrite(0, "/fe/state", "4");
    for (const reference of [10, 11]) monitor.observeHypervisorOperation({ kind: "grant-map", mapper: 2, granter: 1, reference });
  } else if (monitor !== undefined) monitor.states.fill(4);
  const request = encodeRequest(0, 0n, 0n, [10, 11]);
  const requestView = new DataView(request.buffer);
  const response = encodeResponse(0n, 0, 0).subarray(0, responseBytes);
  const responseView = new DataView(response.buffer);
  const copy = new Uint8Array(requestBytes);
  const copyView = new DataView(copy.buffer);
  let nextId = 0;
  return () => {
    for (let message = 0; message < batch; message += 1) {
      requestView.setUint32(8, nextId++, true);
      frontend.produceRequest(request);
    }
    frontend.pushRequests();
    monitor?.scanRings();
    backend.beginRequestBatch();
    while (backend.consumeRequestInto(copy)) {
      responseView.setUint32(0, copyView.getUint32(8, true), true);
      backend.produceResponse(response);
    }
    backend.pushResponses();
    monitor?.scanRings();
    frontend.beginResponseBatch();
    while (frontend.consumeResponseInto(copy));
  };
}

export const suite: BenchSuite = {
  name: "monitor",
  async run() {
    const bare = createTraffic(undefined);
    const handWritten = createTraffic(blkifMonitorSpec);
    const generated = createTraffic(monitorSpecX86_64);
    const persistent = createTraffic(monitorSpecX86_64, true);
    for (const step of [bare, handWritten, generated, persistent]) measureRate(300, 16, step);
    const bareRate = measureRate(1500, 16, bare);
    const handWrittenRate = measureRate(1500, 16, handWritten);
    const generatedRate = measureRate(1500, 16, generated);
    const persistentRate = measureRate(1500, 16, persistent);
    print(`blkif ring, 112-byte slots, batch 16, 2 segments per request: unmonitored ${formatRate(bareRate)} msgs`);
    print(`  hand-written spec ${formatRate(handWrittenRate)} msgs = ${(handWrittenRate / bareRate).toFixed(2)}x unmonitored`);
    print(`  generated spec    ${formatRate(generatedRate)} msgs = ${(generatedRate / bareRate).toFixed(2)}x unmonitored`);
    print(`  generated / hand-written = ${(generatedRate / handWrittenRate).toFixed(2)}x`);
    print(`  generated spec, persistent grants kept mapped ${formatRate(persistentRate)} msgs = ${(persistentRate / bareRate).toFixed(2)}x unmonitored, ${(persistentRate / generatedRate).toFixed(2)}x per-request grants`);
  },
};
