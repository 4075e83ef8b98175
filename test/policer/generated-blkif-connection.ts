// A blkif connection policed with the GENERATED monitor spec (drivers/blk/generated/blkif.ts) on
// real objects: hypervisor, store, shared ring and event channel, with a handshake that publishes
// exactly the keys the generated lifecycle demands. Messages are built with the generated codecs.

import { layoutTables, monitorSpecX86_64, Operation, Status, createRequest, createResponse, encodeRequestX86_64, encodeResponseX86_64 } from "../../drivers/blk/generated/blkif.js";
import { Hypervisor } from "../../runtime/hypervisor/index.js";
import type { MonitorSpec } from "../../runtime/monitor/index.js";
import { Policer, type PolicerVerdict } from "../../runtime/policer/index.js";
import { SharedRingBackend, SharedRingFrontend } from "../../runtime/ring/index.js";
import type { StoreClient } from "../../runtime/store/store-client.js";
import type { XenStoreOptions } from "../../runtime/store/store.js";
import { VirtualClock } from "../../runtime/time/index.js";
import { createStoreFixture, expectOk } from "../store/store-fixture.js";
import { MemoryAuditSink } from "./blkif-host.js";

export const generatedFrontendId = 1;
export const generatedBackendId = 2;
export const generatedFrontendDirectory = `/local/domain/${generatedFrontendId}/device/vbd/51712`;
export const generatedBackendDirectory = `/local/domain/${generatedBackendId}/backend/vbd/${generatedFrontendId}/51712`;
export const generatedConnectionName = "vbd/1/51712";

const requestBytes = layoutTables.x86_64.Request.size;
const responseBytes = layoutTables.x86_64.Response.size;
const xenbus = { initialising: 1, initWait: 2, initialised: 3, connected: 4 } as const;

export interface GeneratedBlkifConnection {
  readonly spec: MonitorSpec;
  readonly clock: VirtualClock;
  readonly hypervisor: Hypervisor;
  readonly policer: Policer;
  readonly audit: MemoryAuditSink;
  readonly frontendStore: StoreClient;
  readonly backendStore: StoreClient;
  readonly frontendRing: SharedRingFrontend;
  readonly backendRing: SharedRingBackend;
  readonly frontendPort: number;
  readonly backendPort: number;
  readonly verdicts: PolicerVerdict[];
  nextRequestId: number;
}

export interface GeneratedBlkifConnectionOptions {
  readonly storeOptions?: XenStoreOptions;
  /** Leave both parties in Initialising (the handshake is the test's business). */
  readonly skipHandshake?: boolean;
}

/** Sets up, attaches the policer with `monitorSpecX86_64` and (unless told not to) handshakes honestly. */
export function connectGeneratedBlkif(options: GeneratedBlkifConnectionOptions = {}): GeneratedBlkifConnection {
  const clock = new VirtualClock();
  const hypervisor = new Hypervisor();
  hypervisor.createDomain({ id: 0, privileged: true });
  hypervisor.createDomain({ id: generatedFrontendId });
  hypervisor.createDomain({ id: generatedBackendId });
  const fixture = createStoreFixture(options.storeOptions ?? {});
  const frontendStore = fixture.guest(generatedFrontendId);
  const backendStore = fixture.guest(generatedBackendId);
  for (const [directory, owner, reader] of [
    [generatedFrontendDirectory, generatedFrontendId, generatedBackendId],
    [generatedBackendDirectory, generatedBackendId, generatedFrontendId],
  ] as const) {
    expectOk(fixture.toolstack.write(`${directory}/state`, String(xenbus.initialising)));
    for (let prefix: string = directory; prefix.split("/").length > 4; prefix = prefix.slice(0, prefix.lastIndexOf("/"))) {
      expectOk(fixture.toolstack.setPermissions(prefix, [{ domainId: owner, access: "n" }, { domainId: reader, access: "r" }]));
    }
    expectOk(fixture.toolstack.setPermissions(`${directory}/state`, [{ domainId: owner, access: "n" }, { domainId: reader, access: "r" }]));
  }
  const audit = new MemoryAuditSink(clock);
  const verdicts: PolicerVerdict[] = [];
  const policer = new Policer({ hypervisor, store: fixture.store, clock, audit, quarantine: () => false, onVerdict: (verdict) => verdicts.push(verdict) });
  const ringFrame = hypervisor.allocatePages(generatedFrontendId, 1);
  const frontendRingMemory = ringFrame === undefined ? undefined : hypervisor.viewOwnPages(generatedFrontendId, ringFrame, 1);
  if (ringFrame === undefined || frontendRingMemory === undefined) throw new Error("no frame for the ring");
  const frontendRing = SharedRingFrontend.initialize(frontendRingMemory, requestBytes);
  const grant = hypervisor.grantAccess(generatedFrontendId, generatedBackendId, ringFrame, false);
  if (!grant.ok) throw new Error(grant.reason);
  const attached = policer.attach({
    name: generatedConnectionName,
    spec: monitorSpecX86_64,
    parties: [
      { role: "frontend", domainId: generatedFrontendId, directory: generatedFrontendDirectory },
      { role: "backend", domainId: generatedBackendId, directory: generatedBackendDirectory },
    ],
    ringPages: [{ granterRole: "frontend", references: [grant.reference] }],
  });
  if (!attached.ok) throw new Error(attached.reason);
  const mapped = hypervisor.mapGrant(generatedBackendId, generatedFrontendId, grant.reference, true);
  if (!mapped.ok) throw new Error(mapped.reason);
  const backendRing = SharedRingBackend.attach(mapped.view, requestBytes);
  const unbound = hypervisor.allocateUnboundPort(generatedFrontendId, generatedBackendId);
  if (!unbound.ok) throw new Error(unbound.reason);
  const bound = hypervisor.bindInterdomain(generatedBackendId, generatedFrontendId, unbound.port);
  if (!bound.ok) throw new Error(bound.reason);
  const connection: GeneratedBlkifConnection = {
    spec: monitorSpecX86_64,
    clock,
    hypervisor,
    policer,
    audit,
    frontendStore,
    backendStore,
    frontendRing,
    backendRing,
    frontendPort: unbound.port,
    backendPort: bound.port,
    verdicts,
    nextRequestId: 1,
  };
  if (options.skipHandshake !== true) {
    for (const [role, from, to] of [
      ["backend", xenbus.initialising, xenbus.initWait],
      ["frontend", xenbus.initialising, xenbus.initialised],
      ["backend", xenbus.initWait, xenbus.connected],
      ["frontend", xenbus.initialised, xenbus.connected],
    ] as const) {
      moveState(connection, role, from, to);
    }
  }
  return connection;
}

