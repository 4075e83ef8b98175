// What judging store key clauses costs a monitor: honest store writes of blkif's clause keys fed
// to a ConnectionMonitor built from the generated spec, against the same spec without its
// `storeKeyClauses` (the monitor then only records which keys exist), in the same run.
import { monitorSpecX86_64 } from "../drivers/blk/generated/blkif.js";
import { ConnectionMonitor, type MonitorSpec } from "../runtime/monitor/index.js";
import { VirtualClock } from "../runtime/time/index.js";
import { formatRate, median } from "./support/figures.js";
import type { BenchSuite } from "./suite.js";

const frontendDirectory = "/local/domain/1/device/vbd/51712";
const backendDirectory = "/local/domain/2/backend/vbd/1/51712";
const writesPerRun = 200_000;
const runs = 5;

/** Paths and values prepared once, so the loop measures the monitor, not string building. */
const honestWrites: readonly (readonly [number, string, string])[] = [
  [2, `${backendDirectory}/max-ring-page-order`, "2"],
  [2, `${backendDirectory}/sector-size`, "512"],
  [2, `${backendDirectory}/physical-sector-size`, "4096"],
  [2, `${backendDirectory}/multi-queue-max-queues`, "4"],
  [1, `${frontendDirectory}/ring-page-order`, "2"],
  [1, `${frontendDirectory}/multi-queue-num-queues`, "2"],
  [1, `${frontendDirectory}/feature-persistent`, "1"],
];

function createMonitor(spec: MonitorSpec): ConnectionMonitor {
  const channel = spec.rings[0];
  if (channel === undefined) throw new Error("the blkif spec has no ring");
  return new ConnectionMonitor({
    spec,
    parties: [
      { role: "frontend", domainId: 1, directory: frontendDirectory },
      { role: "backend", domainId: 2, directory: backendDirectory },
    ],
    ringMemories: [new Uint8Array(64 + channel.entries * channel.slotBytes)],
    clock: new VirtualClock(),
    grants: { isGrantedTo: () => true, isReadOnly: () => false },
  });
}

/** Writes per second through `observeStoreWrite`; throws if an honest write was blamed. */
function measure(spec: MonitorSpec): number {
  const monitor = createMonitor(spec);
  const started = process.hrtime.bigint();
  for (let write = 0; write < writesPerRun; write += 1) {
    const [domain, path, value] = honestWrites[write % honestWrites.length] ?? [0, "", ""];
    monitor.observeStoreWrite(domain, path, value);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (monitor.violations.length > 0) throw new Error(`honest writes were blamed: ${monitor.violations[0]?.clauseId}`);
  return writesPerRun / seconds;
}

export const suite: BenchSuite = {
  name: "store-key-clauses",
  async run() {
    const { storeKeyClauses: _dropped, ...withoutClauses } = monitorSpecX86_64;
    const baseline: number[] = [];
    const judged: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      baseline.push(measure(withoutClauses));
      judged.push(measure(monitorSpecX86_64));
    }
    const baselineRate = median(baseline);
    const judgedRate = median(judged);
    console.log(`store writes, keys only (baseline): ${formatRate(baselineRate)}`);
    console.log(`store writes, store key clauses judged: ${formatRate(judgedRate)} = ${(judgedRate / baselineRate).toFixed(2)}x the baseline`);
  },
};
