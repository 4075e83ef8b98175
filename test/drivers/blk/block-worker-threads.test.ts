// The block drivers with each domain on its own worker thread: the ring and data pages are
// real shared memory, notifications cross threads through Atomics, and each domain reaches
// the main thread's store over a BroadcastChannel. Needs dist/ (npx tsc -p .).

import { afterEach, describe, it, expect } from "vitest";
import { randomUUID } from "node:crypto";
import { connectInProcessConnectionStore, createSplitDeviceDirectories, serveConnectionStoreOverBroadcastChannel } from "../../../runtime/connection/index.js";
import { WorkerThreadsExecution, type DomainWorker } from "../../../runtime/execution/index.js";
import { Hypervisor } from "../../../runtime/hypervisor/index.js";
import { StoreClient } from "../../../runtime/store/store-client.js";
import { XenStore } from "../../../runtime/store/store.js";
import type { BlockAbiName } from "../../../drivers/blk/index.js";
import type { BlockBackendProgramInput, BlockBackendProgramOutput } from "./programs/block-backend-program.js";
import type { BlockFrontendProgramInput, BlockFrontendProgramOutput } from "./programs/block-frontend-program.js";

const compiledFrontend = new URL("../../../dist/test/drivers/blk/programs/block-frontend-program.js", import.meta.url);
const compiledBackend = new URL("../../../dist/test/drivers/blk/programs/block-backend-program.js", import.meta.url);
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("block drivers end to end (worker threads)", () => {
  it.each<BlockAbiName>(["x86_64-abi", "x86_32-abi"])("a frontend thread and a backend thread run the handshake, 10,000 mixed requests and teardown on %s", async (abi) => {
    const hypervisor = new Hypervisor();
    const execution = new WorkerThreadsExecution(hypervisor);
    hypervisor.createDomain({ id: 0, privileged: true, memoryFrames: 16 });
    const backendDomain = hypervisor.createDomain({ memoryFrames: 256 });
    const frontendDomain = hypervisor.createDomain({ memoryFrames: 256 });
    const store = XenStore.open();
    const toolstack = StoreClient.connect(store, { domainId: 0, privileged: true });
    const frontendPath = `/local/domain/${frontendDomain.id}/device/vbd/51712`;
    const backendPath = `/local/domain/${backendDomain.id}/backend/vbd/${frontendDomain.id}/51712`;
    expect(createSplitDeviceDirectories(toolstack, { frontendDomainId: frontendDomain.id, backendDomainId: backendDomain.id, frontendPath, backendPath }).ok).toBe(true);
    const backendChannel = `proto-desc-store-${randomUUID()}`;
    const frontendChannel = `proto-desc-store-${randomUUID()}`;
    cleanups.push(serveConnectionStoreOverBroadcastChannel(backendChannel, connectInProcessConnectionStore(store, backendDomain.id)));
    cleanups.push(serveConnectionStoreOverBroadcastChannel(frontendChannel, connectInProcessConnectionStore(store, frontendDomain.id)));
    const diskSectors = 4096;
    const backend: DomainWorker<BlockBackendProgramOutput> = execution.startDomain(backendDomain.id, compiledBackend, {
      storeChannelName: backendChannel,
      frontendPath,
      backendPath,
      frontendDomainId: frontendDomain.id,
      diskSectors,
    } satisfies BlockBackendProgramInput);
    cleanups.push(() => backend.terminate());
    const frontend: DomainWorker<BlockFrontendProgramOutput> = execution.startDomain(frontendDomain.id, compiledFrontend, {
      storeChannelName: frontendChannel,
      frontendPath,
      backendPath,
      backendDomainId: backendDomain.id,
      abi,
      requestCount: 10_000,
      seed: 77,
      diskSectors,
    } satisfies BlockFrontendProgramInput);
    cleanups.push(() => frontend.terminate());
    const [frontendOutput, backendOutput] = await Promise.all([frontend.output, backend.output]);
    expect(frontendOutput.sectors).toBe(diskSectors);
    expect(frontendOutput.counts.mismatches).toBe(0);
    expect(frontendOutput.counts.reads + frontendOutput.counts.writes + frontendOutput.counts.flushes + frontendOutput.counts.discards).toBe(10_000);
    expect(frontendOutput.problems).toEqual([]);
    expect(backendOutput).toEqual({ servedRequests: 10_000, abi, problems: [] });
    expect(toolstack.readText(`${frontendPath}/state`)).toEqual({ ok: true, value: "6" });
    expect(toolstack.readText(`${backendPath}/state`)).toEqual({ ok: true, value: "6" });
    store.close();
  }, 60_000);
});