/** One honest lifecycle step: publish the keys the generated transition requires, then the state. */
export function moveState(connection: GeneratedBlkifConnection, role: "frontend" | "backend", from: number, to: number): void {
  const transition = connection.spec.lifecycle.transitions.find((candidate) => candidate.role === role && candidate.from === from && candidate.to === to);
  if (transition === undefined) throw new Error(`the generated lifecycle has no ${role} ${from} -> ${to}`);
  const store = role === "frontend" ? connection.frontendStore : connection.backendStore;
  const directory = role === "frontend" ? generatedFrontendDirectory : generatedBackendDirectory;
  for (const key of transition.requiredKeys) {
    const value = key === "event-channel" ? String(connection.frontendPort) : key === "sector-size" ? "512" : key === "sectors" ? "2048" : "0";
    expectOk(store.write(`${directory}/${key}`, value));
  }
  expectOk(store.write(`${directory}/state`, String(to)));
}

/** The frontend publishes a flush request (no segments, so no grants) and notifies. */
export function sendFlushRequest(connection: GeneratedBlkifConnection): number {
  const request = createRequest();
  request.operation = Operation.flushDiskcache;
  const id = connection.nextRequestId++;
  request.operationVariant.read.id = id;
  const bytes = new Uint8Array(requestBytes);
  const failure = encodeRequestX86_64(request, new DataView(bytes.buffer), 0);
  if (failure !== undefined) throw new Error(String(failure));
  if (!connection.frontendRing.produceRequest(bytes)) throw new Error("ring full");
  connection.frontendRing.pushRequests();
  connection.hypervisor.sendEvent(generatedFrontendId, connection.frontendPort);
  return id;
}

/** The backend answers every published request honestly and notifies. */
export function answerRequests(connection: GeneratedBlkifConnection): number {
  const batch = connection.backendRing.beginRequestBatch();
  if (batch < 0) throw new Error(`backend sees ring fault ${batch}`);
  const idOffset = layoutTables.x86_64.Request.fields.operation_variant.offset + layoutTables.x86_64.Request_read.fields.id.offset;
  let answered = 0;
  for (let count = 0; count < batch; count += 1) {
    const request = connection.backendRing.consumeRequest();
    if (request === null) break;
    const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
    const response = createResponse();
    response.id = Number(view.getBigUint64(idOffset, true));
    response.operation = view.getUint8(0) as Operation;
    response.status = Status.okay;
    const bytes = new Uint8Array(responseBytes);
    const failure = encodeResponseX86_64(response, new DataView(bytes.buffer), 0);
    if (failure !== undefined) throw new Error(String(failure));
    connection.backendRing.produceResponse(bytes);
    answered += 1;
  }
  connection.backendRing.pushResponses();
  if (answered > 0) connection.hypervisor.sendEvent(generatedBackendId, connection.backendPort);
  return answered;
}

/** Clause and blamed role of every verdict so far. */
export function listVerdicts(connection: GeneratedBlkifConnection): [string, string][] {
  return connection.verdicts.map((verdict) => [verdict.clauseId, verdict.blamed.role]);
}

/** The frontend takes every published response off the ring; returns how many. */
export function consumeResponses(connection: GeneratedBlkifConnection): number {
  const batch = connection.frontendRing.beginResponseBatch();
  if (batch < 0) throw new Error(`frontend sees ring fault ${batch}`);
  let consumed = 0;
  while (consumed < batch && connection.frontendRing.consumeResponse() !== null) consumed += 1;
  return consumed;
}
