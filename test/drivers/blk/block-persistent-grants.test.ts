// Persistent grants (feature-persistent) between the block drivers: when both ends offer them,
// pool pages are granted once and the backend keeps them mapped for the session, and a mixed
// workload (with indirect transfers) still matches the reference disk; when only one end
// offers them, grants are made and mapped per request as before.

import { describe, expect, it } from "vitest";
import { BlockBackend, BlockFrontend, MemoryDisk, type BlockAbiName } from "../../../drivers/blk/index.js";
import type { ConnectionProblem } from "../../../runtime/connection/index.js";
import { SeededRandom } from "../../../runtime/time/index.js";
import { createInProcessSplitHarness, type InProcessSplitHarness } from "../../runtime/connection/in-process-harness.js";
import { equalBytes, randomSectorData, runMixedBlockWorkload } from "./mixed-block-workload.js";

const diskSectors = 4096;

interface PersistentPair {
  readonly harness: InProcessSplitHarness;
  readonly disk: MemoryDisk;
  readonly backend: BlockBackend;
  readonly frontend: BlockFrontend;
  readonly problems: ConnectionProblem[];
}

async function connectPair(seed: number, abi: BlockAbiName, frontendOffers: boolean, backendOffers: boolean): Promise<PersistentPair> {
  const harness = createInProcessSplitHarness(seed, "vbd", 51744);
  const problems: ConnectionProblem[] = [];
  const disk = new MemoryDisk(diskSectors);
  const backend = new BlockBackend(harness.execution.contextFor(harness.backendDomainId), {
    store: harness.connectStoreFor(harness.backendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    frontendDomainId: harness.frontendDomainId,
    disk,
    persistentGrants: backendOffers,
    maximumIndirectSegments: 32,
    onProblem: (problem) => problems.push(problem),
  });
  const frontend = new BlockFrontend(harness.execution.contextFor(harness.frontendDomainId), {
    store: harness.connectStoreFor(harness.frontendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    backendDomainId: harness.backendDomainId,
    abi,
    persistentGrants: frontendOffers,
    onProblem: (problem) => problems.push(problem),
  });
  await harness.settle(backend.start());
  await harness.settle(frontend.connect());
  return { harness, disk, backend, frontend, problems };
}

describe("persistent grants", () => {
  it.each<BlockAbiName>(["x86_64-abi", "x86_32-abi"])("grant each pool page once and keep it mapped when both ends offer them (%s)", async (abi) => {
    const pair = await connectPair(51, abi, true, true);
    expect(pair.harness.toolstack.readText(`${pair.harness.frontendPath}/feature-persistent`)).toEqual({ ok: true, value: "1" });
    expect(pair.harness.toolstack.readText(`${pair.harness.backendPath}/feature-persistent`)).toEqual({ ok: true, value: "1" });
    expect(pair.frontend.usesPersistentGrants).toBe(true);
    const counts = await runMixedBlockWorkload(pair.frontend, { total: 2_000, window: 16, seed: 3, diskSectors }, (promise) => pair.harness.settle(promise));
    expect(counts.mismatches).toBe(0);
    const large = randomSectorData(new SeededRandom(4), 200);
    await pair.harness.settle(pair.frontend.write(3000, large));
    expect(equalBytes(await pair.harness.settle(pair.frontend.read(3000, 200)), large)).toBe(true);
    // Never more grants than pool pages (64 by default), and the backend maps each one once.
    expect(pair.frontend.persistentGrantCount).toBeGreaterThan(0);
    expect(pair.frontend.persistentGrantCount).toBeLessThanOrEqual(64);
    expect(pair.backend.persistentMappingCount).toBeGreaterThan(0);
    expect(pair.backend.persistentMappingCount).toBeLessThanOrEqual(pair.frontend.persistentGrantCount);
    expect(pair.problems).toEqual([]);
    await pair.harness.settle(pair.frontend.close());
    expect(pair.frontend.persistentGrantCount).toBe(0);
  });

  it.each<[boolean, boolean]>([
    [true, false],
    [false, true],
  ])("map per request when only one end offers them (frontend %s, backend %s)", async (frontendOffers, backendOffers) => {
    const pair = await connectPair(52, "x86_64-abi", frontendOffers, backendOffers);
    expect(pair.frontend.usesPersistentGrants).toBe(false);
    const counts = await runMixedBlockWorkload(pair.frontend, { total: 500, window: 8, seed: 5, diskSectors }, (promise) => pair.harness.settle(promise));
    expect(counts.mismatches).toBe(0);
    expect(pair.frontend.persistentGrantCount).toBe(0);
    expect(pair.backend.persistentMappingCount).toBe(0);
    expect(pair.problems).toEqual([]);
  });
});
