// Split-connection and block-driver benchmark, both ends on one thread with the hypervisor's
// microtask event delivery: request/response through SplitConnectionFrontend/Backend (promise
// per request, correlation table, copy-once, notify rule) against the bare ring doing the same
// produce/consume/respond work, and 4 KiB block reads/writes through the drivers (grant, map,
// copy, unmap, end access per page) against the echo connection.

import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { BlockBackend, BlockFrontend, MemoryDisk } from "../drivers/blk/index.js";
import { SplitConnectionBackend, SplitConnectionFrontend, connectInProcessConnectionStore, createSplitDeviceDirectories, type SplitConnectionDescription } from "../runtime/connection/index.js";
import { Hypervisor } from "../runtime/hypervisor/index.js";
import { SharedRingBackend, SharedRingFrontend, computeSharedRingBytes } from "../runtime/ring/index.js";
import { StoreClient } from "../runtime/store/store-client.js";
import { XenStore } from "../runtime/store/store.js";
import { createMicrotaskContext } from "./support/microtask-domain-context.js";
import { formatRate } from "./support/figures.js";
import type { BenchSuite } from "./suite.js";

const measureMilliseconds = 1500;
const window = 32;
const echoDescription: SplitConnectionDescription = {
  slotBytes: 112,
  requestIdOffset: 8,
  responseIdOffset: 0,
  idBytes: 8,
  maximumRingPageOrder: 0,
  ringReferenceKey: "ring-ref",
  ringPageOrderKey: "ring-page-order",
  eventChannelKey: "event-channel",
};

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The bare ring: produce 32 requests, push, consume them, answer each, push, consume responses. */
function measureBareRing(): number {
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const frontend = SharedRingFrontend.initialize(memory, echoDescription.slotBytes);
  const backend = SharedRingBackend.attach(memory, echoDescription.slotBytes);
  const request = new Uint8Array(echoDescription.slotBytes).fill(3);
  const copy = new Uint8Array(echoDescription.slotBytes);
  const start = performance.now();
  let messages = 0;
  while (performance.now() - start < measureMilliseconds) {
    for (let index = 0; index < window; index++) frontend.produceRequest(request);
    frontend.pushRequests();
    backend.beginRequestBatch();
    for (let index = 0; index < window; index++) {
      backend.consumeRequestInto(copy);
      backend.produceResponse(copy);
    }
    backend.pushResponses();
    frontend.beginResponseBatch();
    for (let index = 0; index < window; index++) frontend.consumeResponseInto(copy);
    messages += window;
  }
  return (messages * 1000) / (performance.now() - start);
}

interface BenchHost {
  readonly hypervisor: Hypervisor;
  readonly store: XenStore;
  readonly frontendDomainId: number;
  readonly backendDomainId: number;
  readonly frontendPath: string;
  readonly backendPath: string;
}

function createHost(): BenchHost {
  const hypervisor = new Hypervisor();
  hypervisor.createDomain({ id: 0, privileged: true, memoryFrames: 16 });
  const backend = hypervisor.createDomain({ memoryFrames: 256 });
  const frontend = hypervisor.createDomain({ memoryFrames: 256 });
  const store = XenStore.open();
  const toolstack = StoreClient.connect(store, { domainId: 0, privileged: true });
  const frontendPath = `/local/domain/${frontend.id}/device/vbd/1`;
  const backendPath = `/local/domain/${backend.id}/backend/vbd/${frontend.id}/1`;
  createSplitDeviceDirectories(toolstack, { frontendDomainId: frontend.id, backendDomainId: backend.id, frontendPath, backendPath });
  return { hypervisor, store, frontendDomainId: frontend.id, backendDomainId: backend.id, frontendPath, backendPath };
}

async function measureWindowed(issue: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let messages = 0;
  const batch: Array<Promise<unknown>> = new Array<Promise<unknown>>(window);
  while (performance.now() - start < measureMilliseconds) {
    for (let index = 0; index < window; index++) batch[index] = issue();
    await Promise.all(batch);
    messages += window;
  }
  return (messages * 1000) / (performance.now() - start);
}

