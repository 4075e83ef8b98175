// A whole blkif connection on real objects for the policer's tests: a hypervisor with a
// frontend (domain 1) and a backend (domain 2), a store with both xenbus directories, a shared
// ring and an event channel between them, policed with the MonitorSpec generated from
// protocols/blkif.proto-desc for the chosen ABI, and a policer writing to an in-memory audit sink.

import type { AuditEntry, AuditRecord } from "../../runtime/audit/audit-record.js";
import type { AuditSink } from "../../runtime/audit/audit-log-writer.js";
import { Hypervisor } from "../../runtime/hypervisor/index.js";
import type { MonitorSpec } from "../../runtime/monitor/index.js";
import { Policer, type PeerResetNotice, type PolicerVerdict } from "../../runtime/policer/index.js";
import { SharedRingBackend, SharedRingFrontend } from "../../runtime/ring/index.js";
import type { StoreClient } from "../../runtime/store/store-client.js";
import type { XenStore, XenStoreOptions } from "../../runtime/store/store.js";
import { VirtualClock } from "../../runtime/time/index.js";
import { createStoreFixture, expectOk } from "../store/store-fixture.js";
import { describeBlkifWire, XenbusState, type BlkifAbi, type BlkifWire } from "./blkif-wire.js";

export { XenbusState, type BlkifAbi, type BlkifWire } from "./blkif-wire.js";

export class MemoryAuditSink implements AuditSink {
  readonly records: AuditRecord[] = [];
  constructor(private readonly clock: VirtualClock) {}
  append(entry: AuditEntry): AuditRecord {
    const record = { ...entry, seq: this.records.length + 1, time: this.clock.now() } as AuditRecord;
    this.records.push(record);
    return record;
  }
}

export const frontendId = 1;
export const backendId = 2;
export const frontendDirectory = `/local/domain/${frontendId}/device/vbd/51712`;
export const backendDirectory = `/local/domain/${backendId}/backend/vbd/${frontendId}/51712`;
export const connectionName = "vbd/1/51712";

export interface BlkifHost {
  /** The ABI the connection's ring uses, its generated layout and codecs. */
  readonly wire: BlkifWire;
  /** The spec the policer polices the connection with (the generated one unless overridden). */
  readonly spec: MonitorSpec;
  readonly clock: VirtualClock;
  readonly hypervisor: Hypervisor;
  readonly audit: MemoryAuditSink;
  readonly policer: Policer;
  readonly store: XenStore;
  readonly toolstack: StoreClient;
  readonly frontendStore: StoreClient;
  readonly backendStore: StoreClient;
  frontendRing: SharedRingFrontend;
  backendRing: SharedRingBackend;
  /** The frontend's own view of the ring page (a hostile frontend writes here directly). */
  frontendRingMemory: Uint8Array;
  ringReference: number;
  frontendPort: number;
  backendPort: number;
  readonly verdicts: PolicerVerdict[];
  readonly notices: PeerResetNotice[];
  nextRequestId: number;
  /** Per outstanding request id of the honest frontend: the grant references and frames it lent. */
  readonly lentPages: Map<number, { readonly references: readonly number[]; readonly frames: readonly number[] }>;
  /** Which ends publish `feature-persistent = 1` in the handshake (the frontend writes nothing when it does not). */
  readonly featurePersistent: BlkifFeaturePersistent;
}

/** Which ends of the connection offer persistent grants. */
export interface BlkifFeaturePersistent {
  readonly frontend: boolean;
  readonly backend: boolean;
}

export interface BlkifHostOptions {
  /** The ring's ABI (x86_64 unless given): picks the generated monitorSpecX86_64 or monitorSpecX86_32. */
  readonly abi?: BlkifAbi;
  /** Polices with this spec instead of the generated one (for the engine's audits the generated spec does not configure). */
  readonly spec?: MonitorSpec;
  readonly storeOptions?: XenStoreOptions;
  readonly quarantine?: boolean;
  /** Stop before the handshake (states stay Initialising). */
  readonly skipHandshake?: boolean;
  /** The clock to run on (a seeded scheduler's, to test the policer's own audit schedule). */
  readonly clock?: VirtualClock;
  /** Which ends publish `feature-persistent = 1` (neither unless given). */
  readonly featurePersistent?: BlkifFeaturePersistent;
}

