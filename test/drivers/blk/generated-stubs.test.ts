// The generated blkif stubs on their own (no driver code): the ABI is chosen from the
// frontend's `protocol` key and the backend decodes with that ABI's codecs, the backend
// publishes every InitWait key from its typed object before InitWait, typed requests come back
// as typed responses with id and operation echoed, a refused request is still answered, and a
// bad `protocol` value or malformed backend key is reported with its store path.

import { describe, expect, it } from "vitest";
import type { ConnectionProblem } from "../../../runtime/connection/index.js";
import { StoreKeyUnreadable, StubMessageRefused } from "../../../runtime/gen/v1.js";
import {
  BlkifBackend,
  BlkifFrontend,
  Operation,
  Status,
  codecsByAbi,
  createRequest,
  layoutTables,
  stubSlotLayoutsByAbi,
  readBlkifBackendKeys,
  type AbiKeyValue,
  type AbiName,
  type BlkifBackendRequestHandler,
  type Request,
} from "../../../drivers/blk/generated/blkif.js";
import { createInProcessSplitHarness, type InProcessSplitHarness } from "../../runtime/connection/in-process-harness.js";

interface ServedRequest {
  readonly abi: AbiName;
  readonly operation: number;
  readonly sectorNumber: number;
  readonly nrSegments: number;
  readonly firstGrant: number;
}

interface StubPair {
  readonly harness: InProcessSplitHarness;
  readonly frontend: BlkifFrontend;
  readonly backend: BlkifBackend;
  readonly served: ServedRequest[];
  readonly refused: string[];
  readonly problems: ConnectionProblem[];
}

