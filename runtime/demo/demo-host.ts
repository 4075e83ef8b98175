// The whole host of `proto-desc demo` in one process: hypervisor, store, broker with the
// bundled policy, policer, and honest or hostile blkif parties. It runs the scenarios and
// returns their timeline as data; printing is the CLI command's job.

import type { AuditEntry, AuditRecord } from "../audit/audit-record.js";
import type { AuditSink } from "../audit/audit-log-writer.js";
import { Broker, type BrokeredConnection } from "../broker/broker.js";
import { StoreClientBrokerStore } from "../broker/store-client-broker-store.js";
import { Hypervisor } from "../hypervisor/index.js";
import { Policer, type PolicerVerdict } from "../policer/index.js";
import { PolicyEngine } from "../policy/policy-engine.js";
import { SharedRingBackend, SharedRingFrontend } from "../ring/index.js";
import { StoreClient } from "../store/store-client.js";
import { XenStore } from "../store/store.js";
import { VirtualClock } from "../time/index.js";
import { blkifMonitorSpec, encodeRequest, encodeResponse, requestBytes, XenbusState } from "./blkif-monitor-spec.js";
import { createDemoPolicy, demoBlockDeviceClass } from "./demo-policy.js";

export type DemoPhase = "setup" | "handshake" | "traffic" | "violation" | "verdict" | "reset" | "recovery" | "denied";

export interface DemoTimelineEntry {
  /** Virtual milliseconds since the host started. */
  readonly time: number;
  readonly scenario: string;
  readonly phase: DemoPhase;
  readonly message: string;
  readonly clause?: string;
  readonly specSpan?: string;
  readonly blamedRole?: string;
}

export interface DemoSummary {
  readonly requestsAnswered: number;
  readonly verdicts: number;
  readonly honestPartiesBlamed: number;
  readonly deniedConnections: number;
  readonly auditRecords: number;
}

export interface DemoResult {
  readonly timeline: readonly DemoTimelineEntry[];
  readonly summary: DemoSummary;
}

class CollectingAuditSink implements AuditSink {
  readonly records: AuditRecord[] = [];
  constructor(private readonly clock: VirtualClock) {}
  append(entry: AuditEntry): AuditRecord {
    const record = { ...entry, seq: this.records.length + 1, time: this.clock.now() } as AuditRecord;
    this.records.push(record);
    return record;
  }
}

interface DemoDomain {
  readonly id: number;
  readonly name: string;
  readonly labels: readonly string[];
}

const guest: DemoDomain = { id: 1, name: "guest-a", labels: ["guest_a"] };
const driver: DemoDomain = { id: 2, name: "driver", labels: ["storage_driver"] };
const sandbox: DemoDomain = { id: 3, name: "sandbox", labels: ["isolated"] };

interface LiveDisk {
  readonly connection: BrokeredConnection;
  readonly frontend: SharedRingFrontend;
  readonly backend: SharedRingBackend;
  readonly ringMemory: Uint8Array;
  readonly frontendPort: number;
  readonly backendPort: number;
}

