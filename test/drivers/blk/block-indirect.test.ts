// Indirect requests (feature-max-indirect-segments) between the block drivers: a backend that
// offers them serves large reads and writes whose segments live in granted descriptor frames,
// on both ABIs, and the data matches; without the offer the frontend refuses large transfers
// and the backend answers an indirect request "not supported"; a count above the offer is an
// error (the spec's contextual clause `indirect_segment_count`).

import { describe, expect, it } from "vitest";
import { BlockBackend, BlockFrontend, BlockOperation, BlockRequestFailed, MemoryDisk, type BlockAbiName } from "../../../drivers/blk/index.js";
import type { ConnectionProblem } from "../../../runtime/connection/index.js";
import { SeededRandom } from "../../../runtime/time/index.js";
import { createInProcessSplitHarness, type InProcessSplitHarness } from "../../runtime/connection/in-process-harness.js";
import { equalBytes, randomSectorData } from "./mixed-block-workload.js";

interface IndirectPair {
  readonly harness: InProcessSplitHarness;
  readonly disk: MemoryDisk;
  readonly backend: BlockBackend;
  readonly frontend: BlockFrontend;
  readonly problems: ConnectionProblem[];
}

async function connectIndirectPair(seed: number, abi: BlockAbiName, maximumIndirectSegments: number, readonly = false): Promise<IndirectPair> {
  const harness = createInProcessSplitHarness(seed, "vbd", 51728);
  const problems: ConnectionProblem[] = [];
  const disk = new MemoryDisk(8192, readonly);
  const backend = new BlockBackend(harness.execution.contextFor(harness.backendDomainId), {
    store: harness.connectStoreFor(harness.backendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    frontendDomainId: harness.frontendDomainId,
    disk,
    maximumIndirectSegments,
    onProblem: (problem) => problems.push(problem),
  });
  const frontend = new BlockFrontend(harness.execution.contextFor(harness.frontendDomainId), {
    store: harness.connectStoreFor(harness.frontendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    backendDomainId: harness.backendDomainId,
    abi,
    // The largest transfer below takes 64 data pages and one descriptor frame.
    dataPageCount: 96,
    onProblem: (problem) => problems.push(problem),
  });
  await harness.settle(backend.start());
  await harness.settle(frontend.connect());
  return { harness, disk, backend, frontend, problems };
}

describe("indirect requests", () => {
  it.each<BlockAbiName>(["x86_64-abi", "x86_32-abi"])("moves transfers beyond 88 sectors through descriptor frames on %s", async (abi) => {
    const pair = await connectIndirectPair(41, abi, 64);
    expect(pair.harness.toolstack.readText(`${pair.harness.backendPath}/feature-max-indirect-segments`)).toEqual({ ok: true, value: "64" });
    expect(pair.frontend.maximumSectorsPerTransfer).toBe(512);
    const random = new SeededRandom(7);
    // 300 sectors: 38 pages, the last one partly used.
    const large = randomSectorData(random, 300);
    await pair.harness.settle(pair.frontend.write(1000, large));
    expect(equalBytes(pair.disk.sectors(1000, 300), large)).toBe(true);
    const readBack = await pair.harness.settle(pair.frontend.read(1000, 300));
    expect(equalBytes(readBack, large)).toBe(true);
    // The whole offer: 64 segments of 8 sectors.
    const whole = randomSectorData(random, 512);
    await pair.harness.settle(pair.frontend.write(4096, whole));
    expect(equalBytes(await pair.harness.settle(pair.frontend.read(4096, 512)), whole)).toBe(true);
    expect(pair.backend.countOf(BlockOperation.indirect)).toBe(4);
    // Small transfers still go direct.
    await pair.harness.settle(pair.frontend.read(0, 88));
    expect(pair.backend.countOf(BlockOperation.indirect)).toBe(4);
    expect(pair.problems).toEqual([]);
    expect(pair.frontend.connection.outstandingRequestCount).toBe(0);
  });

  it("refuses transfers beyond 88 sectors when the backend offers no indirect segments", async () => {
    const pair = await connectIndirectPair(42, "x86_64-abi", 0);
    expect(pair.harness.toolstack.readText(`${pair.harness.backendPath}/feature-max-indirect-segments`)).toMatchObject({ ok: false });
    expect(pair.frontend.maximumSectorsPerTransfer).toBe(88);
    await expect(pair.frontend.write(0, new Uint8Array(89 * 512))).rejects.toBeInstanceOf(RangeError);
    // Barriers never go indirect (the spec allows only read and write there).
    const pairWithOffer = await connectIndirectPair(43, "x86_64-abi", 64);
    await expect(pairWithOffer.frontend.writeBarrier(0, new Uint8Array(89 * 512))).rejects.toBeInstanceOf(RangeError);
  });

  it("answers an indirect write to a read-only disk with an error and leaves the disk alone", async () => {
    const pair = await connectIndirectPair(44, "x86_32-abi", 32, true);
    await expect(pair.harness.settle(pair.frontend.write(0, new Uint8Array(100 * 512).fill(7)))).rejects.toBeInstanceOf(BlockRequestFailed);
    expect(pair.disk.bytes.every((byte) => byte === 0)).toBe(true);
  });

  it("answers an indirect request above the offered segment count with an error", async () => {
    const pair = await connectIndirectPair(45, "x86_64-abi", 16);
    const response = await pair.harness.settle(
      pair.frontend.connection.request((slot, id) => {
        const view = new DataView(slot.buffer, slot.byteOffset, slot.byteLength);
        slot[0] = BlockOperation.indirect;
        slot[1] = BlockOperation.read;
        view.setUint16(2, 17, true);
        view.setUint32(8, id, true);
      }),
    );
    expect(response.status).toBe(-1);
  });
});