function createStubPair(seed: number, abi: AbiKeyValue): StubPair {
  const harness = createInProcessSplitHarness(seed, "vbd", 768);
  const served: ServedRequest[] = [];
  const refused: string[] = [];
  const problems: ConnectionProblem[] = [];
  const backend = new BlkifBackend(harness.execution.contextFor(harness.backendDomainId), {
    store: harness.connectStoreFor(harness.backendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    frontendDomainId: harness.frontendDomainId,
    keys: { featureBarrier: false, featureFlushCache: true, featureDiscard: false, featurePersistent: false, maxRingPageOrder: 2 },
    sessionKeys: ({ frontendKeys }) => ({ sectors: 2048, info: 0, sectorSize: 512, discardSecure: frontendKeys.featurePersistent }),
    onProblem: (problem) => problems.push(problem),
  });
  const frontend = new BlkifFrontend(harness.execution.contextFor(harness.frontendDomainId), {
    store: harness.connectStoreFor(harness.frontendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    backendDomainId: harness.backendDomainId,
    abi,
    ringPageOrder: 3,
    keys: { featurePersistent: true },
    onProblem: (problem) => problems.push(problem),
  });
  return { harness, frontend, backend, served, refused, problems };
}

function recordingHandler(pair: Pick<StubPair, "served" | "refused">): BlkifBackendRequestHandler {
  return {
    serve(request, abi) {
      const body = request.operationVariant.read;
      pair.served.push({ abi, operation: request.operation, sectorNumber: body.sectorNumber, nrSegments: body.nrSegments, firstGrant: body.seg[0]?.gref ?? -1 });
      // The id and operation are left wrong on purpose: the stub echoes the request's.
      return { id: 0, operation: Operation.reserved1, status: Status.okay };
    },
    refuse(reason) {
      pair.refused.push(reason.fieldPath);
      return { id: 0, operation: Operation.reserved1, status: Status.error };
    },
  };
}

function readRequest(sectorNumber: number, grant: number): Request {
  const request = createRequest();
  request.operation = Operation.read;
  request.operationVariant.arm = "read";
  const body = request.operationVariant.read;
  body.nrSegments = 1;
  body.sectorNumber = sectorNumber;
  const segment = body.seg[0]!;
  segment.gref = grant;
  segment.firstSect = 0;
  segment.lastSect = 7;
  return request;
}

describe("generated blkif stubs", () => {
  it.each<[AbiKeyValue, AbiName]>([
    ["x86_32-abi", "x86_32"],
    ["x86_64-abi", "x86_64"],
  ])("a %s frontend makes the backend decode with the %s codecs", async (abiKey, abi) => {
    const pair = createStubPair(31, abiKey);
    await pair.harness.settle(pair.backend.serve(recordingHandler(pair)));
    const backendKeys = await pair.harness.settle(pair.frontend.connect());
    expect(pair.backend.abi).toBe(abi);
    expect(pair.frontend.abi).toBe(abi);
    expect(pair.harness.toolstack.readText(`${pair.harness.frontendPath}/protocol`)).toEqual({ ok: true, value: abiKey });
    expect(backendKeys).toMatchObject({ sectors: 2048, sectorSize: 512, featureFlushCache: true, featureBarrier: false, maxRingPageOrder: 2, discardSecure: true });
    // A sector number above 2^32 exercises the u64 at its ABI-specific offset.
    const response = await pair.harness.settle(pair.frontend.send(readRequest(0x1_2345_6789, 77)));
    expect(pair.served).toEqual([{ abi, operation: Operation.read, sectorNumber: 0x1_2345_6789, nrSegments: 1, firstGrant: 77 }]);
    expect(response.status).toBe(Status.okay);
    expect(response.operation).toBe(Operation.read);
    // The ring page order the frontend asked for (3) is capped by max-ring-page-order (2).
    expect(pair.harness.toolstack.readText(`${pair.harness.frontendPath}/ring-page-order`)).toEqual({ ok: true, value: "2" });
    expect(pair.problems).toEqual([]);
  });

  it("takes each ABI's slot size and id offsets from the same layout the codecs use", () => {
    for (const abi of ["x86_64", "x86_32", "arm"] as const) {
      const layout = layoutTables[abi === "x86_32" ? "x86_32" : "x86_64"];
      const slot = stubSlotLayoutsByAbi[abi];
      // The read arm starts after the one-byte operation; every arm puts the id at the same place.
      expect(slot.requestIdOffset).toBe(1 + layout.Request_read.fields.id.offset);
      expect(slot.requestIdOffset).toBe(1 + layout.Request_discard.fields.id.offset);
      expect(slot.responseIdOffset).toBe(layout.Response.fields.id.offset);
      expect(slot.slotBytes).toBe(Math.max(codecsByAbi[abi].Request.size, codecsByAbi[abi].Response.size));
      expect(slot.echoedFields).toEqual([{ requestOffset: layout.Request.fields.operation.offset, responseOffset: layout.Response.fields.operation.offset, width: 1 }]);
    }
  });

  it("publishes every InitWait key from the typed object before announcing InitWait", async () => {
    const pair = createStubPair(32, "x86_64-abi");
    const seenAtInitWait: Record<string, string | undefined> = {};
    const keys = ["feature-barrier", "feature-flush-cache", "feature-discard", "feature-persistent", "max-ring-page-order"];
    await pair.harness.settle(pair.backend.serve(recordingHandler(pair)));
    for (const key of keys) {
      const read = pair.harness.toolstack.readText(`${pair.harness.backendPath}/${key}`);
      seenAtInitWait[key] = read.ok ? read.value : undefined;
    }
    expect(pair.harness.toolstack.readText(`${pair.harness.backendPath}/state`)).toEqual({ ok: true, value: "2" });
    expect(seenAtInitWait).toEqual({ "feature-barrier": "0", "feature-flush-cache": "1", "feature-discard": "0", "feature-persistent": "0", "max-ring-page-order": "2" });
  });

  it("answers a request that fails validation through refuse(), with the id echoed so the promise settles", async () => {
    const pair = createStubPair(33, "x86_64-abi");
    await pair.harness.settle(pair.backend.serve(recordingHandler(pair)));
    await pair.harness.settle(pair.frontend.connect());
    const response = await pair.harness.settle(
      pair.frontend.connection.request((slot, id) => {
        slot[0] = Operation.read;
        slot[1] = 12; // twelve segments: more than the array holds
        new DataView(slot.buffer, slot.byteOffset).setUint32(8, id, true);
      }),
    );
    expect(response.status).toBe(Status.error);
    expect(pair.refused).toEqual(["operation_variant.read.seg"]);
  });

  it("refuses to send a request that breaks a where clause, before it reaches the ring", async () => {
    const pair = createStubPair(34, "x86_64-abi");
    await pair.harness.settle(pair.backend.serve(recordingHandler(pair)));
    await pair.harness.settle(pair.frontend.connect());
    const request = readRequest(0, 1);
    request.operationVariant.read.seg[0]!.lastSect = 9;
    await expect(pair.frontend.send(request)).rejects.toBeInstanceOf(StubMessageRefused);
    expect(pair.frontend.connection.outstandingRequestCount).toBe(0);
  });

  it("rejects a protocol value the spec does not list, at both ends", async () => {
    const pair = createStubPair(35, "x86_64-abi");
    expect(() => new BlkifFrontend(pair.harness.execution.contextFor(pair.harness.frontendDomainId), { store: pair.harness.connectStoreFor(pair.harness.frontendDomainId), frontendPath: pair.harness.frontendPath, backendPath: pair.harness.backendPath, backendDomainId: pair.harness.backendDomainId, abi: "sparc-abi" as AbiKeyValue })).toThrow(RangeError);
    await pair.harness.settle(pair.backend.serve(recordingHandler(pair)));
    // A hostile frontend writes its transport keys by hand with an ABI nobody speaks.
    for (const [key, value] of [["ring-ref", "8"], ["event-channel", "3"], ["protocol", "sparc-abi"], ["state", "3"]] as const) {
      pair.harness.toolstack.write(`${pair.harness.frontendPath}/${key}`, value);
    }
    await pair.harness.runUntilIdle();
    expect(pair.problems).toContainEqual(expect.objectContaining({ code: "connection-bad-peer-key", location: `${pair.harness.frontendPath}/protocol` }));
    expect(pair.harness.toolstack.readText(`${pair.harness.backendPath}/state`)).toEqual({ ok: true, value: "5" });
  });

  it("reads the backend's keys with defaults and reports a malformed one by name", async () => {
    const texts: Record<string, string> = { sectors: "100", "sector-size": "512" };
    const keys = await readBlkifBackendKeys(async (key) => texts[key]);
    expect(keys).toMatchObject({ sectors: 100, sectorSize: 512, info: 0, featureBarrier: false, maxRingPageOrder: 0, featureMaxIndirectSegments: undefined });
    texts["info"] = "8";
    expect(await readBlkifBackendKeys(async (key) => texts[key])).toMatchObject({ key: "info", text: "8" });
    texts["info"] = "4";
    texts["sectors"] = "-1";
    const unreadable = await readBlkifBackendKeys(async (key) => texts[key]);
    expect(unreadable).toBeInstanceOf(StoreKeyUnreadable);
    expect(unreadable).toMatchObject({ key: "sectors", text: "-1" });
    delete texts["sectors"];
    expect(await readBlkifBackendKeys(async (key) => texts[key])).toMatchObject({ key: "sectors", text: undefined });
  });

  it("reconnects after the backend is reset and restarted, re-issuing the request in flight", async () => {
    const pair = createStubPair(36, "x86_32-abi");
    const slowHandler: BlkifBackendRequestHandler = { serve: () => new Promise(() => undefined), refuse: () => ({ id: 0, operation: Operation.reserved1, status: Status.error }) };
    await pair.harness.settle(pair.backend.serve(slowHandler));
    await pair.harness.settle(pair.frontend.connect());
    const pending = pair.frontend.send(readRequest(5, 9));
    await pair.harness.runUntilIdle();
    expect(pair.frontend.connection.outstandingRequestCount).toBe(1);
    pair.harness.execution.resetDomain(pair.harness.backendDomainId);
    pair.backend.abandon();
    pair.harness.toolstack.write(`${pair.harness.backendPath}/state`, "6");
    await pair.harness.runUntilIdle();
    const replacement = new BlkifBackend(pair.harness.execution.contextFor(pair.harness.backendDomainId), {
      store: pair.harness.connectStoreFor(pair.harness.backendDomainId),
      frontendPath: pair.harness.frontendPath,
      backendPath: pair.harness.backendPath,
      frontendDomainId: pair.harness.frontendDomainId,
      keys: { featureBarrier: true, featureFlushCache: true, featureDiscard: true, featurePersistent: false, maxRingPageOrder: 2 },
      sessionKeys: () => ({ sectors: 10, info: 0, sectorSize: 512 }),
    });
    await pair.harness.settle(replacement.serve(recordingHandler(pair)));
    const response = await pair.harness.settle(pending);
    expect(response).toMatchObject({ operation: Operation.read, status: Status.okay });
    expect(pair.served).toEqual([{ abi: "x86_32", operation: Operation.read, sectorNumber: 5, nrSegments: 1, firstGrant: 9 }]);
    expect(pair.frontend.connection.connectionCount).toBe(2);
    expect(pair.frontend.backendKeys?.sectors).toBe(10);
  });
});