export function runDemo(): DemoResult {
  const clock = new VirtualClock();
  const timeline: DemoTimelineEntry[] = [];
  let scenario = "setup";
  const note = (phase: DemoPhase, message: string, extra: Partial<DemoTimelineEntry> = {}): void => {
    timeline.push({ time: clock.now(), scenario, phase, message, ...extra });
  };

  const hypervisor = new Hypervisor();
  hypervisor.createDomain({ id: 0, privileged: true, labels: ["dom0"] });
  for (const domain of [guest, driver, sandbox]) hypervisor.createDomain({ id: domain.id, labels: domain.labels });
  const store = XenStore.open();
  const toolstack = StoreClient.connect(store, { domainId: 0, privileged: true });
  toolstack.mkdir("/local/domain");
  for (const domain of [guest, driver, sandbox]) {
    toolstack.introduceDomain(domain.id, 1000n + BigInt(domain.id), 1);
    toolstack.mkdir(`/local/domain/${domain.id}`);
    toolstack.setPermissions(`/local/domain/${domain.id}`, [{ domainId: domain.id, access: "n" }]);
  }
  const clients = new Map([guest, driver].map((domain) => [domain.id, StoreClient.connect(store, { domainId: domain.id, privileged: false })]));
  const audit = new CollectingAuditSink(clock);
  const created = Broker.create({ engine: PolicyEngine.fromPolicy(createDemoPolicy()), store: new StoreClientBrokerStore(toolstack), audit, resourceClasses: [demoBlockDeviceClass] });
  if (created.broker === undefined) throw new Error(`demo broker: ${created.problems.map((problem) => problem.message).join("; ")}`);
  const broker = created.broker;
  const verdicts: PolicerVerdict[] = [];
  let requestsToReissue = 0;
  const policer = new Policer({
    hypervisor,
    store,
    clock,
    audit,
    onVerdict: (verdict) => {
      verdicts.push(verdict);
      const violation = verdict.violation;
      if (violation !== null) note("violation", violation.evidence.detail + (violation.evidence.bytes === undefined ? "" : ` [bytes ${violation.evidence.bytes.slice(0, 48)}…]`), { clause: violation.clauseId, specSpan: violation.specSpan });
      note("verdict", `${verdict.confirmed ? "confirmed" : "not confirmed"}: ${verdict.blamed.role} (domain ${verdict.blamed.domainId}) blamed for ${verdict.clauseId}`, { clause: verdict.clauseId, blamedRole: verdict.blamed.role });
      const reset = [...audit.records].reverse().find((record) => record.kind === "reset");
      if (reset?.kind === "reset") note("reset", `${reset.party.role} reset: ${reset.actions.join(", ")}${reset.quarantined ? ", quarantined" : ""}`, { blamedRole: reset.party.role });
    },
    onPeerReset: (notice) => {
      requestsToReissue = notice.inFlightRequestIds.length;
      note("recovery", `${notice.honest.role} notified; ${notice.inFlightRequestIds.length} in-flight request(s) to re-issue: ${notice.inFlightRequestIds.join(", ") || "none"}`);
    },
  });
  note("setup", `hypervisor with dom0, ${guest.name} (${guest.id}), ${driver.name} (${driver.id}), ${sandbox.name} (${sandbox.id}); store, broker (policy demo-host) and policer running`);

  const storeOf = (id: number): StoreClient => {
    const client = clients.get(id);
    if (client === undefined) throw new Error(`no store client for domain ${id}`);
    return client;
  };

  /** Frontend and backend set up a ring, the policer attaches, and the xenbus handshake runs. */
  const bringUp = (connection: BrokeredConnection): LiveDisk => {
    const frame = hypervisor.allocatePages(guest.id, 1);
    const ringMemory = frame === undefined ? undefined : hypervisor.viewOwnPages(guest.id, frame, 1);
    if (frame === undefined || ringMemory === undefined) throw new Error("demo: guest out of memory");
    const frontend = SharedRingFrontend.initialize(ringMemory, requestBytes);
    const grant = hypervisor.grantAccess(guest.id, driver.id, frame, false);
    if (!grant.ok) throw new Error(`demo: ${grant.reason}`);
    const attached = policer.attach({
      name: connection.key,
      spec: blkifMonitorSpec,
      parties: [
        { role: "frontend", domainId: guest.id, directory: connection.frontendDirectory },
        { role: "backend", domainId: driver.id, directory: connection.backendDirectory },
      ],
      ringPages: [{ granterRole: "frontend", references: [grant.reference] }],
    });
    if (!attached.ok) throw new Error(`demo: ${attached.reason}`);
    const mapped = hypervisor.mapGrant(driver.id, guest.id, grant.reference, true);
    if (!mapped.ok) throw new Error(`demo: ${mapped.reason}`);
    const backend = SharedRingBackend.attach(mapped.view, requestBytes);
    const unbound = hypervisor.allocateUnboundPort(guest.id, driver.id);
    const bound = unbound.ok ? hypervisor.bindInterdomain(driver.id, guest.id, unbound.port) : unbound;
    if (!unbound.ok || !bound.ok) throw new Error("demo: event channel setup failed");
    const fe = storeOf(guest.id);
    const be = storeOf(driver.id);
    be.write(`${connection.backendDirectory}/feature-flush-cache`, "1");
    be.write(`${connection.backendDirectory}/state`, String(XenbusState.initWait));
    fe.write(`${connection.frontendDirectory}/ring-ref`, String(grant.reference));
    fe.write(`${connection.frontendDirectory}/event-channel`, String(unbound.port));
    fe.write(`${connection.frontendDirectory}/protocol`, "x86_64-abi");
    fe.write(`${connection.frontendDirectory}/state`, String(XenbusState.initialised));
    for (const [key, value] of [["sectors", "2048"], ["info", "0"], ["sector-size", "512"]] as const) be.write(`${connection.backendDirectory}/${key}`, value);
    be.write(`${connection.backendDirectory}/state`, String(XenbusState.connected));
    fe.write(`${connection.frontendDirectory}/state`, String(XenbusState.connected));
    note("handshake", `ring-ref ${grant.reference}, event channel ${unbound.port}/${bound.port}; backend InitWait -> Connected, frontend Initialised -> Connected`);
    return { connection, frontend, backend, ringMemory, frontendPort: unbound.port, backendPort: bound.port };
  };

  let nextId = 1n;
  let answered = 0;
  const lent = new Map<bigint, { readonly references: number[]; readonly frames: number[] }>();
  const issue = (disk: LiveDisk, operation: number): bigint => {
    const frame = hypervisor.allocatePages(guest.id, 1);
    if (frame === undefined) throw new Error("demo: guest out of memory");
    const granted = hypervisor.grantAccess(guest.id, driver.id, frame, false);
    if (!granted.ok) throw new Error(`demo: ${granted.reason}`);
    const id = nextId++;
    lent.set(id, { references: [granted.reference], frames: [frame] });
    disk.frontend.produceRequest(encodeRequest(operation, id, id * 8n, [granted.reference]));
    disk.frontend.pushRequests();
    hypervisor.sendEvent(guest.id, disk.frontendPort);
    return id;
  };
  const serve = (disk: LiveDisk): void => {
    const batch = disk.backend.beginRequestBatch();
    for (let count = 0; count < batch; count += 1) {
      const request = disk.backend.consumeRequest();
      if (request === null) break;
      const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
      const mapped = hypervisor.mapGrant(driver.id, guest.id, view.getUint32(24, true), view.getUint8(0) === 0);
      if (mapped.ok) hypervisor.unmapGrant(driver.id, mapped.handle);
      disk.backend.produceResponse(encodeResponse(view.getBigUint64(8, true), view.getUint8(0), mapped.ok ? 0 : -1));
    }
    disk.backend.pushResponses();
    hypervisor.sendEvent(driver.id, disk.backendPort);
  };
  const collect = (disk: LiveDisk): number => {
    const batch = disk.frontend.beginResponseBatch();
    let collected = 0;
    for (let count = 0; count < batch; count += 1) {
      const response = disk.frontend.consumeResponse();
      if (response === null) break;
      const id = new DataView(response.buffer, response.byteOffset, response.byteLength).getBigUint64(0, true);
      const pages = lent.get(id);
      lent.delete(id);
      for (const reference of pages?.references ?? []) hypervisor.endAccess(guest.id, reference);
      for (const frame of pages?.frames ?? []) hypervisor.freePages(guest.id, frame, 1);
      collected += 1;
    }
    answered += collected;
    return collected;
  };
  const runTraffic = (disk: LiveDisk, requests: number): void => {
    for (let request = 0; request < requests; request += 1) issue(disk, request % 2);
    clock.advanceBy(5);
    serve(disk);
    const collected = collect(disk);
    policer.auditAll();
    note("traffic", `${requests} requests (reads and writes) published, served and answered: ${collected} responses, no verdict`);
  };
  const reconnect = (disk: LiveDisk): LiveDisk => {
    for (const directory of [disk.connection.frontendDirectory, disk.connection.backendDirectory]) toolstack.write(`${directory}/state`, String(XenbusState.initialising));
    lent.clear();
    const fresh = bringUp(disk.connection);
    const reissued = requestsToReissue;
    requestsToReissue = 0;
    // The honest frontend re-issues what the reset interrupted (with fresh ids and grants) before new I/O.
    runTraffic(fresh, reissued + 4);
    note("recovery", `${disk.connection.key} reconnected with a fresh ring; ${reissued} interrupted request(s) re-issued, I/O resumes under a new monitor`);
    return fresh;
  };

  scenario = "honest";
  const connected = broker.connect({ principal: "xl", resourceClass: "vbd", frontendDomain: guest, backendDomain: driver, parameters: { devid: "51712", "virtual-device": "xvda", params: "/images/guest-a.img", mode: "w" } });
  if (connected.outcome !== "connected") throw new Error(`demo: the disk connection was not made (${connected.outcome})`);
  note("setup", `broker connected ${connected.connection.key} (${connected.connection.protocol.name} v${connected.connection.protocol.version}) after ${connected.checks.length} policy checks`);
  let disk = bringUp(connected.connection);
  runTraffic(disk, 8);

  scenario = "malicious-frontend";
  const baitId = issue(disk, 1);
  note("traffic", `frontend publishes request ${baitId}, then rewrites its segment grant reference in the shared slot (double-fetch bait)`);
  const requestIndex = (new DataView(disk.ringMemory.buffer, disk.ringMemory.byteOffset).getUint32(0, true) - 1) >>> 0;
  new DataView(disk.ringMemory.buffer, disk.ringMemory.byteOffset).setUint32(64 + (requestIndex & 31) * requestBytes + 24, 7, true);
  clock.advanceBy(50);
  policer.auditAll();
  disk = reconnect(disk);

  scenario = "malicious-backend";
  const honestId = issue(disk, 0);
  const backendIndex = new DataView(disk.ringMemory.buffer, disk.ringMemory.byteOffset).getUint32(8, true);
  note("traffic", `frontend publishes request ${honestId}; the backend answers id 4242, which was never requested`);
  disk.ringMemory.set(encodeResponse(4242n, 0, 0), 64 + (backendIndex & 31) * requestBytes);
  new DataView(disk.ringMemory.buffer, disk.ringMemory.byteOffset).setUint32(8, (backendIndex + 1) >>> 0, true);
  hypervisor.sendEvent(driver.id, disk.backendPort);
  disk = reconnect(disk);

  scenario = "denied-connection";
  const denied = broker.connect({ principal: "xl", resourceClass: "vbd", frontendDomain: sandbox, backendDomain: driver, parameters: { devid: "51712", "virtual-device": "xvda", params: "/images/sandbox.img", mode: "w" } });
  if (denied.outcome === "denied") note("denied", `${sandbox.name} -> ${driver.name} disk refused by rule ${denied.decision.rule} (${denied.decision.ruleKind}): ${denied.decision.reason}`);
  else note("denied", `expected a denial, got ${denied.outcome}`);

  policer.close();
  store.close();
  const honestPartiesBlamed = verdicts.filter((verdict) => (verdict.clauseId === "blkif.slot_unchanged" && verdict.blamed.role !== "frontend") || (verdict.clauseId === "blkif.response_id_known" && verdict.blamed.role !== "backend")).length;
  return {
    timeline,
    summary: { requestsAnswered: answered, verdicts: verdicts.length, honestPartiesBlamed, deniedConnections: denied.outcome === "denied" ? 1 : 0, auditRecords: audit.records.length },
  };
}
