// Test harness for split connections in-process: one seeded execution, a store with a
// toolstack client, a frontend and a backend domain, their device directories, and a helper
// that runs the scheduler until a promise settles.

import { InProcessExecution } from "../../../runtime/execution/index.js";
import { connectInProcessConnectionStore, createSplitDeviceDirectories, type StoreClientConnectionStore } from "../../../runtime/connection/index.js";
import { StoreClient } from "../../../runtime/store/store-client.js";
import { XenStore } from "../../../runtime/store/store.js";

export interface InProcessSplitHarness {
  readonly execution: InProcessExecution;
  readonly store: XenStore;
  readonly toolstack: StoreClient;
  readonly frontendDomainId: number;
  readonly backendDomainId: number;
  readonly frontendPath: string;
  readonly backendPath: string;
  connectStoreFor(domainId: number): StoreClientConnectionStore;
  settle<T>(promise: Promise<T>): Promise<T>;
  runUntilIdle(): Promise<void>;
}

export function createInProcessSplitHarness(seed: number, deviceKind = "vdev", deviceId = 0, recordTrace = false): InProcessSplitHarness {
  const execution = new InProcessExecution({ seed, recordTrace });
  const hypervisor = execution.hypervisor;
  hypervisor.createDomain({ id: 0, privileged: true, memoryFrames: 16 });
  const backend = hypervisor.createDomain({ memoryFrames: 256 });
  const frontend = hypervisor.createDomain({ memoryFrames: 256 });
  const store = XenStore.open();
  const toolstack = StoreClient.connect(store, { domainId: 0, privileged: true });
  const frontendPath = `/local/domain/${frontend.id}/device/${deviceKind}/${deviceId}`;
  const backendPath = `/local/domain/${backend.id}/backend/${deviceKind}/${frontend.id}/${deviceId}`;
  const created = createSplitDeviceDirectories(toolstack, { frontendDomainId: frontend.id, backendDomainId: backend.id, frontendPath, backendPath });
  if (!created.ok) throw new Error(`cannot create device directories: ${created.error}`);
  const runUntilIdle = async (): Promise<void> => {
    await execution.scheduler.runUntilIdleAsync();
  };
  return {
    execution,
    store,
    toolstack,
    frontendDomainId: frontend.id,
    backendDomainId: backend.id,
    frontendPath,
    backendPath,
    connectStoreFor: (domainId) => connectInProcessConnectionStore(store, domainId, (callback) => execution.scheduler.schedule(callback, `watch-${domainId}`)),
    runUntilIdle,
    async settle<T>(promise: Promise<T>): Promise<T> {
      let settled = false;
      const observed = promise.finally(() => {
        settled = true;
      });
      observed.catch(() => undefined);
      for (let round = 0; round < 10_000 && !settled; round++) {
        await execution.scheduler.runUntilIdleAsync();
        if (!settled) await new Promise<void>((resolve) => setImmediate(resolve));
        if (!settled && !execution.scheduler.hasWork) break;
      }
      if (!settled) throw new Error("the promise did not settle: the simulation went idle first");
      return observed;
    },
  };
}
