// The generated blkif stubs check the store schema's `where` clauses: a reader refuses a peer's
// key that breaks its clause (a StoreKeyUnreadable naming the clause, which fails connect()), a
// writer refuses to publish its own breaking value (StoreKeyClauseRefused, nothing written), and
// a clause over a key neither end knows yet is left undecided rather than refused.

import { describe, expect, it } from "vitest";
import type { ConnectionProblem } from "../../../runtime/connection/index.js";
import { ConnectionRequestFailed, StoreKeyClauseRefused, StoreKeyClauseValues, StoreKeyUnreadable } from "../../../runtime/gen/v1.js";
import {
  BlkifBackend,
  BlkifFrontend,
  formatBlkifBackendConnectedKeys,
  formatBlkifBackendInitWaitKeys,
  formatBlkifFrontendInitialisedKeys,
  readBlkifBackendKeys,
  readBlkifFrontendKeys,
  storeKeyClauses,
  type BlkifBackendInitWaitKeys,
} from "../../../drivers/blk/generated/blkif.js";
import { createInProcessSplitHarness } from "../../runtime/connection/in-process-harness.js";

const honestOffer: BlkifBackendInitWaitKeys = { featureBarrier: false, featureFlushCache: true, featureDiscard: false, featurePersistent: false, maxRingPageOrder: 2 };

function reading(texts: Record<string, string>): (key: string) => Promise<string | undefined> {
  return async (key) => texts[key];
}

function slotOf(role: string, key: string): number {
  return storeKeyClauses.slots.findIndex((slot) => slot.role === role && slot.key === key);
}

describe("generated readers refuse a peer's key that breaks its clause", () => {
  const device = { sectors: "2048", "sector-size": "512" };

  it("a value outside a constant bound (max-ring-page-order 5 > MAX_RING_PAGE_ORDER)", async () => {
    const refused = await readBlkifBackendKeys(reading({ ...device, "max-ring-page-order": "5" }));
    expect(refused).toBeInstanceOf(StoreKeyUnreadable);
    expect(refused).toMatchObject({ key: "max-ring-page-order", text: "5", clauseId: "blkif.backend.max-ring-page-order" });
    expect((refused as StoreKeyUnreadable).message).toBe('store key max-ring-page-order holds "5", which breaks clause blkif.backend.max-ring-page-order (value <= MAX_RING_PAGE_ORDER)');
  });

  it("a sector size that is not a power of two, and one below 512", async () => {
    expect(await readBlkifBackendKeys(reading({ ...device, "sector-size": "1536" }))).toMatchObject({ clauseId: "blkif.backend.sector-size", text: "1536" });
    expect(await readBlkifBackendKeys(reading({ ...device, "sector-size": "256" }))).toMatchObject({ clauseId: "blkif.backend.sector-size" });
    expect(await readBlkifBackendKeys(reading({ ...device, "sector-size": "4096" }))).toMatchObject({ sectorSize: 4096 });
  });

  it("a key against another key of the same role (physical-sector-size below sector-size)", async () => {
    expect(await readBlkifBackendKeys(reading({ ...device, "physical-sector-size": "256" }))).toMatchObject({ clauseId: "blkif.backend.physical-sector-size" });
    expect(await readBlkifBackendKeys(reading({ ...device, "physical-sector-size": "4096" }))).toMatchObject({ physicalSectorSize: 4096 });
  });

  it("a frontend key against the reader's own offer, and undecided while the reader offers nothing", async () => {
    const frontendTexts = reading({ "multi-queue-num-queues": "4" });
    expect(await readBlkifFrontendKeys(frontendTexts, { multiQueueMaxQueues: 2 })).toMatchObject({ key: "multi-queue-num-queues", clauseId: "blkif.frontend.multi-queue-num-queues" });
    expect(await readBlkifFrontendKeys(frontendTexts, { multiQueueMaxQueues: 4 })).toMatchObject({ multiQueueNumQueues: 4 });
    // No offer known: the clause reads an absent key without default, so it is not judged.
    expect(await readBlkifFrontendKeys(frontendTexts)).toMatchObject({ multiQueueNumQueues: 4 });
    // The conjunct over constants alone decides zero queues, offer or not.
    expect(await readBlkifFrontendKeys(reading({ "multi-queue-num-queues": "0" }))).toMatchObject({ clauseId: "blkif.frontend.multi-queue-num-queues" });
  });
});

