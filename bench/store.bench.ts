// xenstore++ over its Unix socket: requests per second for reads, writes and read-modify-write
// transactions with 1, 8 and 64 concurrent clients against the daemon as a separate process,
// each as a ratio to the same operations through the in-process API measured in this run,
// with latency percentiles. Also checks the goal of 50k reads/s from one pipelining client.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StoreMessage } from "../runtime/store/connection.js";
import { DomainRingClient } from "../runtime/store/domain-ring-client.js";
import { DomainRingTransport } from "../runtime/store/domain-ring-transport.js";
import { encodeStringArguments, encodeWriteArguments } from "../runtime/store/request-payloads.js";
import { StoreRequestError, StoreSocketClient } from "../runtime/store/socket-client.js";
import { XenStore } from "../runtime/store/store.js";
import { XsMessageType } from "../runtime/store/wire-types.js";
import type { BenchSuite } from "./suite.js";

const cellMilliseconds = 700;
const warmUpMilliseconds = 300;
const pipelineDepthPerClient = 16;
const singleClientPipelineDepth = 64;
const clientCounts = [1, 8, 64] as const;
const valueText = "v".repeat(64);

type Operation = "read" | "write" | "rmw transaction";
const operations: readonly Operation[] = ["read", "write", "rmw transaction"];

interface Measurement {
  readonly operationsPerSecond: number;
  readonly latencies: number[];
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

function format(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The same operations through StoreConnection.handle in this process: the baseline. */
function measureInProcess(operation: Operation): number {
  const store = XenStore.open();
  const connection = store.openConnection({ domainId: 0, privileged: true, sink: { deliver: () => undefined } });
  const request = (type: number, payload: Uint8Array, transactionId = 0): StoreMessage =>
    connection.handle({ type, requestId: 1, transactionId, payload });
  request(XsMessageType.write, encodeWriteArguments("/bench/key", valueText));
  const readPayload = encodeStringArguments("/bench/key");
  const writePayloads = Array.from({ length: 100 }, (_, index) => encodeWriteArguments(`/bench/w/${index}`, valueText));
  const startPayload = encodeStringArguments("");
  const commitPayload = encodeStringArguments("T");
  let count = 0;
  const start = performance.now();
  const deadline = start + cellMilliseconds;
  while (performance.now() < deadline) {
    for (let batch = 0; batch < 200; batch++) {
      if (operation === "read") request(XsMessageType.read, readPayload);
      else if (operation === "write") request(XsMessageType.write, writePayloads[count % 100] ?? readPayload);
      else {
        const transactionId = Number(Buffer.from(request(XsMessageType.transactionStart, startPayload).payload).toString("latin1").replace(/\0$/, ""));
        const value = request(XsMessageType.read, readPayload, transactionId).payload;
        request(XsMessageType.write, encodeWriteArguments("/bench/key", value), transactionId);
        request(XsMessageType.transactionEnd, commitPayload, transactionId);
      }
      count++;
    }
  }
  const elapsedSeconds = (performance.now() - start) / 1000;
  store.close();
  return count / elapsedSeconds;
}

/**
 * Reads through a domain ring (guest client and store transport over one shared page, the
 * event channel modelled as a direct call): the ring and framing cost on top of handle().
 */
function measureRingReads(): number {
  const store = XenStore.open();
  const dom0 = store.openConnection({ domainId: 0, privileged: true, sink: { deliver: () => undefined } });
  dom0.handle({ type: XsMessageType.write, requestId: 1, transactionId: 0, payload: encodeWriteArguments("/bench/key", valueText) });
  dom0.handle({ type: XsMessageType.setPerms, requestId: 2, transactionId: 0, payload: encodeStringArguments("/bench/key", "r0") });
  const page = new Uint8Array(new SharedArrayBuffer(4096));
  let replies = 0;
  let client: DomainRingClient | undefined;
  const transport = new DomainRingTransport({ store, domainId: 1, endpoint: { page, notify: () => client?.onEventChannelNotified() } });
  client = new DomainRingClient({ page, notify: () => transport.onEventChannelNotified(), onMessage: () => void replies++ });
  const request = { type: XsMessageType.read, requestId: 1, transactionId: 0, payload: encodeStringArguments("/bench/key") };
  const start = performance.now();
  const deadline = start + cellMilliseconds;
  let sent = 0;
  while (performance.now() < deadline) {
    for (let batch = 0; batch < 200; batch++) client.send(request);
    sent += 200;
  }
  const elapsedSeconds = (performance.now() - start) / 1000;
  store.close();
  if (replies !== sent) throw new Error(`ring bench lost replies: ${replies} of ${sent}`);
  return replies / elapsedSeconds;
}

async function runOnce(client: StoreSocketClient, operation: Operation, clientIndex: number, lane: number, sequence: number): Promise<void> {
  if (operation === "read") {
    await client.read("/bench/key");
  } else if (operation === "write") {
    await client.write(`/bench/w/${clientIndex}/${sequence % 100}`, valueText);
  } else {
    // Each lane of each client increments its own node, so transactions do not conflict.
    const path = `/bench/t/${clientIndex}/${lane}`;
    for (;;) {
      const transaction = await client.startTransaction();
      const value = await client.read(path, transaction);
      await client.write(path, String(Number(value) + 1), transaction);
      try {
        await client.endTransaction(transaction, true);
        return;
      } catch (error) {
        if (!(error instanceof StoreRequestError) || error.errorName !== "EAGAIN") throw error;
      }
    }
  }
}

async function measureOverSocket(
  clients: readonly StoreSocketClient[],
  operation: Operation,
  depth: number,
  milliseconds = cellMilliseconds,
): Promise<Measurement> {
  const latencies: number[] = [];
  let count = 0;
  const start = performance.now();
  const deadline = start + milliseconds;
  await Promise.all(
    clients.flatMap((client, clientIndex) =>
      Array.from({ length: depth }, async (_, lane) => {
        let sequence = lane;
        while (performance.now() < deadline) {
          const sent = performance.now();
          await runOnce(client, operation, clientIndex, lane, sequence);
          latencies.push(performance.now() - sent);
          sequence += depth;
          count++;
        }
      }),
    ),
  );
  const elapsedSeconds = (performance.now() - start) / 1000;
  return { operationsPerSecond: count / elapsedSeconds, latencies: latencies.sort((a, b) => a - b) };
}

async function startDaemon(socketPath: string): Promise<() => Promise<void>> {
  const binary = fileURLToPath(new URL("../../bin/proto-desc.js", import.meta.url));
  const child = spawn(process.execPath, [binary, "store", "--socket", socketPath], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let text = "";
    child.stderr.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.includes("listening on")) resolve();
    });
    void exited.then(() => reject(new Error(`the store daemon exited before listening: ${text}`)));
  });
  return async () => {
    if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
    await exited;
  };
}

