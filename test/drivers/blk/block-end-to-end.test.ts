// End-to-end tests of the block drivers on the in-process runtime: the handshake through the
// store, 10,000 mixed requests checked against a reference disk on both ABIs (the `protocol`
// key selects the layout), errors for bad requests, teardown, and reconnect after a reset.

import { describe, it, expect } from "vitest";
import { BlockBackend, BlockFrontend, BlockOperation, BlockRequestFailed, MemoryDisk, type BlockAbiName } from "../../../drivers/blk/index.js";
import { XenbusState, type ConnectionProblem } from "../../../runtime/connection/index.js";
import { SeededRandom } from "../../../runtime/time/index.js";
import { createInProcessSplitHarness, type InProcessSplitHarness } from "../../runtime/connection/in-process-harness.js";
import { equalBytes, randomSectorData, runMixedBlockWorkload } from "./mixed-block-workload.js";

const diskSectors = 4096;

interface BlockPair {
  readonly harness: InProcessSplitHarness;
  readonly disk: MemoryDisk;
  readonly backend: BlockBackend;
  readonly frontend: BlockFrontend;
  readonly problems: ConnectionProblem[];
}

function createBlockPair(seed: number, abi: BlockAbiName, ringPageOrder = 0, readonly = false): BlockPair {
  const harness = createInProcessSplitHarness(seed, "vbd", 51712);
  const problems: ConnectionProblem[] = [];
  const disk = new MemoryDisk(diskSectors, readonly);
  const backend = createBackend(harness, disk, problems);
  const frontend = new BlockFrontend(harness.execution.contextFor(harness.frontendDomainId), {
    store: harness.connectStoreFor(harness.frontendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    backendDomainId: harness.backendDomainId,
    abi,
    ringPageOrder,
    onProblem: (problem) => problems.push(problem),
  });
  return { harness, disk, backend, frontend, problems };
}

function createBackend(harness: InProcessSplitHarness, disk: MemoryDisk, problems: ConnectionProblem[]): BlockBackend {
  return new BlockBackend(harness.execution.contextFor(harness.backendDomainId), {
    store: harness.connectStoreFor(harness.backendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    frontendDomainId: harness.frontendDomainId,
    disk,
    onProblem: (problem) => problems.push(problem),
  });
}

async function connectPair(pair: BlockPair): Promise<void> {
  await pair.harness.settle(pair.backend.start());
  await pair.harness.settle(pair.frontend.connect());
}

describe("block drivers end to end (in-process)", () => {
  it.each<[BlockAbiName, number]>([
    ["x86_64-abi", 0],
    ["x86_32-abi", 1],
  ])("handshake, then 10,000 mixed requests match the reference disk on %s (ring page order %d)", async (abi, order) => {
    const pair = createBlockPair(11, abi, order);
    await connectPair(pair);
    expect(pair.frontend.properties).toEqual({ sectors: diskSectors, info: 0, sectorSize: 512, barrier: true, flush: true, discard: true });
    expect(pair.backend.abi).toBe(abi);
    expect(pair.harness.toolstack.readText(`${pair.harness.frontendPath}/protocol`)).toEqual({ ok: true, value: abi });
    const counts = await runMixedBlockWorkload(pair.frontend, { total: 10_000, window: 24, seed: order + 100, diskSectors }, (promise) => pair.harness.settle(promise));
    expect(counts.mismatches).toBe(0);
    expect(counts.reads).toBeGreaterThan(4000);
    expect(counts.writes).toBeGreaterThan(4000);
    expect(counts.flushes).toBeGreaterThan(500);
    expect(pair.backend.countOf(BlockOperation.read)).toBe(counts.reads);
    expect(pair.problems).toEqual([]);
    // Every data page went back to the pool: the backend unmapped each grant before answering.
    expect(pair.frontend.connection.outstandingRequestCount).toBe(0);
  }, 60_000);

  it("answers out-of-range and read-only violations with an error status, not a crash", async () => {
    const pair = createBlockPair(12, "x86_64-abi", 0, true);
    await connectPair(pair);
    expect(pair.frontend.properties?.info).toBe(4);
    await expect(pair.harness.settle(pair.frontend.read(diskSectors - 1, 2))).rejects.toBeInstanceOf(BlockRequestFailed);
    await expect(pair.harness.settle(pair.frontend.write(0, new Uint8Array(512)))).rejects.toMatchObject({ status: -1 });
    await expect(pair.harness.settle(pair.frontend.discard(0, 8))).rejects.toMatchObject({ status: -2 });
    expect((await pair.harness.settle(pair.frontend.read(0, 8))).length).toBe(4096);
  });

  it("tears down to Closed on both ends and reconnects with the data intact", async () => {
    const pair = createBlockPair(13, "x86_32-abi");
    await connectPair(pair);
    const data = randomSectorData(new SeededRandom(5), 16);
    await pair.harness.settle(pair.frontend.write(100, data));
    await pair.harness.settle(pair.frontend.close());
    expect(pair.harness.toolstack.readText(`${pair.harness.backendPath}/state`)).toEqual({ ok: true, value: String(XenbusState.closed) });
    expect(pair.harness.toolstack.readText(`${pair.harness.frontendPath}/state`)).toEqual({ ok: true, value: String(XenbusState.closed) });
    await pair.harness.settle(pair.frontend.connect());
    expect(equalBytes(await pair.harness.settle(pair.frontend.read(100, 16)), data)).toBe(true);
  });

  it("re-issues in-flight requests after the backend is reset and restarted; no write is lost", async () => {
    const pair = createBlockPair(14, "x86_64-abi");
    await connectPair(pair);
    const random = new SeededRandom(9);
    const writes = Array.from({ length: 20 }, (_, index) => ({ sector: index * 32, data: randomSectorData(random, 8) }));
    const pending = writes.map((write) => pair.frontend.write(write.sector, write.data));
    // Let part of the batch reach the backend, then reset it as the policer would.
    for (let step = 0; step < 5; step++) pair.harness.execution.scheduler.runStep();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pair.frontend.connection.outstandingRequestCount).toBeGreaterThan(0);
    pair.harness.execution.resetDomain(pair.harness.backendDomainId);
    pair.backend.connection.abandon();
    pair.harness.toolstack.write(`${pair.harness.backendPath}/state`, String(XenbusState.closed));
    await pair.harness.runUntilIdle();
    const restarted = createBackend(pair.harness, pair.disk, pair.problems);
    await pair.harness.settle(restarted.start());
    await pair.harness.settle(Promise.all(pending));
    for (const write of writes) expect(equalBytes(await pair.harness.settle(pair.frontend.read(write.sector, 8)), write.data)).toBe(true);
    expect(pair.frontend.connection.connectionCount).toBe(2);
  });
});