describe("generated writers refuse to publish a breaking value", () => {
  it("an offer above a constant bound throws StoreKeyClauseRefused naming the clause", () => {
    expect(() => formatBlkifBackendInitWaitKeys({ ...honestOffer, maxRingPageOrder: 5 })).toThrow(StoreKeyClauseRefused);
    try {
      formatBlkifBackendInitWaitKeys({ ...honestOffer, maxRingPageOrder: 5 });
    } catch (error) {
      expect(error).toMatchObject({ clauseId: "blkif.backend.max-ring-page-order", key: "max-ring-page-order", value: 5 });
    }
    expect(formatBlkifBackendInitWaitKeys(honestOffer)["max-ring-page-order"]).toBe("2");
  });

  it("a sector size that is not a power of two, and a physical sector size below it", () => {
    expect(() => formatBlkifBackendConnectedKeys({ sectors: 1, info: 0, sectorSize: 1000 })).toThrow(/blkif\.backend\.sector-size/);
    expect(() => formatBlkifBackendConnectedKeys({ sectors: 1, info: 0, sectorSize: 4096, physicalSectorSize: 512 })).toThrow(/blkif\.backend\.physical-sector-size/);
    expect(formatBlkifBackendConnectedKeys({ sectors: 1, info: 0, sectorSize: 512, physicalSectorSize: 4096 })).toMatchObject({ "sector-size": "512", "physical-sector-size": "4096" });
  });

  it("a frontend key against the backend's offer read beforehand", () => {
    const known = new StoreKeyClauseValues(storeKeyClauses);
    known.assignText(slotOf("backend", "multi-queue-max-queues"), "2");
    expect(() => formatBlkifFrontendInitialisedKeys({ multiQueueNumQueues: 4 }, known)).toThrow(/blkif\.frontend\.multi-queue-num-queues/);
    expect(formatBlkifFrontendInitialisedKeys({ multiQueueNumQueues: 2 }, known)).toEqual({ "multi-queue-num-queues": "2" });
    // Without the offer the clause is undecided and the key is written.
    expect(formatBlkifFrontendInitialisedKeys({ multiQueueNumQueues: 4 })).toEqual({ "multi-queue-num-queues": "4" });
  });
});