async function measureEchoConnection(): Promise<number> {
  const host = createHost();
  const backend = new SplitConnectionBackend<number>(createMicrotaskContext(host.hypervisor, host.backendDomainId), {
    description: echoDescription,
    store: connectInProcessConnectionStore(host.store, host.backendDomainId),
    frontendPath: host.frontendPath,
    backendPath: host.backendPath,
    frontendDomainId: host.frontendDomainId,
    featureKeys: {},
    onFrontendInitialised: async () => ({ ok: true, keys: {} }),
    handleRequest: (copy) => copy[8]! | (copy[9]! << 8) | (copy[10]! << 16) | (copy[11]! << 24),
    encodeResponse: (slot, id) => {
      slot[0] = id & 0xff;
      slot[1] = (id >>> 8) & 0xff;
      slot[2] = (id >>> 16) & 0xff;
      slot[3] = (id >>> 24) & 0xff;
    },
  });
  const frontend = new SplitConnectionFrontend<number>(createMicrotaskContext(host.hypervisor, host.frontendDomainId), {
    description: echoDescription,
    store: connectInProcessConnectionStore(host.store, host.frontendDomainId),
    frontendPath: host.frontendPath,
    backendPath: host.backendPath,
    backendDomainId: host.backendDomainId,
    chooseTransport: async () => ({ ringPageOrder: 0, keys: {} }),
    decodeResponse: (copy) => copy[0]!,
  });
  await backend.start();
  await frontend.connect();
  const encode = (slot: Uint8Array, id: number): void => {
    slot[8] = id & 0xff;
    slot[9] = (id >>> 8) & 0xff;
    slot[10] = (id >>> 16) & 0xff;
    slot[11] = (id >>> 24) & 0xff;
  };
  const rate = await measureWindowed(() => frontend.request(encode));
  await frontend.close();
  host.store.close();
  return rate;
}

async function measureBlock(direction: "read" | "write"): Promise<number> {
  const host = createHost();
  const backend = new BlockBackend(createMicrotaskContext(host.hypervisor, host.backendDomainId), {
    store: connectInProcessConnectionStore(host.store, host.backendDomainId),
    frontendPath: host.frontendPath,
    backendPath: host.backendPath,
    frontendDomainId: host.frontendDomainId,
    disk: new MemoryDisk(8192),
  });
  const frontend = new BlockFrontend(createMicrotaskContext(host.hypervisor, host.frontendDomainId), {
    store: connectInProcessConnectionStore(host.store, host.frontendDomainId),
    frontendPath: host.frontendPath,
    backendPath: host.backendPath,
    backendDomainId: host.backendDomainId,
    abi: "x86_64-abi",
  });
  await backend.start();
  await frontend.connect();
  const data = new Uint8Array(4096).fill(7);
  let next = 0;
  const rate = await measureWindowed(() => {
    const sector = (next++ % 1000) * 8;
    return direction === "read" ? frontend.read(sector, 8) : frontend.write(sector, data);
  });
  await frontend.close();
  host.store.close();
  return rate;
}

export const suite: BenchSuite = {
  name: "split connections and block drivers (both ends on one thread, microtask delivery)",
  async run() {
    print(`cores ${availableParallelism()}, load average ${loadavg()[0]!.toFixed(1)}; window ${window} requests, ${measureMilliseconds} ms per figure`);
    const bare = measureBareRing();
    const echo = await measureEchoConnection();
    const writes = await measureBlock("write");
    const reads = await measureBlock("read");
    print(`bare ring request+response (baseline)       ${formatRate(bare)}`);
    print(`connection request/response (echo)          ${formatRate(echo)}  = ${(echo / bare).toFixed(3)}x the bare ring`);
    print(`block 4 KiB read through the drivers         ${formatRate(reads)}  = ${(reads / echo).toFixed(3)}x the echo connection`);
    print(`block 4 KiB write through the drivers        ${formatRate(writes)}  = ${(writes / echo).toFixed(3)}x the echo connection`);
  },
};