export function createBlkifHost(options: BlkifHostOptions = {}): BlkifHost {
  const wire = describeBlkifWire(options.abi ?? "x86_64");
  const spec = options.spec ?? wire.spec;
  const clock = options.clock ?? new VirtualClock();
  const hypervisor = new Hypervisor();
  hypervisor.createDomain({ id: 0, privileged: true });
  hypervisor.createDomain({ id: frontendId });
  hypervisor.createDomain({ id: backendId });
  const fixture = createStoreFixture(options.storeOptions ?? {});
  const frontendStore = fixture.guest(frontendId);
  const backendStore = fixture.guest(backendId);
  const toolstack = fixture.toolstack;
  for (const [directory, owner, reader] of [[frontendDirectory, frontendId, backendId], [backendDirectory, backendId, frontendId]] as const) {
    expectOk(toolstack.write(`${directory}/state`, String(XenbusState.initialising)));
    for (let prefix: string = directory; prefix.split("/").length > 4; prefix = prefix.slice(0, prefix.lastIndexOf("/"))) {
      expectOk(toolstack.setPermissions(prefix, [{ domainId: owner, access: "n" }, { domainId: reader, access: "r" }]));
    }
    expectOk(toolstack.setPermissions(`${directory}/state`, [{ domainId: owner, access: "n" }, { domainId: reader, access: "r" }]));
  }
  const audit = new MemoryAuditSink(clock);
  const verdicts: PolicerVerdict[] = [];
  const notices: PeerResetNotice[] = [];
  const policer = new Policer({
    hypervisor,
    store: fixture.store,
    clock,
    audit,
    quarantine: () => options.quarantine ?? false,
    onVerdict: (verdict) => verdicts.push(verdict),
    onPeerReset: (notice) => notices.push(notice),
  });
  const ring = connectRing(hypervisor, policer, wire, spec);
  const host: BlkifHost = {
    wire,
    spec,
    clock,
    hypervisor,
    audit,
    policer,
    frontendStore,
    backendStore,
    store: fixture.store,
    toolstack,
    ...ring,
    verdicts,
    notices,
    nextRequestId: 1,
    lentPages: new Map(),
    featurePersistent: options.featurePersistent ?? { frontend: false, backend: false },
  };
  if (options.skipHandshake !== true) performHandshake(host);
  return host;
}

interface RingConnection {
  readonly frontendRing: SharedRingFrontend;
  readonly backendRing: SharedRingBackend;
  readonly frontendRingMemory: Uint8Array;
  readonly ringReference: number;
  readonly frontendPort: number;
  readonly backendPort: number;
}

/** The frontend shares a fresh ring page and event channel; the policer attaches; the backend maps and binds. */
function connectRing(hypervisor: Hypervisor, policer: Policer, wire: BlkifWire, spec: MonitorSpec): RingConnection {
  const ringFrame = hypervisor.allocatePages(frontendId, 1);
  if (ringFrame === undefined) throw new Error("no frame for the ring");
  const frontendRingMemory = hypervisor.viewOwnPages(frontendId, ringFrame, 1);
  if (frontendRingMemory === undefined) throw new Error("no view of the ring");
  const frontendRing = SharedRingFrontend.initialize(frontendRingMemory, wire.requestBytes);
  const grant = hypervisor.grantAccess(frontendId, backendId, ringFrame, false);
  if (!grant.ok) throw new Error(grant.reason);
  const attached = policer.attach({
    name: connectionName,
    spec,
    parties: [
      { role: "frontend", domainId: frontendId, directory: frontendDirectory },
      { role: "backend", domainId: backendId, directory: backendDirectory },
    ],
    ringPages: [{ granterRole: "frontend", references: [grant.reference] }],
  });
  if (!attached.ok) throw new Error(attached.reason);
  const mapped = hypervisor.mapGrant(backendId, frontendId, grant.reference, true);
  if (!mapped.ok) throw new Error(mapped.reason);
  const backendRing = SharedRingBackend.attach(mapped.view, wire.requestBytes);
  const unbound = hypervisor.allocateUnboundPort(frontendId, backendId);
  if (!unbound.ok) throw new Error(unbound.reason);
  const bound = hypervisor.bindInterdomain(backendId, frontendId, unbound.port);
  if (!bound.ok) throw new Error(bound.reason);
  return { frontendRing, backendRing, frontendRingMemory, ringReference: grant.reference, frontendPort: unbound.port, backendPort: bound.port };
}

/**
 * After a reset: the toolstack returns both directories to Initialising (the blamed party's
 * state may have been forced to Closed), the old ring is abandoned and a fresh one is connected,
 * policed and handshaken.
 */
export function reconnect(host: BlkifHost): void {
  for (const directory of [frontendDirectory, backendDirectory]) expectOk(host.toolstack.write(`${directory}/state`, String(XenbusState.initialising)));
  Object.assign(host, connectRing(host.hypervisor, host.policer, host.wire, host.spec));
  host.lentPages.clear();
  performHandshake(host);
}

/** The backend's feature keys, published before InitWait (protocols/blkif.proto-desc lifecycle). */
export const backendFeatureKeys = [["feature-barrier", "0"], ["feature-flush-cache", "1"], ["feature-discard", "1"], ["feature-persistent", "0"], ["max-ring-page-order", "0"]] as const;

