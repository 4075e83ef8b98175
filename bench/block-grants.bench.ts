// Block-driver grant strategies, both ends on one thread with the hypervisor's microtask event
// delivery: 4 KiB reads with a grant, map, unmap and end per page and request (the baseline)
// against persistent grants (feature-persistent on both ends), and a 256 KiB write as
// direct requests of at most 88 sectors (six, issued together) against one indirect request.

import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { BlockBackend, BlockFrontend, MemoryDisk } from "../drivers/blk/index.js";
import { connectInProcessConnectionStore, createSplitDeviceDirectories } from "../runtime/connection/index.js";
import { Hypervisor } from "../runtime/hypervisor/index.js";
import { StoreClient } from "../runtime/store/store-client.js";
import { XenStore } from "../runtime/store/store.js";
import { createMicrotaskContext } from "./support/microtask-domain-context.js";
import { formatRate } from "./support/figures.js";
import type { BenchSuite } from "./suite.js";

const measureMilliseconds = 1500;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface ConnectedDrivers {
  readonly frontend: BlockFrontend;
  readonly store: XenStore;
}

async function connectDrivers(options: { readonly persistentGrants: boolean; readonly maximumIndirectSegments: number }): Promise<ConnectedDrivers> {
  const hypervisor = new Hypervisor();
  hypervisor.createDomain({ id: 0, privileged: true, memoryFrames: 16 });
  const backendDomain = hypervisor.createDomain({ memoryFrames: 256 });
  const frontendDomain = hypervisor.createDomain({ memoryFrames: 256 });
  const store = XenStore.open();
  const toolstack = StoreClient.connect(store, { domainId: 0, privileged: true });
  const frontendPath = `/local/domain/${frontendDomain.id}/device/vbd/1`;
  const backendPath = `/local/domain/${backendDomain.id}/backend/vbd/${frontendDomain.id}/1`;
  createSplitDeviceDirectories(toolstack, { frontendDomainId: frontendDomain.id, backendDomainId: backendDomain.id, frontendPath, backendPath });
  const backend = new BlockBackend(createMicrotaskContext(hypervisor, backendDomain.id), {
    store: connectInProcessConnectionStore(store, backendDomain.id),
    frontendPath,
    backendPath,
    frontendDomainId: frontendDomain.id,
    disk: new MemoryDisk(8192),
    persistentGrants: options.persistentGrants,
    maximumIndirectSegments: options.maximumIndirectSegments,
  });
  const frontend = new BlockFrontend(createMicrotaskContext(hypervisor, frontendDomain.id), {
    store: connectInProcessConnectionStore(store, frontendDomain.id),
    frontendPath,
    backendPath,
    backendDomainId: backendDomain.id,
    abi: "x86_64-abi",
    dataPageCount: 128,
    persistentGrants: options.persistentGrants,
  });
  await backend.start();
  await frontend.connect();
  return { frontend, store };
}

async function measureWindowed(window: number, issue: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let operations = 0;
  const batch: Array<Promise<unknown>> = new Array<Promise<unknown>>(window);
  while (performance.now() - start < measureMilliseconds) {
    for (let index = 0; index < window; index++) batch[index] = issue();
    await Promise.all(batch);
    operations += window;
  }
  return (operations * 1000) / (performance.now() - start);
}

async function measureSmallReads(persistentGrants: boolean): Promise<number> {
  const { frontend, store } = await connectDrivers({ persistentGrants, maximumIndirectSegments: 0 });
  let next = 0;
  const rate = await measureWindowed(32, () => frontend.read((next++ % 1000) * 8, 8));
  await frontend.close();
  store.close();
  return rate;
}

/** 512-sector writes: one indirect request, or six direct requests of at most 88 sectors issued together. */
async function measureLargeWrites(indirect: boolean): Promise<number> {
  const { frontend, store } = await connectDrivers({ persistentGrants: false, maximumIndirectSegments: indirect ? 64 : 0 });
  const data = new Uint8Array(512 * 512).fill(3);
  let next = 0;
  const rate = await measureWindowed(1, async () => {
    const first = (next++ % 14) * 512;
    if (indirect) return frontend.write(first, data);
    const parts: Array<Promise<void>> = [];
    for (let sector = 0; sector < 512; sector += 88) parts.push(frontend.write(first + sector, data.subarray(sector * 512, Math.min(512, sector + 88) * 512)));
    return Promise.all(parts);
  });
  await frontend.close();
  store.close();
  return rate;
}

export const suite: BenchSuite = {
  name: "block-driver grant strategies (both ends on one thread, microtask delivery)",
  async run() {
    print(`cores ${availableParallelism()}, load average ${loadavg()[0]!.toFixed(1)}; ${measureMilliseconds} ms per figure`);
    const perRequest = await measureSmallReads(false);
    const persistent = await measureSmallReads(true);
    const direct = await measureLargeWrites(false);
    const indirect = await measureLargeWrites(true);
    print(`4 KiB reads, grant+map per request (baseline)  ${formatRate(perRequest)}`);
    print(`4 KiB reads, persistent grants                  ${formatRate(persistent)}  = ${(persistent / perRequest).toFixed(2)}x the baseline`);
    print(`256 KiB writes as 6 direct requests (baseline)  ${formatRate(direct)}`);
    print(`256 KiB writes as 1 indirect request            ${formatRate(indirect)}  = ${(indirect / direct).toFixed(2)}x the direct writes`);
  },
};
