// Throughput of the store's core through StoreConnection.handle (no transport): reads, writes
// with and without the journal, and read-modify-write transactions, each printed as a ratio
// against a bare Map lookup of the same path measured in the same run.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoreConnection, StoreMessage } from "../runtime/store/connection.js";
import { XenStore } from "../runtime/store/store.js";
import { XsMessageType } from "../runtime/store/wire-types.js";
import type { BenchSuite } from "./suite.js";

const measureMilliseconds = 600;
const keyCount = 1000;

function measureRate(operation: (iteration: number) => void): number {
  // Warm up so that the figures describe optimized code.
  for (let iteration = 0; iteration < 2000; iteration++) operation(iteration);
  let iterations = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(measureMilliseconds) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let batch = 0; batch < 256; batch++) operation(iterations++);
    now = process.hrtime.bigint();
  }
  return iterations / (Number(now - start) / 1e9);
}

function request(type: number, text: string, transactionId = 0): StoreMessage {
  return { type, requestId: 1, transactionId, payload: new Uint8Array(Buffer.from(text, "latin1")) };
}

function populate(connection: StoreConnection): void {
  for (let index = 0; index < keyCount; index++) connection.handle(request(XsMessageType.write, `/local/domain/1/data/key-${index}\0value-${index}`));
}

function runCoreFigures(label: string, store: XenStore, baselineRate: number): void {
  const noEvents = { deliver: () => undefined };
  const privileged = store.openConnection({ domainId: 0, privileged: true, sink: noEvents });
  populate(privileged);
  privileged.handle(request(XsMessageType.setPerms, "/local/domain/1\0n1\0"));
  const guest = store.openConnection({ domainId: 1, privileged: false, sink: noEvents });
  const absoluteReads = Array.from({ length: keyCount }, (_, index) => request(XsMessageType.read, `/local/domain/1/data/key-${index}\0`));
  const relativeReads = Array.from({ length: keyCount }, (_, index) => request(XsMessageType.read, `data/key-${index}\0`));
  const writes = Array.from({ length: keyCount }, (_, index) => request(XsMessageType.write, `/local/domain/1/data/key-${index}\0new-value`));
  const figures: [string, number][] = [
    ["read, privileged, absolute path", measureRate((iteration) => privileged.handle(absoluteReads[iteration % keyCount]!))],
    ["read, unprivileged, relative path", measureRate((iteration) => guest.handle(relativeReads[iteration % keyCount]!))],
    ["write of an existing node", measureRate((iteration) => privileged.handle(writes[iteration % keyCount]!))],
    [
      "read-modify-write transaction",
      measureRate((iteration) => {
        const started = privileged.handle(request(XsMessageType.transactionStart, "\0"));
        const transactionId = Number(Buffer.from(started.payload).toString("latin1").slice(0, -1));
        const key = `/local/domain/1/data/key-${iteration % keyCount}`;
        const value = privileged.handle(request(XsMessageType.read, `${key}\0`, transactionId));
        privileged.handle(request(XsMessageType.write, `${key}\0${value.payload.length + 1}`, transactionId));
        privileged.handle(request(XsMessageType.transactionEnd, "T\0", transactionId));
      }),
    ],
  ];
  // Many watches elsewhere must not slow a write down: watches are indexed by path.
  const watcher = store.openConnection({ domainId: 0, privileged: true, sink: noEvents });
  for (let index = 0; index < 1000; index++) watcher.handle(request(XsMessageType.watch, `/elsewhere/watch-${index}\0t\0`));
  figures.push(["write with 1000 watches on other paths", measureRate((iteration) => privileged.handle(writes[iteration % keyCount]!))]);
  watcher.close();
  for (const [name, rate] of figures) {
    process.stdout.write(`${label} ${name}: ${(rate / baselineRate).toFixed(4)}x the Map lookup (${Math.round(rate).toLocaleString("en-US")} ops/s)\n`);
  }
}

export const suite: BenchSuite = {
  name: "store-core",
  async run() {
    const map = new Map<string, Uint8Array>();
    const paths = Array.from({ length: keyCount }, (_, index) => `/local/domain/1/data/key-${index}`);
    for (const path of paths) map.set(path, new Uint8Array(8));
    let sink = 0;
    const baselineRate = measureRate((iteration) => {
      sink += map.get(paths[iteration % keyCount]!)?.length ?? 0;
    });
    process.stdout.write(`baseline Map lookup: ${Math.round(baselineRate).toLocaleString("en-US")} ops/s (checksum ${sink % 7})\n`);
    runCoreFigures("in memory:", XenStore.open(), baselineRate);
    const directory = mkdtempSync(join(tmpdir(), "proto-desc-store-bench-"));
    try {
      const journaled = XenStore.open({ journalDirectory: directory });
      runCoreFigures("journaled:", journaled, baselineRate);
      journaled.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  },
};
