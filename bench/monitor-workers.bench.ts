// Issue 6's cross-thread monitor benchmark: blkif read requests and their responses between a
// frontend domain and a backend domain, each on its own worker thread, over a real shared ring
// and an event channel, unmonitored and monitored in alternating phases of the same run (so load
// on the shared box hits both alike). Monitored means what the runtime does on this path: each
// party's library runs a PartyMonitor built from the generated monitorSpecX86_64 on what it
// produces and consumes; the policer does not scan the ring per message (see the printed note).

import { availableParallelism, loadavg } from "node:os";
import type { BlkifExchangePeerOutput, BlkifExchangePhase } from "./programs/blkif-exchange-peer.js";
import { runTwoWorkerBlkifExchange } from "./support/two-worker-blkif-exchange.js";
import type { BenchSuite } from "./suite.js";

/** Alternating phases after a warm-up pair; the median phase of each kind is reported. */
const measuredPairs = 5;
const messagesPerPhase = 200_000;
const warmUpMessages = 50_000;
const goalRatio = 1.15;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function formatRate(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)}M/s` : `${(perSecond / 1e3).toFixed(1)}k/s`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function buildPhases(): BlkifExchangePhase[] {
  const phases: BlkifExchangePhase[] = [
    { monitored: false, messages: warmUpMessages },
    { monitored: true, messages: warmUpMessages },
  ];
  for (let pair = 0; pair < measuredPairs; pair += 1) {
    // Alternate which kind goes first, so a drift in load does not favour one kind.
    const first = pair % 2 === 0;
    phases.push({ monitored: !first, messages: messagesPerPhase }, { monitored: first, messages: messagesPerPhase });
  }
  return phases;
}

function describeChecks(side: BlkifExchangePeerOutput, expectedChecked: number): string {
  const complete = side.peerMessagesChecked === expectedChecked && side.ownMessagesRecorded === expectedChecked;
  return `${side.role} checked ${side.peerMessagesChecked}/${expectedChecked} peer messages, recorded ${side.ownMessagesRecorded} own, ${side.violations.length} violations${complete ? "" : "  << INCOMPLETE"}`;
}

async function measureWindow(window: number): Promise<void> {
  const phases = buildPhases();
  const result = await runTwoWorkerBlkifExchange({ phases, window });
  const unmonitored: number[] = [];
  const monitored: number[] = [];
  const pairRatios: number[] = [];
  for (let index = 2; index < phases.length; index += 2) {
    const pairMilliseconds: number[] = [];
    for (const position of [index, index + 1]) {
      const phase = phases[position];
      const milliseconds = result.frontend.phaseMilliseconds[position] ?? Number.NaN;
      if (phase === undefined) continue;
      (phase.monitored ? monitored : unmonitored).push(milliseconds);
      pairMilliseconds[phase.monitored ? 1 : 0] = milliseconds;
    }
    pairRatios.push((pairMilliseconds[1] ?? Number.NaN) / (pairMilliseconds[0] ?? Number.NaN));
  }
  const unmonitoredRate = (messagesPerPhase * 1000) / median(unmonitored);
  const monitoredRate = (messagesPerPhase * 1000) / median(monitored);
  const ratio = unmonitoredRate / monitoredRate;
  const monitoredMessages = phases.filter((phase) => phase.monitored).reduce((sum, phase) => sum + phase.messages, 0);
  const totalMessages = phases.reduce((sum, phase) => sum + phase.messages, 0);
  print(`window ${window}: unmonitored ${formatRate(unmonitoredRate)} msgs, monitored ${formatRate(monitoredRate)} msgs`);
  print(`  monitored time / unmonitored time = ${ratio.toFixed(3)}x (goal <= ${goalRatio}x: ${ratio <= goalRatio ? "met" : "MISSED"}); per pair ${pairRatios.map((value) => value.toFixed(2)).join(" ")}`);
  print(`  ${describeChecks(result.frontend, monitoredMessages)}; ${describeChecks(result.backend, monitoredMessages)}`);
  const allAnswered = result.frontend.messagesHandled === totalMessages && result.backend.messagesHandled === totalMessages && result.frontend.outOfOrderResponses === 0;
  print(`  every request answered in order: ${allAnswered ? "yes" : "NO"} (${result.frontend.messagesHandled}/${totalMessages}); outstanding at end ${result.frontend.outstandingAtEnd}/${result.backend.outstandingAtEnd}`);
  for (const violation of [...result.frontend.violations, ...result.backend.violations]) print(`  honest run blamed ${violation.blamedRole} for ${violation.clauseId}: ${violation.detail}`);
}

export const suite: BenchSuite = {
  name: "monitor-workers: blkif request/response, frontend and backend on two worker threads, monitored vs unmonitored",
  async run() {
    print(`cores ${availableParallelism()}, load average ${loadavg()[0]!.toFixed(1)}; ${measuredPairs} alternating pairs of ${messagesPerPhase} messages per window size, medians`);
    print("monitored = each party's library runs PartyMonitor (generated monitorSpecX86_64) on every message it produces and consumes;");
    print("  the policer's ConnectionMonitor is not on this path: worker notifications bypass hypervisor observation, so it re-checks on complaints and audits on its schedule");
    for (const window of [32, 8, 1]) await measureWindow(window);
  },
};
