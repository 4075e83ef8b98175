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

/** Alternating pairs after a warm-up; the median phase of each kind is reported. */
const measuredPairs = 4;
/** Messages per phase by window: about a quarter second each on an idle 2-core box. */
const messagesPerPhaseByWindow: ReadonlyMap<number, number> = new Map([
  [32, 150_000],
  [8, 50_000],
  [1, 5_000],
]);
const goalRatio = 1.15;
const workKinds = ["ring", "codec"] as const;

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

function buildPhases(messages: number): BlkifExchangePhase[] {
  const phases: BlkifExchangePhase[] = [];
  for (const work of workKinds) phases.push({ monitored: false, work, messages: messages / 4 }, { monitored: true, work, messages: messages / 4 });
  for (let pair = 0; pair < measuredPairs; pair += 1) {
    // Alternate which kind goes first, so a drift in load does not favour one kind.
    const monitoredFirst = pair % 2 === 1;
    for (const work of workKinds) phases.push({ monitored: monitoredFirst, work, messages }, { monitored: !monitoredFirst, work, messages });
  }
  return phases;
}

function describeChecks(side: BlkifExchangePeerOutput, expectedChecked: number): string {
  const complete = side.peerMessagesChecked === expectedChecked && side.ownMessagesRecorded === expectedChecked;
  return `${side.role} checked ${side.peerMessagesChecked}/${expectedChecked} peer messages, recorded ${side.ownMessagesRecorded} own, ${side.violations.length} violations${complete ? "" : "  << INCOMPLETE"}`;
}

function summarizeWork(phases: readonly BlkifExchangePhase[], milliseconds: readonly number[], work: BlkifExchangePhase["work"], messages: number, window: number): void {
  const unmonitored: number[] = [];
  const monitored: number[] = [];
  // Warm-up phases are the first four; each measured pair is two adjacent phases of one kind.
  for (let position = 4; position < phases.length; position += 2) {
    const first = phases[position];
    const second = phases[position + 1];
    if (first === undefined || second === undefined || first.work !== work) continue;
    const firstMilliseconds = milliseconds[position] ?? Number.NaN;
    const secondMilliseconds = milliseconds[position + 1] ?? Number.NaN;
    (first.monitored ? monitored : unmonitored).push(firstMilliseconds);
    (second.monitored ? monitored : unmonitored).push(secondMilliseconds);
  }
  const unmonitoredRate = (messages * 1000) / median(unmonitored);
  const monitoredRate = (messages * 1000) / median(monitored);
  const ratio = unmonitoredRate / monitoredRate;
  const baseline = work === "ring" ? "ids only" : "generated encode+decode on both sides";
  print(
    `window ${String(window).padStart(2)}, ${baseline.padEnd(37)}: unmonitored ${formatRate(unmonitoredRate).padStart(9)}, monitored ${formatRate(monitoredRate).padStart(9)} msgs; time ratio ${ratio.toFixed(3)}x (goal <= ${goalRatio}x ${ratio <= goalRatio ? "met" : "MISSED"})`,
  );
}

async function measureWindow(window: number): Promise<void> {
  const messages = messagesPerPhaseByWindow.get(window) ?? 10_000;
  const phases = buildPhases(messages);
  const result = await runTwoWorkerBlkifExchange({ phases, window });
  for (const work of workKinds) summarizeWork(phases, result.frontend.phaseMilliseconds, work, messages, window);
  const monitoredMessages = phases.filter((phase) => phase.monitored).reduce((sum, phase) => sum + phase.messages, 0);
  const totalMessages = phases.reduce((sum, phase) => sum + phase.messages, 0);
  const allAnswered = result.frontend.messagesHandled === totalMessages && result.backend.messagesHandled === totalMessages && result.frontend.outOfOrderResponses === 0;
  print(`  ${describeChecks(result.frontend, monitoredMessages)}; ${describeChecks(result.backend, monitoredMessages)}`);
  print(`  every request answered once, in order: ${allAnswered ? "yes" : "NO"} (${result.frontend.messagesHandled}/${totalMessages}); outstanding at end ${result.frontend.outstandingAtEnd}/${result.backend.outstandingAtEnd}`);
  for (const violation of [...result.frontend.violations, ...result.backend.violations]) print(`  honest run blamed ${violation.blamedRole} for ${violation.clauseId}: ${violation.detail}`);
}

export const suite: BenchSuite = {
  name: "monitor-workers: blkif request/response, frontend and backend on two worker threads, monitored vs unmonitored",
  async run() {
    print(`cores ${availableParallelism()}, load average ${loadavg()[0]!.toFixed(1)}; ${measuredPairs} alternating pairs per window and work kind (phases of ${[...messagesPerPhaseByWindow].map(([window, messages]) => `${messages} at window ${window}`).join(", ")} messages), medians`);
    print("monitored = each party's library runs PartyMonitor (generated monitorSpecX86_64) on every message it produces and consumes;");
    print("  the policer's ConnectionMonitor is not on this path: worker notifications bypass hypervisor observation, so it re-checks on complaints and audits on its schedule");
    for (const window of [32, 8, 1]) await measureWindow(window);
  },
};