/** The xenbus handshake of protocols/blkif.proto-desc's lifecycle, done honestly by both parties. */
export function performHandshake(host: BlkifHost): void {
  for (const [key, value] of backendFeatureKeys) expectOk(host.backendStore.write(`${backendDirectory}/${key}`, key === "feature-persistent" && host.featurePersistent.backend ? "1" : value));
  expectOk(host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.initWait)));
  if (host.featurePersistent.frontend) expectOk(host.frontendStore.write(`${frontendDirectory}/feature-persistent`, "1"));
  expectOk(host.frontendStore.write(`${frontendDirectory}/ring-ref`, String(host.ringReference)));
  expectOk(host.frontendStore.write(`${frontendDirectory}/event-channel`, String(host.frontendPort)));
  expectOk(host.frontendStore.write(`${frontendDirectory}/protocol`, `${host.wire.abi}-abi`));
  expectOk(host.frontendStore.write(`${frontendDirectory}/state`, String(XenbusState.initialised)));
  for (const [key, value] of [["sectors", "2048"], ["info", "0"], ["sector-size", "512"]] as const) expectOk(host.backendStore.write(`${backendDirectory}/${key}`, value));
  expectOk(host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.connected)));
  expectOk(host.frontendStore.write(`${frontendDirectory}/state`, String(XenbusState.connected)));
}

/** The frontend grants `segments` fresh data pages to the backend; returns references and frames. */
export function lendDataPages(host: BlkifHost, segments: number, readonly = false): { references: number[]; frames: number[] } {
  const references: number[] = [];
  const frames: number[] = [];
  for (let segment = 0; segment < segments; segment += 1) {
    const frame = host.hypervisor.allocatePages(frontendId, 1);
    if (frame === undefined) throw new Error("frontend out of memory");
    const granted = host.hypervisor.grantAccess(frontendId, backendId, frame, readonly);
    if (!granted.ok) throw new Error(granted.reason);
    references.push(granted.reference);
    frames.push(frame);
  }
  return { references, frames };
}

export function grantDataPages(host: BlkifHost, segments: number, readonly = false): number[] {
  return lendDataPages(host, segments, readonly).references;
}

/** An honest frontend I/O: lends fresh pages, publishes the request, notifies; returns the id. */
export function issueRequest(host: BlkifHost, operation: number, segments: number): number {
  const lent = lendDataPages(host, segments);
  const id = sendRequest(host, operation, lent.references);
  host.lentPages.set(id, lent);
  return id;
}

/** An honest frontend request: publish, push, notify. Returns the request id. */
export function sendRequest(host: BlkifHost, operation: number, grantReferences: readonly number[], id = host.nextRequestId++): number {
  if (!host.frontendRing.produceRequest(host.wire.encodeRequest(operation, id, grantReferences))) throw new Error("ring full");
  host.frontendRing.pushRequests();
  host.hypervisor.sendEvent(frontendId, host.frontendPort);
  return id;
}

/** An honest backend pass: consume every request, map and unmap its segments, respond, notify. */
export function serveRequests(host: BlkifHost, options: { readonly leaveMapped?: boolean } = {}): number {
  const batch = host.backendRing.beginRequestBatch();
  if (batch < 0) throw new Error(`backend sees ring fault ${batch}`);
  let served = 0;
  for (let count = 0; count < batch; count += 1) {
    const slot = host.backendRing.consumeRequest();
    if (slot === null) break;
    const request = host.wire.decodeRequest(slot);
    const operation = request.operation;
    const read = request.operationVariant.read;
    const segments = request.operationVariant.arm === "read" ? read.nrSegments : 0;
    const id = read.id;
    const handles: number[] = [];
    for (let segment = 0; segment < segments; segment += 1) {
      const mapped = host.hypervisor.mapGrant(backendId, frontendId, read.seg[segment]?.gref ?? -1, operation === 0);
      if (!mapped.ok) throw new Error(mapped.reason);
      if (operation === 0) mapped.view.fill(0xab, 0, 512);
      handles.push(mapped.handle);
    }
    if (options.leaveMapped !== true) for (const handle of handles) host.hypervisor.unmapGrant(backendId, handle);
    host.backendRing.produceResponse(host.wire.encodeResponse(id, operation, 0));
    served += 1;
  }
  host.backendRing.pushResponses();
  if (served > 0) host.hypervisor.sendEvent(backendId, host.backendPort);
  return served;
}

/** An honest frontend pass over responses: consume them (and end access to their segments). */
export function collectResponses(host: BlkifHost): number[] {
  const batch = host.frontendRing.beginResponseBatch();
  if (batch < 0) throw new Error(`frontend sees ring fault ${batch}`);
  const identifiers: number[] = [];
  for (let count = 0; count < batch; count += 1) {
    const response = host.frontendRing.consumeResponse();
    if (response === null) break;
    const id = Number(new DataView(response.buffer, response.byteOffset, response.byteLength).getBigUint64(host.wire.offsets.responseId, true));
    identifiers.push(id);
    const lent = host.lentPages.get(id);
    if (lent === undefined) continue;
    host.lentPages.delete(id);
    for (const reference of lent.references) host.hypervisor.endAccess(frontendId, reference);
    for (const frame of lent.frames) host.hypervisor.freePages(frontendId, frame, 1);
  }
  return identifiers;
}

/** Writes a u32 ring header word the way a hostile party scribbles on shared memory. */
export function writeHeaderWord(memory: Uint8Array, byteOffset: number, value: number): void {
  new DataView(memory.buffer, memory.byteOffset, memory.byteLength).setUint32(byteOffset, value >>> 0, true);
}