export const suite: BenchSuite = {
  name: "store: xs_wire over a Unix socket (daemon in a child process) vs the in-process API",
  async run() {
    const scratch = mkdtempSync(join(tmpdir(), "pd-store-bench-"));
    const socketPath = join(scratch, "store.sock");
    const stopDaemon = await startDaemon(socketPath);
    try {
      const baselines = new Map<Operation, number>(operations.map((operation) => [operation, measureInProcess(operation)]));
      const clients = await Promise.all(Array.from({ length: Math.max(...clientCounts) }, () => StoreSocketClient.connect(socketPath)));
      const setup = clients[0];
      if (setup === undefined) throw new Error("no bench client");
      await setup.write("/bench/key", valueText);
      await Promise.all(
        clients.flatMap((_, index) => Array.from({ length: pipelineDepthPerClient }, (_, lane) => setup.write(`/bench/t/${index}/${lane}`, "0"))),
      );

      // Warm-up: the first cells would otherwise also measure JIT compilation in both processes.
      for (const operation of operations) await measureOverSocket(clients.slice(0, 8), operation, pipelineDepthPerClient, warmUpMilliseconds);
      process.stdout.write(`in-process baselines (StoreConnection.handle): ${operations.map((operation) => `${operation} ${format(baselines.get(operation) ?? 0)}/s`).join(", ")}\n`);
      process.stdout.write(`${"operation".padEnd(16)}${"clients".padStart(8)}${"socket ops/s".padStart(14)}${"ratio to in-process".padStart(21)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}\n`);
      for (const operation of operations) {
        for (const clientCount of clientCounts) {
          const measurement = await measureOverSocket(clients.slice(0, clientCount), operation, pipelineDepthPerClient);
          const baseline = baselines.get(operation) ?? Number.NaN;
          process.stdout.write(
            `${operation.padEnd(16)}${String(clientCount).padStart(8)}${format(measurement.operationsPerSecond).padStart(14)}` +
              `${format(measurement.operationsPerSecond / baseline, 3).padStart(21)}` +
              `${format(percentile(measurement.latencies, 0.5), 3).padStart(9)}${format(percentile(measurement.latencies, 0.99), 3).padStart(9)}\n`,
          );
        }
      }
      // The machine is shared, so the single-client figure is taken as the best of five short runs.
      const runs: Measurement[] = [];
      for (let run = 0; run < 5; run++) runs.push(await measureOverSocket(clients.slice(0, 1), "read", singleClientPipelineDepth, 400));
      const single = runs.reduce((best, run) => (run.operationsPerSecond > best.operationsPerSecond ? run : best));
      const readBaseline = baselines.get("read") ?? Number.NaN;
      const goal = 50_000;
      process.stdout.write(
        `one pipelining client (depth ${singleClientPipelineDepth}), reads, best of ${runs.map((run) => format(run.operationsPerSecond)).join(" / ")}: ` +
          `${format(single.operationsPerSecond)}/s = ${format(single.operationsPerSecond / readBaseline, 3)}x in-process, ` +
          `${format(single.operationsPerSecond / goal, 2)}x the 50k/s goal (${single.operationsPerSecond >= goal ? "met" : "NOT met"}); ` +
          `p50 ${format(percentile(single.latencies, 0.5), 3)} ms, p99 ${format(percentile(single.latencies, 0.99), 3)} ms\n`,
      );
      const ringReads = measureRingReads();
      process.stdout.write(
        `domain ring (in-process page, event channel as a direct call), reads: ${format(ringReads)}/s = ${format(ringReads / readBaseline, 3)}x in-process handle()\n`,
      );
      for (const client of clients) client.close();
    } finally {
      await stopDaemon();
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
