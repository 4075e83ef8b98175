// A hostile or buggy frontend writes malformed blkif requests straight into the ring: the
// backend answers each with an error status (never a crash, never touching the disk), and a
// frontend that corrupts the ring indices is disconnected with a located problem.

import { describe, it, expect } from "vitest";
import { BlockBackend, BlockFrontend, MemoryDisk, type BlockResponse } from "../../../drivers/blk/index.js";
import type { ConnectionProblem } from "../../../runtime/connection/index.js";
import { createInProcessSplitHarness } from "../../runtime/connection/in-process-harness.js";

async function createConnectedPair(seed: number) {
  const harness = createInProcessSplitHarness(seed, "vbd", 768);
  const problems: ConnectionProblem[] = [];
  const disk = new MemoryDisk(64);
  disk.bytes.fill(0x5a);
  const backend = new BlockBackend(harness.execution.contextFor(harness.backendDomainId), {
    store: harness.connectStoreFor(harness.backendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    frontendDomainId: harness.frontendDomainId,
    disk,
    onProblem: (problem) => problems.push(problem),
  });
  const frontend = new BlockFrontend(harness.execution.contextFor(harness.frontendDomainId), {
    store: harness.connectStoreFor(harness.frontendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    backendDomainId: harness.backendDomainId,
    abi: "x86_64-abi",
  });
  await harness.settle(backend.start());
  await harness.settle(frontend.connect());
  return { harness, disk, backend, frontend, problems };
}

/** Sends raw request bytes: `shape` writes everything but the id. */
function sendRaw(frontend: BlockFrontend, shape: (bytes: Uint8Array) => void): Promise<BlockResponse> {
  return frontend.connection.request((slot, id) => {
    shape(slot);
    new DataView(slot.buffer, slot.byteOffset, slot.byteLength).setUint32(8, id, true);
  });
}

describe("block backend against malformed requests", () => {
  it.each<[string, (bytes: Uint8Array) => void, number]>([
    ["twelve segments", (bytes) => { bytes[0] = 0; bytes[1] = 12; }, -1],
    ["first_sect after last_sect", (bytes) => { bytes[0] = 1; bytes[1] = 1; bytes[24 + 4] = 5; bytes[24 + 5] = 2; }, -1],
    ["last_sect beyond the page", (bytes) => { bytes[0] = 0; bytes[1] = 1; bytes[24 + 5] = 8; }, -1],
    ["a grant that was never given", (bytes) => { bytes[0] = 1; bytes[1] = 1; bytes[24] = 200; bytes[24 + 5] = 7; }, -1],
    ["a read with no segments", (bytes) => { bytes[0] = 0; bytes[1] = 0; }, -1],
    ["an unknown operation", (bytes) => { bytes[0] = 9; }, -2],
    ["an indirect request (not offered)", (bytes) => { bytes[0] = 6; }, -2],
    ["a discard past the end of the disk", (bytes) => { bytes[0] = 5; bytes[24] = 65; }, -1],
    ["a discard with unknown flags", (bytes) => { bytes[0] = 5; bytes[1] = 2; bytes[24] = 1; }, -1],
  ])("answers %s with its status and leaves the disk alone", async (_name, shape, status) => {
    const { harness, disk, frontend, problems } = await createConnectedPair(21);
    const response = await harness.settle(sendRaw(frontend, shape));
    expect(response.status).toBe(status);
    expect(disk.bytes.every((byte) => byte === 0x5a)).toBe(true);
    expect(problems).toEqual([]);
    // The connection keeps working for honest requests afterwards.
    expect((await harness.settle(frontend.read(0, 1)))[0]).toBe(0x5a);
  });

  it("disconnects a frontend that publishes a request index far beyond the ring", async () => {
    const { harness, backend, problems } = await createConnectedPair(22);
    const ringReference = readNumber(harness.toolstack.readText(`${harness.frontendPath}/ring-ref`));
    const port = readNumber(harness.toolstack.readText(`${harness.frontendPath}/event-channel`));
    // The hostile frontend scribbles req_prod (offset 0 of the shared page) and notifies.
    const mapped = harness.execution.hypervisor.mapGrant(harness.backendDomainId, harness.frontendDomainId, ringReference, true);
    if (!mapped.ok) throw new Error(mapped.reason);
    new DataView(mapped.view.buffer, mapped.view.byteOffset).setUint32(0, 1000, true);
    harness.execution.hypervisor.unmapGrant(harness.backendDomainId, mapped.handle);
    harness.execution.contextFor(harness.frontendDomainId).notify(port);
    await harness.runUntilIdle();
    expect(problems.map((problem) => problem.code)).toContain("connection-ring-fault");
    expect(backend.connection.currentPhase).toBe("closed");
    expect(harness.toolstack.readText(`${harness.backendPath}/state`)).toEqual({ ok: true, value: "5" });
  });
});

function readNumber(result: { ok: true; value: string } | { ok: false }): number {
  if (!result.ok) throw new Error("key missing");
  return Number(result.value);
}