describe("generated stubs over a store", () => {
  /** A hostile backend writes its keys by hand through the toolstack. */
  function writeBackendKeys(harness: ReturnType<typeof createInProcessSplitHarness>, entries: readonly (readonly [string, string])[]): void {
    for (const [key, value] of entries) harness.toolstack.write(`${harness.backendPath}/${key}`, value);
  }

  function createFrontend(harness: ReturnType<typeof createInProcessSplitHarness>, problems: ConnectionProblem[], keys?: { readonly multiQueueNumQueues?: number }): BlkifFrontend {
    return new BlkifFrontend(harness.execution.contextFor(harness.frontendDomainId), {
      store: harness.connectStoreFor(harness.frontendDomainId),
      frontendPath: harness.frontendPath,
      backendPath: harness.backendPath,
      backendDomainId: harness.backendDomainId,
      abi: "x86_64-abi",
      ...(keys === undefined ? {} : { keys }),
      onProblem: (problem) => problems.push(problem),
    });
  }

  it("a frontend's connect() fails cleanly when the backend publishes sector-size 7", async () => {
    const harness = createInProcessSplitHarness(51, "vbd", 768);
    const problems: ConnectionProblem[] = [];
    const frontend = createFrontend(harness, problems);
    writeBackendKeys(harness, [["max-ring-page-order", "0"], ["state", "2"]]);
    const connecting = frontend.connect();
    await harness.runUntilIdle();
    writeBackendKeys(harness, [["sectors", "100"], ["sector-size", "7"], ["state", "4"]]);
    const failure = await harness.settle(connecting.then(() => undefined, (error: unknown) => error));
    expect(failure).toBeInstanceOf(ConnectionRequestFailed);
    expect((failure as ConnectionRequestFailed).problem).toMatchObject({ code: "connection-bad-peer-key" });
    expect((failure as ConnectionRequestFailed).message).toContain("blkif.backend.sector-size");
    expect(problems).toContainEqual(expect.objectContaining({ code: "connection-bad-peer-key", location: `${harness.backendPath}/sector-size` }));
  });

  it("a frontend asked for more queues than the backend offers publishes nothing and goes Closing", async () => {
    const harness = createInProcessSplitHarness(52, "vbd", 768);
    const problems: ConnectionProblem[] = [];
    const frontend = createFrontend(harness, problems, { multiQueueNumQueues: 4 });
    writeBackendKeys(harness, [["max-ring-page-order", "0"], ["multi-queue-max-queues", "2"], ["state", "2"]]);
    const failure = await harness.settle(frontend.connect().then(() => undefined, (error: unknown) => error));
    expect(failure).toBeInstanceOf(ConnectionRequestFailed);
    expect((failure as ConnectionRequestFailed).problem).toMatchObject({ code: "connection-own-key-refused", location: `${harness.frontendPath}/multi-queue-num-queues` });
    expect(harness.toolstack.readText(`${harness.frontendPath}/multi-queue-num-queues`).ok).toBe(false);
    expect(harness.toolstack.readText(`${harness.frontendPath}/event-channel`).ok).toBe(false);
    expect(harness.toolstack.readText(`${harness.frontendPath}/state`)).toEqual({ ok: true, value: "5" });
  });

  it("a backend whose session keys break a clause refuses the session instead of publishing them", async () => {
    const harness = createInProcessSplitHarness(53, "vbd", 768);
    const problems: ConnectionProblem[] = [];
    const backend = new BlkifBackend(harness.execution.contextFor(harness.backendDomainId), {
      store: harness.connectStoreFor(harness.backendDomainId),
      frontendPath: harness.frontendPath,
      backendPath: harness.backendPath,
      frontendDomainId: harness.frontendDomainId,
      keys: honestOffer,
      sessionKeys: () => ({ sectors: 2048, info: 0, sectorSize: 520 }),
      onProblem: (problem) => problems.push(problem),
    });
    const frontend = createFrontend(harness, []);
    await harness.settle(backend.serve({ serve: () => ({ id: 0, operation: 0, status: 0 }), refuse: () => ({ id: 0, operation: 0, status: -1 }) }));
    void frontend.connect().catch(() => undefined);
    await harness.runUntilIdle();
    expect(problems).toContainEqual(expect.objectContaining({ code: "connection-own-key-refused", location: `${harness.backendPath}/sector-size` }));
    expect(harness.toolstack.readText(`${harness.backendPath}/sector-size`).ok).toBe(false);
    expect(harness.toolstack.readText(`${harness.backendPath}/state`)).toEqual({ ok: true, value: "5" });
  });

  it("an honest pair with every optional key set connects without a problem", async () => {
    const harness = createInProcessSplitHarness(54, "vbd", 768);
    const problems: ConnectionProblem[] = [];
    const backend = new BlkifBackend(harness.execution.contextFor(harness.backendDomainId), {
      store: harness.connectStoreFor(harness.backendDomainId),
      frontendPath: harness.frontendPath,
      backendPath: harness.backendPath,
      frontendDomainId: harness.frontendDomainId,
      keys: honestOffer,
      sessionKeys: () => ({ sectors: 2048, info: 0, sectorSize: 4096, physicalSectorSize: 4096, multiQueueMaxQueues: 4, featureMaxIndirectSegments: 256 }),
      onProblem: (problem) => problems.push(problem),
    });
    const frontend = createFrontend(harness, problems, { multiQueueNumQueues: 1 });
    await harness.settle(backend.serve({ serve: () => ({ id: 0, operation: 0, status: 0 }), refuse: () => ({ id: 0, operation: 0, status: -1 }) }));
    const keys = await harness.settle(frontend.connect());
    expect(keys).toMatchObject({ sectorSize: 4096, physicalSectorSize: 4096, multiQueueMaxQueues: 4 });
    expect(problems).toEqual([]);
  });
});
