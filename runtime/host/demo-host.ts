// A whole policed host in one process for `proto-desc demo`: hypervisor with policy hooks, the
// store with its daemon on a Unix socket hosting the broker (the toolstack connects and
// disconnects block devices through the daemon's socket, as XS_CONTROL commands), the policer
// with a monitor per connection, and blkif parties (honest and hostile) driven on a virtual clock. The caller
// passes in everything that touches the outside (socket path, audit-log path, where timeline
// events go); this module decides the script and reports each step as a timeline event.
import { AuditLogWriter } from "../audit/audit-log-writer.js";
import { readAuditLog } from "../audit/audit-log-reader.js";
import type { BrokeredConnection } from "../broker/broker.js";
import { brokerConnectCommandWord, brokerDisconnectCommandWord } from "../broker/broker-control-commands.js";
import { parseBrokerControlReply, type BrokerControlReply } from "../broker/broker-control-reply.js";
import { formatBrokerProblem } from "../broker/broker-problem.js";
import type { ResourceClass } from "../broker/resource-class.js";
import { hostBrokerInStore } from "../broker/store-hosted-broker.js";
import { connectInProcessConnectionStore, type ConnectionProblem, type ConnectionProblemListener, type ConnectionStore } from "../connection/index.js";
import { InProcessExecution, type DomainContext } from "../execution/index.js";
import type { MonitorSpec } from "../monitor/index.js";
import { Policer, type PeerResetNotice, type PolicerVerdict } from "../policer/index.js";
import { DomainStartGate } from "../policy/domain-start-gate.js";
import { PolicyEngine } from "../policy/policy-engine.js";
import type { CompiledPolicy } from "../policy/policy-model.js";
import { PolicyEnforcingHypervisorHooks } from "../policy/hypervisor-policy-hooks.js";
import { SharedRingBackend, SharedRingFrontend } from "../ring/index.js";
import { StoreRequestError, StoreSocketClient } from "../store/socket-client.js";
import { StoreSocketServer } from "../store/socket-server.js";
import { StoreClient, type StoreResult } from "../store/store-client.js";
import { XenStore } from "../store/store.js";
import { XsMessageType } from "../store/wire-types.js";
import { SeededRandom, type VirtualClock } from "../time/index.js";
import type { DemoDetailValue, DemoScenario, DemoStage, DemoSummary, DemoTimelineEvent, DemoVerdictSummary } from "./demo-timeline.js";

/** The blkif protocol as generated from its spec: the monitor and what honest parties need. */
export interface DemoBlkifProtocol {
  readonly spec: MonitorSpec;
  /** The generated module's spec hash, `sha256:<hex>`; the broker's resource attribute must agree. */
  readonly specHash: string;
  /** The honest block parties: real drivers, handed in so runtime/ holds no protocol code. */
  readonly drivers: DemoBlockDrivers;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly ringEntries: number;
  /** Per role: the keys it publishes when entering each state (from the spec's lifecycle). */
  readonly publishedKeys: ReadonlyMap<string, readonly { readonly to: number; readonly keys: readonly string[] }[]>;
  /** Byte offsets the honest and hostile parties read and write, from the generated layouts. */
  readonly wire: DemoBlkifWireLayout;
}

export interface DemoBlockPartyOptions {
  readonly store: ConnectionStore;
  readonly frontendPath: string;
  readonly backendPath: string;
  readonly onProblem: ConnectionProblemListener;
}

/** An honest block backend (a driver) serving a fresh disk. */
export interface DemoBlockBackendParty {
  start(): Promise<unknown>;
  /** Stops serving without a handshake: what is left of a backend the policer reset. */
  abandon(): void;
}

/** An honest block frontend (a driver): re-issues its in-flight requests after a reset. */
export interface DemoBlockFrontendParty {
  connect(): Promise<void>;
  read(sector: number, count: number): Promise<Uint8Array>;
  write(sector: number, data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  readonly connectionCount: number;
  readonly outstandingRequestCount: number;
  /** Whether both ends agreed on persistent grants (feature-persistent) in the current session. */
  readonly usesPersistentGrants: boolean;
}

export interface DemoBlockDrivers {
  createBackend(context: DomainContext, options: DemoBlockPartyOptions & { readonly frontendDomainId: number; readonly diskSectors: number }): DemoBlockBackendParty;
  createFrontend(context: DomainContext, options: DemoBlockPartyOptions & { readonly backendDomainId: number }): DemoBlockFrontendParty;
}

/** Where a read/write request and a response keep their fields (offsets within a slot). */
export interface DemoBlkifWireLayout {
  readonly requestOperationOffset: number;
  readonly requestSegmentCountOffset: number;
  readonly requestIdOffset: number;
  readonly requestSectorOffset: number;
  readonly firstSegmentOffset: number;
  readonly segmentBytes: number;
  /** Within one segment. */
  readonly segmentReferenceOffset: number;
  readonly segmentFirstSectorOffset: number;
  readonly segmentLastSectorOffset: number;
  readonly responseIdOffset: number;
  readonly responseOperationOffset: number;
  readonly responseStatusOffset: number;
  /** The trailing padding run a leaky backend fills with stale bytes. */
  readonly responseTrailingPadding: { readonly offset: number; readonly bytes: number };
}

export interface DemoHostOptions {
  readonly policy: CompiledPolicy;
  readonly policyFile: string;
  readonly resourceClasses: readonly ResourceClass[];
  readonly blkif: DemoBlkifProtocol;
  readonly seed: number;
  /** A Unix socket path the store daemon may create (and removes when the demo ends). */
  readonly socketPath: string;
  /** A file for the append-only audit log. */
  readonly auditLogPath: string;
  readonly emit: (event: DemoTimelineEvent) => void;
}

/** Raised when the host itself cannot be assembled (a bug or a broken environment, not a finding). */
export class DemoHostError extends Error {
  override readonly name = "DemoHostError";
}

/** Raised when the audit log cannot be opened (a bad path, or another writer holds it). */
export class DemoAuditLogError extends Error {
  override readonly name = "DemoAuditLogError";
}

function openAuditLog(path: string, clock: VirtualClock): AuditLogWriter {
  try {
    return AuditLogWriter.open(path, { now: () => clock.now() });
  } catch (error) {
    throw new DemoAuditLogError(error instanceof Error ? error.message : String(error));
  }
}

const xenbusState = { initialising: 1, initWait: 2, initialised: 3, connected: 4, closing: 5, closed: 6 } as const;
const blockOperation = { read: 0, write: 1 } as const;
const sectorBytes = 512;
/** Ring header word offsets (xen-abi.md §3): req_prod @0, rsp_prod @8. */
const requestProducerOffset = 0;

/** The domains of the demo host: names are what the policy's principals match. */
const domains = {
  dom0: { id: 0, name: "dom0", privileged: true },
  storage: { id: 1, name: "storage-domain", privileged: false },
  payroll: { id: 2, name: "bank-a-payroll", privileged: false },
  network: { id: 3, name: "network-domain", privileged: false },
  ledger: { id: 4, name: "bank-b-ledger", privileged: false },
  webShop: { id: 5, name: "web-shop", privileged: false },
} as const;
type DemoDomain = (typeof domains)[keyof typeof domains];

/** Values honest parties write for the keys the spec's lifecycle says they publish. */
const honestKeyValues: Readonly<Record<string, string>> = {
  protocol: "x86_64-abi",
  sectors: "2048",
  info: "0",
  "sector-size": String(sectorBytes),
  "feature-flush-cache": "1",
  "feature-barrier": "0",
  "feature-discard": "0",
  // Both honest ends offer persistent grants: with the driver frontend they are used, and the monitor allows their mappings.
  "feature-persistent": "1",
  "max-ring-page-order": "0",
};

interface LentPages {
  readonly references: readonly number[];
  readonly frames: readonly number[];
}

/** One brokered, policed blkif connection whose two ends are the real drivers. */
interface DriverSession {
  readonly connection: BrokeredConnection;
  readonly frontend: DemoBlockFrontendParty;
  readonly backend: DemoBlockBackendParty;
  readonly problems: readonly ConnectionProblem[];
}

/** What a hand-written backend needs to serve: the connection, its ring view and its port. */
interface BackendEnd {
  readonly connection: BrokeredConnection;
  readonly backendRing: SharedRingBackend;
  readonly backendPort: number;
}

/** A hand-written hostile backend on the primitives facing the real frontend driver. */
interface HostileBackendSession extends BackendEnd {
  readonly frontend: DemoBlockFrontendParty;
  readonly backendRingHandle: number;
  readonly problems: readonly ConnectionProblem[];
}

/** A hand-written hostile frontend on the primitives facing the real backend driver. */
interface HostileFrontendSession {
  readonly connection: BrokeredConnection;
  readonly backend: DemoBlockBackendParty;
  readonly ringMemory: Uint8Array;
  readonly ringFrame: number;
  readonly ringReference: number;
  readonly frontendPort: number;
  readonly problems: readonly ConnectionProblem[];
}

/** The honest backend's disk: 1 MiB. */
const demoDiskSectors = 2048;

/** One brokered, policed blkif connection and both ends' private state. */
interface BlkifSession {
  readonly connection: BrokeredConnection;
  readonly frontendStore: StoreClient;
  readonly backendStore: StoreClient;
  readonly frontendRing: SharedRingFrontend;
  readonly backendRing: SharedRingBackend;
  readonly frontendRingMemory: Uint8Array;
  readonly ringFrame: number;
  readonly ringReference: number;
  readonly backendRingHandle: number;
  readonly frontendPort: number;
  readonly backendPort: number;
  readonly lent: Map<bigint, LentPages>;
}

function requireOk<T>(result: StoreResult<T>, what: string): T {
  if (!result.ok) throw new DemoHostError(`${what}: the store replied ${result.error}`);
  return result.value;
}

export async function runDemoHost(options: DemoHostOptions): Promise<DemoSummary> {
  // One seeded execution: the hypervisor, the drivers' tasks and event deliveries, and the clock.
  const execution = new InProcessExecution({ seed: options.seed });
  const clock = execution.scheduler.clock;
  const random = new SeededRandom(options.seed);
  let seq = 0;
  let scenario: DemoScenario = "setup";
  const emit = (stage: DemoStage, message: string, detail: Readonly<Record<string, DemoDetailValue>> = {}): void => {
    seq += 1;
    options.emit({ seq, time: clock.now(), scenario, stage, message, detail });
  };

  const engine = PolicyEngine.fromPolicy(options.policy);
  const audit = openAuditLog(options.auditLogPath, clock);
  // Whatever was started is stopped again, in reverse order, also when setting up fails.
  const cleanups: (() => unknown)[] = [() => audit.close()];
  const summaryVerdicts: DemoVerdictSummary[] = [];
  const policyDenials: string[] = [];
  let requestsAnswered = 0;
  let requestsReissued = 0;
  let honestBlames = 0;

  try {
    const hypervisor = execution.hypervisor;
    hypervisor.setPolicyHooks(new PolicyEnforcingHypervisorHooks(engine, audit, { auditAllowed: "first-per-pair" }));
    // Domains start through the toolstack's gate, so the Chinese wall is checked and they carry the policy's labels.
    const startGate = new DomainStartGate(engine, audit, hypervisor);
    const runningDomains = [domains.dom0, domains.storage, domains.payroll, domains.network];
    for (const domain of runningDomains) {
      // Room for the drivers' data-page pools across the demo's reconnections.
      const started = startGate.startDomain(domain.name, { id: domain.id, privileged: domain.privileged, memoryFrames: 256 });
      if (!started.started) throw new DemoHostError(`the policy refused to start ${domain.name}: ${started.decision.reason}`);
    }
    const store = XenStore.open({});
    cleanups.push(() => store.close());
    const toolstack = StoreClient.connect(store, { domainId: 0, privileged: true });
    requireOk(toolstack.mkdir("/local/domain"), "mkdir /local/domain");
    for (const domain of runningDomains) {
      // The toolstack names every domain in the store (as xl does); the daemon's broker reads the names.
      requireOk(toolstack.write(`/local/domain/${domain.id}/name`, domain.name), `name of domain ${domain.id}`);
      if (domain.privileged) continue;
      requireOk(toolstack.introduceDomain(domain.id, 0x1000n + BigInt(domain.id), 1), `introduce domain ${domain.id}`);
      requireOk(toolstack.mkdir(`/local/domain/${domain.id}`), `home of domain ${domain.id}`);
      requireOk(toolstack.setPermissions(`/local/domain/${domain.id}`, [{ domainId: domain.id, access: "n" }]), `permissions of domain ${domain.id}`);
    }
    // The daemon hosts the broker: connect and disconnect arrive as XS_CONTROL commands on its socket.
    const hostedBroker = hostBrokerInStore({ store, engine, audit, resourceClasses: options.resourceClasses });
    if (hostedBroker.hosted === undefined) throw new DemoHostError(`the broker refused the lowered resource classes: ${hostedBroker.problems.map(formatBrokerProblem).join("; ")}`);
    const hosted = hostedBroker.hosted;
    cleanups.push(() => hosted.close());
    const server = new StoreSocketServer({ store, socketPath: options.socketPath, clientPrincipal: domains.dom0.name });
    await server.listen();
    cleanups.push(() => server.close());
    const toolstackSocket = await StoreSocketClient.connect(options.socketPath);
    cleanups.push(() => toolstackSocket.close());

    /** One broker command over the daemon's socket, as `proto-desc store connect|disconnect` sends it. */
    const sendBrokerCommand = async (words: readonly string[]): Promise<BrokerControlReply> => {
      let text: string;
      try {
        text = await toolstackSocket.control(words);
      } catch (error) {
        if (error instanceof StoreRequestError) throw new DemoHostError(`the store daemon refused ${words[0] ?? ""} with ${error.errorName}`);
        throw error;
      }
      const reply = parseBrokerControlReply(text);
      if (reply === undefined) throw new DemoHostError(`the store daemon's reply to ${words[0] ?? ""} is not a broker reply: ${text.slice(0, 200)}`);
      return reply;
    };

    const verdicts: { readonly scenario: DemoScenario; readonly verdict: PolicerVerdict }[] = [];
    const notices: PeerResetNotice[] = [];
    const policer = new Policer({
      hypervisor,
      store,
      clock,
      audit,
      quarantine: () => false,
      onVerdict: (verdict) => verdicts.push({ scenario, verdict }),
      onPeerReset: (notice) => notices.push(notice),
    });
    cleanups.push(() => policer.close());
    const clauseById = new Map(options.blkif.spec.clauses.map((clause) => [clause.id, clause]));
    const wire = options.blkif.wire;

    emit("host", "Host up: hypervisor with policy hooks, xenstore++ daemon on a temporary Unix socket hosting the broker, policer (virtual clock).", {
      domains: runningDomains.map((domain) => `${domain.id}:${domain.name}`),
      seed: options.seed,
    });
    emit("policy", `Policy '${options.policy.name}' loaded from ${options.policyFile}: enforcing ${options.policy.enforce.join(", ")}.`, {
      policy: options.policy.name,
      resourceClasses: options.resourceClasses.map((resourceClass) => `${resourceClass.name} (${resourceClass.protocol.name} v${resourceClass.protocol.version}, spec ${resourceClass.protocol.specHash.slice(0, 12)})`),
    });

    /** Reports verdicts reached since `from`, and counts any reached while everyone was honest. */
    const reportVerdicts = (from: number, honestPhase: boolean): void => {
      for (const { verdict } of verdicts.slice(from)) {
        const clause = clauseById.get(verdict.clauseId);
        const specSpan = verdict.violation?.specSpan ?? clause?.specSpan ?? "(no clause location)";
        if (verdict.violation !== null) {
          emit("violation", `Monitor: clause ${verdict.clauseId} (${specSpan}) broken — ${verdict.violation.evidence.detail}.`, {
            clause: verdict.clauseId,
            specSpan,
            blamedRole: verdict.violation.blamedRole,
            summary: clause?.summary ?? null,
          });
        }
        emit("verdict", `Verdict: ${verdict.confirmed ? "confirmed" : "not confirmed"} — blame ${verdict.blamed.role} (domain ${verdict.blamed.domainId}) for ${verdict.clauseId}: ${verdict.reason}.`, {
          clause: verdict.clauseId,
          specSpan,
          confirmed: verdict.confirmed,
          blamedRole: verdict.blamed.role,
          blamedDomain: verdict.blamed.domainId,
          complaintSeq: verdict.complaintSeq,
        });
        summaryVerdicts.push({ scenario, clauseId: verdict.clauseId, specSpan, blamedRole: verdict.blamed.role, blamedDomainId: verdict.blamed.domainId, confirmed: verdict.confirmed });
        if (honestPhase) honestBlames += 1;
      }
    };

    /** Connects a vbd through the daemon's socket; undefined when the policy denied it (reported). */
    const connectVbd = async (devid: string, frontend: DemoDomain, backend: DemoDomain): Promise<BrokeredConnection | undefined> => {
      const reply = await sendBrokerCommand([brokerConnectCommandWord, "vbd", String(frontend.id), String(backend.id), `devid=${devid}`]);
      if (reply.outcome === "denied") {
        emit("denied", `Store daemon's broker denied ${brokerConnectCommandWord} vbd ${frontend.name} <- ${backend.name}: rule ${reply.rule} — ${reply.reason}.`, {
          rule: reply.rule,
          ruleKind: reply.ruleKind,
          frontend: frontend.name,
          backend: backend.name,
        });
        policyDenials.push(reply.rule);
        return undefined;
      }
      if (reply.outcome !== "connected") throw new DemoHostError(`connect vbd ${frontend.name} <- ${backend.name} failed: ${reply.outcome === "failed" ? `${reply.code} ${reply.message}` : reply.outcome}`);
      // The instance's protocol attribute must name the spec the monitor was generated from.
      if (reply.specHash !== options.blkif.specHash) throw new DemoHostError(`${reply.connection} records spec ${reply.specHash}, but the monitor was generated from ${options.blkif.specHash}`);
      const connection = hosted.broker.connections.find((candidate) => candidate.key === reply.connection);
      if (connection === undefined) throw new DemoHostError(`the broker reports ${reply.connection} connected but does not hold it`);
      emit("connect", `Toolstack sent ${brokerConnectCommandWord} over the daemon's socket; the broker connected ${connection.key}: ${frontend.name} (frontend) <- ${backend.name} (backend); ${reply.rules.length} policy checks allowed; directories created with toolstack permissions.`, {
        connection: connection.key,
        frontendDirectory: connection.frontendDirectory,
        backendDirectory: connection.backendDirectory,
        checks: reply.rules,
      });
      return connection;
    };

    /** A one-frame ring granted by a hand-written frontend to its backend, policed from the start. */
    const grantRingAndPolice = (connection: BrokeredConnection, frontend: DemoDomain, backend: DemoDomain) => {
      const ringFrame = hypervisor.allocatePages(frontend.id, 1);
      const frontendRingMemory = ringFrame === undefined ? undefined : hypervisor.viewOwnPages(frontend.id, ringFrame, 1);
      if (ringFrame === undefined || frontendRingMemory === undefined) throw new DemoHostError(`domain ${frontend.id} has no frame for its ring`);
      const frontendRing = SharedRingFrontend.initialize(frontendRingMemory, options.blkif.spec.rings[0]?.slotBytes ?? options.blkif.requestBytes);
      const grant = hypervisor.grantAccess(frontend.id, backend.id, ringFrame, false);
      if (!grant.ok) throw new DemoHostError(`ring grant refused: ${grant.reason}`);
      const attached = policer.attach({
        name: connection.key,
        spec: options.blkif.spec,
        parties: [
          { role: "frontend", domainId: frontend.id, directory: connection.frontendDirectory },
          { role: "backend", domainId: backend.id, directory: connection.backendDirectory },
        ],
        ringPages: [{ granterRole: "frontend", references: [grant.reference] }],
      });
      if (!attached.ok) throw new DemoHostError(`the policer cannot police ${connection.key}: ${attached.reason}`);
      return { ringFrame, frontendRingMemory, frontendRing, grant };
    };

    /** Connects a vbd whose two ends are hand-written on the primitives (the hostile scenarios' parties). */
    const openSession = async (devid: string, frontend: DemoDomain, backend: DemoDomain): Promise<BlkifSession | undefined> => {
      const connection = await connectVbd(devid, frontend, backend);
      if (connection === undefined) return undefined;

      const { ringFrame, frontendRingMemory, frontendRing, grant } = grantRingAndPolice(connection, frontend, backend);
      const mapped = hypervisor.mapGrant(backend.id, frontend.id, grant.reference, true);
      if (!mapped.ok) throw new DemoHostError(`the backend cannot map the ring: ${mapped.reason}`);
      const backendRing = SharedRingBackend.attach(mapped.view, options.blkif.spec.rings[0]?.slotBytes ?? options.blkif.requestBytes);
      const unbound = hypervisor.allocateUnboundPort(frontend.id, backend.id);
      if (!unbound.ok) throw new DemoHostError(`no event channel: ${unbound.reason}`);
      const bound = hypervisor.bindInterdomain(backend.id, frontend.id, unbound.port);
      if (!bound.ok) throw new DemoHostError(`event channel bind refused: ${bound.reason}`);
      const session: BlkifSession = {
        connection,
        frontendStore: StoreClient.connect(store, { domainId: frontend.id, privileged: false }),
        backendStore: StoreClient.connect(store, { domainId: backend.id, privileged: false }),
        frontendRing,
        backendRing,
        frontendRingMemory,
        ringFrame,
        ringReference: grant.reference,
        backendRingHandle: mapped.handle,
        frontendPort: unbound.port,
        backendPort: bound.port,
        lent: new Map(),
      };
      performHandshake(session);
      return session;
    };

    /** Writes the keys the spec says `role` publishes on entering `state`, then the state. */
    const enterState = (session: BlkifSession, role: "frontend" | "backend", state: number, extraKeys: Readonly<Record<string, string>> = {}): void => {
      const client = role === "frontend" ? session.frontendStore : session.backendStore;
      const directory = role === "frontend" ? session.connection.frontendDirectory : session.connection.backendDirectory;
      const published = options.blkif.publishedKeys.get(role)?.find((entry) => entry.to === state)?.keys ?? [];
      const values: Record<string, string> = { ...extraKeys };
      for (const key of published) values[key] = extraKeys[key] ?? honestKeyValues[key] ?? "0";
      for (const [key, value] of Object.entries(values)) requireOk(client.write(`${directory}/${key}`, value), `${role} writes ${key}`);
      requireOk(client.write(`${directory}/state`, String(state)), `${role} enters state ${state}`);
    };

    const performHandshake = (session: BlkifSession): void => {
      clock.advanceBy(1);
      enterState(session, "backend", xenbusState.initWait);
      clock.advanceBy(1);
      enterState(session, "frontend", xenbusState.initialised, { "ring-ref": String(session.ringReference), "event-channel": String(session.frontendPort), protocol: honestKeyValues["protocol"] ?? "x86_64-abi" });
      clock.advanceBy(1);
      enterState(session, "backend", xenbusState.connected);
      clock.advanceBy(1);
      enterState(session, "frontend", xenbusState.connected);
      emit("handshake", `Handshake of ${session.connection.key}: backend InitWait, frontend Initialised (ring-ref ${session.ringReference}, event-channel ${session.frontendPort}), backend Connected, frontend Connected.`, {
        connection: session.connection.key,
        ringReference: session.ringReference,
        frontendPort: session.frontendPort,
      });
    };

    const frontendOf = (session: { readonly connection: BrokeredConnection }): number => session.connection.frontendDomainId;
    const backendOf = (session: { readonly connection: BrokeredConnection }): number => session.connection.backendDomainId;

    /** An honest frontend request: lends fresh data pages, publishes, notifies. */
    const issueRequest = (session: BlkifSession, id: bigint, operation: number, segments: number): void => {
      const references: number[] = [];
      const frames: number[] = [];
      for (let segment = 0; segment < segments; segment += 1) {
        const frame = hypervisor.allocatePages(frontendOf(session), 1);
        if (frame === undefined) throw new DemoHostError("the frontend ran out of memory");
        const granted = hypervisor.grantAccess(frontendOf(session), backendOf(session), frame, false);
        if (!granted.ok) throw new DemoHostError(`data grant refused: ${granted.reason}`);
        references.push(granted.reference);
        frames.push(frame);
      }
      const request = new Uint8Array(options.blkif.requestBytes);
      const view = new DataView(request.buffer);
      view.setUint8(wire.requestOperationOffset, operation);
      view.setUint8(wire.requestSegmentCountOffset, segments);
      view.setBigUint64(wire.requestIdOffset, id, true);
      view.setBigUint64(wire.requestSectorOffset, BigInt(random.nextBelow(2048)), true);
      references.forEach((reference, index) => {
        const segment = wire.firstSegmentOffset + index * wire.segmentBytes;
        view.setUint32(segment + wire.segmentReferenceOffset, reference, true);
        view.setUint8(segment + wire.segmentFirstSectorOffset, 0);
        view.setUint8(segment + wire.segmentLastSectorOffset, 7);
      });
      if (!session.frontendRing.produceRequest(request)) throw new DemoHostError("the ring is full");
      session.frontendRing.pushRequests();
      hypervisor.sendEvent(frontendOf(session), session.frontendPort);
      session.lent.set(id, { references, frames });
    };

    /** An honest backend pass: map each segment, do the I/O, unmap, respond; `corrupt` makes it leak. */
    const serveRequests = (session: BackendEnd, leakPadding = false, maximum = Number.POSITIVE_INFINITY): number => {
      const batch = session.backendRing.beginRequestBatch();
      if (batch < 0) return 0;
      let served = 0;
      for (let count = 0; count < Math.min(batch, maximum); count += 1) {
        const request = session.backendRing.consumeRequest();
        if (request === null) break;
        const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
        const operation = view.getUint8(wire.requestOperationOffset);
        const segments = view.getUint8(wire.requestSegmentCountOffset);
        const id = view.getBigUint64(wire.requestIdOffset, true);
        for (let segment = 0; segment < segments; segment += 1) {
          const reference = view.getUint32(wire.firstSegmentOffset + segment * wire.segmentBytes + wire.segmentReferenceOffset, true);
          const mapped = hypervisor.mapGrant(backendOf(session), frontendOf(session), reference, operation === blockOperation.read);
          if (!mapped.ok) throw new DemoHostError(`backend cannot map a segment: ${mapped.reason}`);
          if (operation === blockOperation.read) mapped.view.fill(0x5a, 0, sectorBytes);
          hypervisor.unmapGrant(backendOf(session), mapped.handle);
        }
        const response = new Uint8Array(options.blkif.responseBytes);
        const responseView = new DataView(response.buffer);
        responseView.setBigUint64(wire.responseIdOffset, id, true);
        responseView.setUint8(wire.responseOperationOffset, operation);
        responseView.setInt16(wire.responseStatusOffset, 0, true);
        const padding = wire.responseTrailingPadding;
        if (leakPadding) response.fill(0xc3, padding.offset, padding.offset + padding.bytes);
        session.backendRing.produceResponse(response);
        served += 1;
      }
      session.backendRing.pushResponses();
      if (served > 0) hypervisor.sendEvent(backendOf(session), session.backendPort);
      return served;
    };

    /** The honest frontend takes its responses and ends access to their pages. */
    const collectResponses = (session: BlkifSession): number => {
      const batch = session.frontendRing.beginResponseBatch();
      if (batch < 0) return 0;
      let collected = 0;
      for (let count = 0; count < batch; count += 1) {
        const response = session.frontendRing.consumeResponse();
        if (response === null) break;
        const id = new DataView(response.buffer, response.byteOffset, response.byteLength).getBigUint64(wire.responseIdOffset, true);
        releaseLentPages(session, id);
        collected += 1;
      }
      return collected;
    };

    const releaseLentPages = (session: BlkifSession, id: bigint): void => {
      const lent = session.lent.get(id);
      if (lent === undefined) return;
      session.lent.delete(id);
      for (const reference of lent.references) hypervisor.endAccess(frontendOf(session), reference);
      for (const frame of lent.frames) hypervisor.freePages(frontendOf(session), frame, 1);
    };

    let nextRequestId = 1n;
    /** Rounds of honest traffic; returns the number of requests answered. */
    const runTraffic = (session: BlkifSession, rounds: number): number => {
      let answered = 0;
      let reads = 0;
      let writes = 0;
      for (let round = 0; round < rounds; round += 1) {
        const requests = 3 + random.nextBelow(6);
        for (let request = 0; request < requests; request += 1) {
          const operation = random.nextBelow(2) === 0 ? blockOperation.read : blockOperation.write;
          if (operation === blockOperation.read) reads += 1;
          else writes += 1;
          issueRequest(session, nextRequestId++, operation, 1 + random.nextBelow(4));
        }
        clock.advanceBy(2 + random.nextBelow(8));
        serveRequests(session);
        answered += collectResponses(session);
        policer.auditAll();
      }
      requestsAnswered += answered;
      emit("traffic", `Traffic on ${session.connection.key}: ${countOf(answered, "request")} (${countOf(reads, "read")}, ${countOf(writes, "write")}) answered exactly once; monitor quiet.`, {
        connection: session.connection.key,
        answered,
        reads,
        writes,
        outstanding: policer.monitorOf(session.connection.key)?.listOutstandingRequestIds().length ?? 0,
      });
      return answered;
    };

    /** Reports the reset the policer did and tears the dead connection down through the broker. */
    const reportResetAndTearDown = async (session: BlkifSession, noticesFrom: number): Promise<PeerResetNotice | undefined> => {
      const status = policer.statusOf(session.connection.key);
      const notice = notices.slice(noticesFrom).find((candidate) => candidate.connection === session.connection.key);
      const frontendState = toolstack.readText(`${session.connection.frontendDirectory}/state`);
      const backendState = toolstack.readText(`${session.connection.backendDirectory}/state`);
      emit("reset", `Reset: ${session.connection.key} is '${status ?? "unknown"}'; ${notice === undefined ? "no party notified" : `${notice.blamed.role} (domain ${notice.blamed.domainId}) lost its grants and channel and is Closed; ${notice.honest.role} notified with ${notice.inFlightRequestIds.length} in-flight request(s)`}.`, {
        connection: session.connection.key,
        status: status ?? null,
        frontendState: frontendState.ok ? frontendState.value : null,
        backendState: backendState.ok ? backendState.value : null,
        inFlight: notice?.inFlightRequestIds ?? [],
      });
      await tearDownRawSession(session);
      return notice;
    };

    /** Detaches the policer, releases both hand-written ends' ring and channel, and disconnects through the daemon. */
    const tearDownRawSession = async (session: BlkifSession): Promise<void> => {
      policer.detach(session.connection.key);
      hypervisor.unmapGrant(backendOf(session), session.backendRingHandle);
      hypervisor.closePort(backendOf(session), session.backendPort);
      hypervisor.closePort(frontendOf(session), session.frontendPort);
      hypervisor.endAccess(frontendOf(session), session.ringReference);
      for (const id of [...session.lent.keys()]) releaseLentPages(session, id);
      const disconnected = await sendBrokerCommand([brokerDisconnectCommandWord, "vbd", String(frontendOf(session)), session.connection.id]);
      if (disconnected.outcome !== "disconnected") throw new DemoHostError(`disconnect of ${session.connection.key} did not succeed (${disconnected.outcome})`);
    };

    /** As reportResetAndTearDown, for a hostile frontend facing the backend driver. */
    const reportHostileFrontendResetAndTearDown = async (session: HostileFrontendSession, noticesFrom: number): Promise<void> => {
      const status = policer.statusOf(session.connection.key);
      const notice = notices.slice(noticesFrom).find((candidate) => candidate.connection === session.connection.key);
      const frontendState = toolstack.readText(`${session.connection.frontendDirectory}/state`);
      await settle(Promise.resolve(), "the backend driver's reaction to the reset");
      const backendState = toolstack.readText(`${session.connection.backendDirectory}/state`);
      emit("reset", `Reset: ${session.connection.key} is '${status ?? "unknown"}'; ${notice === undefined ? "no party notified" : `${notice.blamed.role} (domain ${notice.blamed.domainId}) lost its grants and channel and is Closed; the backend driver, notified, left the connection (state ${backendState.ok ? backendState.value : "gone"})`}.`, {
        connection: session.connection.key,
        status: status ?? null,
        frontendState: frontendState.ok ? frontendState.value : null,
        backendState: backendState.ok ? backendState.value : null,
        inFlight: notice?.inFlightRequestIds ?? [],
        backendDriverProblems: session.problems.map((problem) => problem.code),
      });
      policer.detach(session.connection.key);
      session.backend.abandon();
      hypervisor.closePort(session.connection.frontendDomainId, session.frontendPort);
      hypervisor.endAccess(session.connection.frontendDomainId, session.ringReference);
      hypervisor.freePages(session.connection.frontendDomainId, session.ringFrame, 1);
      const disconnected = await sendBrokerCommand([brokerDisconnectCommandWord, "vbd", String(session.connection.frontendDomainId), session.connection.id]);
      if (disconnected.outcome !== "disconnected") throw new DemoHostError(`disconnect of ${session.connection.key} did not succeed (${disconnected.outcome})`);
      await settle(Promise.resolve(), "the backend driver's last tasks");
    };

    /** Runs the scheduler (drivers' tasks, event deliveries) until `promise` settles. */
    const settle = async <T>(promise: Promise<T>, what: string): Promise<T> => {
      let settled = false;
      const observed = promise.finally(() => {
        settled = true;
      });
      observed.catch(() => undefined);
      for (let round = 0; round < 10_000 && !settled; round += 1) {
        await execution.scheduler.runUntilIdleAsync();
        if (!settled) await new Promise<void>((resolve) => setImmediate(resolve));
        if (!settled && !execution.scheduler.hasWork) break;
      }
      if (!settled) throw new DemoHostError(`${what} did not finish: the host went idle first`);
      return observed;
    };

    /**
     * Attaches the policer to `connection` the moment its frontend publishes `ring-ref`
     * (before it announces Initialised), so the monitor sees the rest of the handshake.
     */
    const attachPolicerAtRingReference = (connection: BrokeredConnection): { stop(): void; attachedReference(): number } => {
      const ringReferencePath = `${connection.frontendDirectory}/ring-ref`;
      let ringReference: number | undefined;
      let attachProblem: string | undefined;
      const stop = store.onRequestHandled((handled) => {
        if (ringReference !== undefined || handled.domainId !== connection.frontendDomainId || handled.request.type !== XsMessageType.write || handled.reply.type === XsMessageType.error) return;
        const payload = handled.request.payload;
        const nul = payload.indexOf(0);
        if (nul < 0 || Buffer.from(payload.subarray(0, nul)).toString("latin1") !== ringReferencePath) return;
        const reference = Number(Buffer.from(payload.subarray(nul + 1)).toString("latin1"));
        ringReference = reference;
        const attached = policer.attach({
          name: connection.key,
          spec: options.blkif.spec,
          parties: [
            { role: "frontend", domainId: connection.frontendDomainId, directory: connection.frontendDirectory },
            { role: "backend", domainId: connection.backendDomainId, directory: connection.backendDirectory },
          ],
          ringPages: [{ granterRole: "frontend", references: [reference] }],
          // The policer's own store observer ran before it policed this connection, and the write
          // sits in the frontend's open transaction (a store key clause reads ring-ref).
          writesInFlight: [{ domainId: handled.domainId, path: ringReferencePath, value: String(reference) }],
        });
        if (!attached.ok) attachProblem = attached.reason;
      });
      return {
        stop: () => {
          stop();
        },
        attachedReference: () => {
          if (ringReference === undefined || attachProblem !== undefined) throw new DemoHostError(`the policer cannot police ${connection.key}: ${attachProblem ?? "the frontend never published ring-ref"}`);
          return ringReference;
        },
      };
    };

    /** Runs the scheduler until `condition` holds; when the host goes idle first, fails with `describe()`. */
    const settleUntil = async (condition: () => boolean, describe: () => string): Promise<void> => {
      for (let round = 0; round < 10_000 && !condition(); round += 1) {
        await execution.scheduler.runUntilIdleAsync();
        if (condition()) return;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!execution.scheduler.hasWork && !condition()) break;
      }
      if (!condition()) throw new DemoHostError(`${describe()} did not happen: the host went idle first`);
    };

    const readState = (directory: string): string | undefined => {
      const state = toolstack.readText(`${directory}/state`);
      return state.ok ? state.value : undefined;
    };

    /**
     * A hand-written (hostile) backend on the primitives facing the real frontend driver: the
     * backend publishes its InitWait keys, the frontend driver grants its ring (the policer
     * attaches at ring-ref), and the backend maps the ring, binds the channel and connects.
     */
    const openHostileBackendSession = async (devid: string, frontend: DemoDomain, backend: DemoDomain): Promise<HostileBackendSession | undefined> => {
      const connection = await connectVbd(devid, frontend, backend);
      if (connection === undefined) return undefined;
      const problems: ConnectionProblem[] = [];
      const backendStore = StoreClient.connect(store, { domainId: backend.id, privileged: false });
      const publish = (state: number): void => {
        const published = options.blkif.publishedKeys.get("backend")?.find((entry) => entry.to === state)?.keys ?? [];
        for (const key of published) requireOk(backendStore.write(`${connection.backendDirectory}/${key}`, honestKeyValues[key] ?? "0"), `backend writes ${key}`);
        requireOk(backendStore.write(`${connection.backendDirectory}/state`, String(state)), `backend enters state ${state}`);
      };
      const watcher = attachPolicerAtRingReference(connection);
      publish(xenbusState.initWait);
      const frontendParty = options.blkif.drivers.createFrontend(execution.contextFor(frontend.id), {
        frontendPath: connection.frontendDirectory,
        backendPath: connection.backendDirectory,
        onProblem: (problem) => problems.push(problem),
        store: connectInProcessConnectionStore(store, frontend.id, (callback) => execution.scheduler.schedule(callback, `watch-${frontend.id}`)),
        backendDomainId: backend.id,
      });
      const connecting = frontendParty.connect();
      let connectFailure: string | undefined;
      connecting.catch((error: unknown) => {
        connectFailure = error instanceof Error ? error.message : String(error);
      });
      try {
        await settleUntil(
          () => readState(connection.frontendDirectory) === String(xenbusState.initialised),
          () => `the ${frontend.name} frontend driver's Initialised (frontend state ${readState(connection.frontendDirectory) ?? "none"}${connectFailure === undefined ? "" : `; ${connectFailure}`}${problems.length > 0 ? `; ${problems.map((problem) => problem.message).join("; ")}` : ""})`,
        );
      } finally {
        watcher.stop();
      }
      const ringReference = watcher.attachedReference();
      const port = Number(requireOk(toolstack.readText(`${connection.frontendDirectory}/event-channel`), "the frontend's event-channel"));
      const mapped = hypervisor.mapGrant(backend.id, frontend.id, ringReference, false);
      if (!mapped.ok) throw new DemoHostError(`the backend cannot map the ring: ${mapped.reason}`);
      const backendRing = SharedRingBackend.attach(mapped.view, options.blkif.spec.rings[0]?.slotBytes ?? options.blkif.requestBytes);
      const bound = hypervisor.bindInterdomain(backend.id, frontend.id, port);
      if (!bound.ok) throw new DemoHostError(`event channel bind refused: ${bound.reason}`);
      publish(xenbusState.connected);
      backendStore.close();
      await settle(connecting, `the ${frontend.name} frontend driver's handshake`);
      emit("handshake", `Handshake of ${connection.key}: the hand-written backend InitWait; the frontend driver (BlockFrontend) Initialised (ring-ref ${ringReference}, event-channel ${port}); backend Connected; frontend driver Connected.`, {
        connection: connection.key,
        ringReference,
        frontendPort: port,
        drivers: "frontend",
      });
      return { connection, frontend: frontendParty, backendRing, backendRingHandle: mapped.handle, backendPort: bound.port, problems };
    };

    /**
     * Connects a vbd and runs the real drivers on it (BlockBackend on a fresh disk in the
     * backend domain, BlockFrontend in the frontend domain). The policer attaches the moment
     * the frontend publishes its ring reference, so the monitor sees the rest of the handshake.
     */
    const openDriverSession = async (devid: string, frontend: DemoDomain, backend: DemoDomain): Promise<DriverSession | undefined> => {
      const connection = await connectVbd(devid, frontend, backend);
      if (connection === undefined) return undefined;
      const problems: ConnectionProblem[] = [];
      const onProblem = (problem: ConnectionProblem): void => {
        problems.push(problem);
      };
      const watcher = attachPolicerAtRingReference(connection);
      const storeFor = (domainId: number): ConnectionStore => connectInProcessConnectionStore(store, domainId, (callback) => execution.scheduler.schedule(callback, `watch-${domainId}`));
      const partyOptions = { frontendPath: connection.frontendDirectory, backendPath: connection.backendDirectory, onProblem };
      const backendParty = options.blkif.drivers.createBackend(execution.contextFor(backend.id), { ...partyOptions, store: storeFor(backend.id), frontendDomainId: frontend.id, diskSectors: demoDiskSectors });
      const frontendParty = options.blkif.drivers.createFrontend(execution.contextFor(frontend.id), { ...partyOptions, store: storeFor(frontend.id), backendDomainId: backend.id });
      try {
        await settle(backendParty.start(), `the ${backend.name} block backend's start`);
        await settle(frontendParty.connect(), `the ${frontend.name} block frontend's handshake`);
      } finally {
        watcher.stop();
      }
      const ringReference = watcher.attachedReference();
      if (problems.length > 0) throw new DemoHostError(`the drivers reported a problem connecting ${connection.key}: ${problems[0]?.message ?? ""}`);
      emit("handshake", `Handshake of ${connection.key} by the real drivers (BlockBackend, BlockFrontend): backend InitWait, frontend Initialised (ring-ref ${ringReference}), backend Connected, frontend Connected; the policer attached at ring-ref${frontendParty.usesPersistentGrants ? "; both ends offered feature-persistent, so the backend keeps the frontend's data pages mapped across responses" : ""}.`, {
        connection: connection.key,
        ringReference,
        drivers: true,
        persistentGrants: frontendParty.usesPersistentGrants,
      });
      return { connection, frontend: frontendParty, backend: backendParty, problems };
    };

    /** Rounds of seeded reads and writes through the frontend driver; the last write is read back. */
    const runDriverTraffic = async (session: DriverSession, rounds: number): Promise<number> => {
      let answered = 0;
      let reads = 0;
      let writes = 0;
      let lastWrite: { readonly sector: number; readonly data: Uint8Array } | undefined;
      for (let round = 0; round < rounds; round += 1) {
        const requests = 3 + random.nextBelow(6);
        const pending: Promise<unknown>[] = [];
        for (let request = 0; request < requests; request += 1) {
          const sector = random.nextBelow(demoDiskSectors - 8);
          const count = 1 + random.nextBelow(4);
          if (random.nextBelow(2) === 0) {
            reads += 1;
            pending.push(session.frontend.read(sector, count));
          } else {
            writes += 1;
            const data = new Uint8Array(count * sectorBytes);
            for (let index = 0; index < data.length; index += 1) data[index] = (sector + index + round) & 0xff;
            lastWrite = { sector, data };
            pending.push(session.frontend.write(sector, data));
          }
        }
        await settle(Promise.all(pending), `round ${round + 1} of traffic on ${session.connection.key}`);
        execution.scheduler.runUntil(clock.now() + 2 + random.nextBelow(8));
        policer.auditAll();
        answered += requests;
      }
      const readBack = lastWrite === undefined ? undefined : await settle(session.frontend.read(lastWrite.sector, lastWrite.data.length / sectorBytes), "reading the last write back");
      const verified = lastWrite === undefined || (readBack !== undefined && readBack.every((byte, index) => byte === lastWrite.data[index]));
      if (!verified) throw new DemoHostError(`the disk behind ${session.connection.key} lost an acknowledged write`);
      requestsAnswered += answered;
      emit("traffic", `Traffic on ${session.connection.key} through the frontend driver: ${countOf(answered, "request")} (${countOf(reads, "read")}, ${countOf(writes, "write")}) answered exactly once; the last write read back intact; monitor quiet.`, {
        connection: session.connection.key,
        answered,
        reads,
        writes,
        drivers: true,
        outstanding: session.frontend.outstandingRequestCount,
      });
      return answered;
    };

    /** The frontend closes through the lifecycle, the policer detaches and the toolstack disconnects. */
    const closeDriverSession = async (session: DriverSession): Promise<void> => {
      await settle(session.frontend.close(), `closing ${session.connection.key}`);
      session.backend.abandon();
      policer.detach(session.connection.key);
      const disconnected = await sendBrokerCommand([brokerDisconnectCommandWord, "vbd", String(session.connection.frontendDomainId), session.connection.id]);
      if (disconnected.outcome !== "disconnected") throw new DemoHostError(`disconnect of ${session.connection.key} did not succeed (${disconnected.outcome})`);
      await settle(Promise.resolve(), "the drivers' last tasks");
      emit("connect", `The frontend driver closed ${session.connection.key} (Closing, Closed); the toolstack sent ${brokerDisconnectCommandWord} and the broker removed both directories.`, { connection: session.connection.key, disconnected: true });
    };

    /**
     * A hand-written (hostile) frontend on the primitives facing the real backend driver: the
     * frontend grants its ring, the policer attaches, the frontend publishes its keys and the
     * driver connects to it.
     */
    const openHostileFrontendSession = async (devid: string, frontend: DemoDomain, backend: DemoDomain): Promise<HostileFrontendSession | undefined> => {
      const connection = await connectVbd(devid, frontend, backend);
      if (connection === undefined) return undefined;
      const problems: ConnectionProblem[] = [];
      const storeFor = (domainId: number): ConnectionStore => connectInProcessConnectionStore(store, domainId, (callback) => execution.scheduler.schedule(callback, `watch-${domainId}`));
      const backendParty = options.blkif.drivers.createBackend(execution.contextFor(backend.id), {
        frontendPath: connection.frontendDirectory,
        backendPath: connection.backendDirectory,
        onProblem: (problem) => problems.push(problem),
        store: storeFor(backend.id),
        frontendDomainId: frontend.id,
        diskSectors: demoDiskSectors,
      });
      await settle(backendParty.start(), `the ${backend.name} block backend's start`);
      const { ringFrame, frontendRingMemory: ringMemory, grant } = grantRingAndPolice(connection, frontend, backend);
      const unbound = hypervisor.allocateUnboundPort(frontend.id, backend.id);
      if (!unbound.ok) throw new DemoHostError(`no event channel: ${unbound.reason}`);
      const frontendStore = StoreClient.connect(store, { domainId: frontend.id, privileged: false });
      const directory = connection.frontendDirectory;
      for (const [key, value] of Object.entries({ "ring-ref": String(grant.reference), "event-channel": String(unbound.port), protocol: honestKeyValues["protocol"] ?? "x86_64-abi" })) {
        requireOk(frontendStore.write(`${directory}/${key}`, value), `frontend writes ${key}`);
      }
      requireOk(frontendStore.write(`${directory}/state`, String(xenbusState.initialised)), "frontend enters Initialised");
      await settle(Promise.resolve(), "the backend driver's connection");
      const backendState = toolstack.readText(`${connection.backendDirectory}/state`);
      if (!backendState.ok || backendState.value !== String(xenbusState.connected)) throw new DemoHostError(`the backend driver did not connect to the frontend (state ${backendState.ok ? backendState.value : "unreadable"}): ${problems[0]?.message ?? "no problem reported"}`);
      requireOk(frontendStore.write(`${directory}/state`, String(xenbusState.connected)), "frontend enters Connected");
      frontendStore.close();
      emit("handshake", `Handshake of ${connection.key}: the backend driver (BlockBackend) InitWait; the hand-written frontend Initialised (ring-ref ${grant.reference}, event-channel ${unbound.port}); backend driver Connected; frontend Connected.`, {
        connection: connection.key,
        ringReference: grant.reference,
        frontendPort: unbound.port,
        drivers: "backend",
      });
      return { connection, backend: backendParty, ringMemory, ringFrame, ringReference: grant.reference, frontendPort: unbound.port, problems };
    };

    // 1. An honest block device between bank-a-payroll and the storage domain, on the real drivers.
    scenario = "honest";
    const honest = await openDriverSession("51712", domains.payroll, domains.storage);
    if (honest === undefined) throw new DemoHostError("the policy denied the demo's honest block device");
    const socketClient = await StoreSocketClient.connect(options.socketPath);
    try {
      const description = honest.connection.descriptionDirectory;
      const protocolName = await socketClient.read(`${description}/protocol`);
      const version = await socketClient.read(`${description}/version`);
      const specHash = await socketClient.read(`${description}/spec-hash`);
      emit("connect", `Store daemon (over its Unix socket) reports the instance's protocol description: ${protocolName} version ${version}, spec ${specHash.slice(0, 12)}.`, { protocol: protocolName, version, specHash });
    } finally {
      socketClient.close();
    }
    let verdictMark = verdicts.length;
    await runDriverTraffic(honest, 4);
    execution.scheduler.runUntil(clock.now() + 100);
    policer.auditAll();
    reportVerdicts(verdictMark, true);
    verdictMark = verdicts.length;
    await closeDriverSession(honest);
    reportVerdicts(verdictMark, true);

    // 2. A malicious frontend (hand-written, on the primitives) facing the backend driver pushes
    // req_prod past a whole ring of outstanding requests.
    scenario = "malicious-frontend";
    const first = await openHostileFrontendSession("51712", domains.payroll, domains.storage);
    if (first === undefined) throw new DemoHostError("the policy denied reconnecting the block device");
    verdictMark = verdicts.length;
    let noticeMark = notices.length;
    const header = new DataView(first.ringMemory.buffer, first.ringMemory.byteOffset, first.ringMemory.byteLength);
    const producedSoFar = header.getUint32(requestProducerOffset, true);
    const forgedProducer = (producedSoFar + options.blkif.ringEntries + 7) >>> 0;
    emit("attack", `Frontend (domain ${domains.payroll.id}) writes req_prod = ${forgedProducer} (was ${producedSoFar}, ring holds ${options.blkif.ringEntries}) and notifies: a request-index overflow (XSA-39 style).`, { requestProducer: forgedProducer, previous: producedSoFar });
    header.setUint32(requestProducerOffset, forgedProducer, true);
    hypervisor.sendEvent(domains.payroll.id, first.frontendPort);
    execution.scheduler.runUntil(clock.now() + 1);
    policer.auditAll();
    reportVerdicts(verdictMark, false);
    await reportHostileFrontendResetAndTearDown(first, noticeMark);
    const second = await openSession("51712", domains.payroll, domains.storage);
    if (second === undefined) throw new DemoHostError("the policy denied reconnecting the block device");
    const afterFrontendReset = runTraffic(second, 2);
    emit("recovery", `Recovery: the honest backend serves the reconnected frontend; ${afterFrontendReset} requests answered.`, { connection: second.connection.key, answered: afterFrontendReset });

    // 3. A malicious backend (hand-written) leaks stale bytes through response padding (XSA-216)
    // to the frontend driver, which re-issues its in-flight reads after reconnecting.
    scenario = "malicious-backend";
    await tearDownRawSession(second);
    const leaky = await openHostileBackendSession("51712", domains.payroll, domains.storage);
    if (leaky === undefined) throw new DemoHostError("the policy denied reconnecting the block device");
    verdictMark = verdicts.length;
    noticeMark = notices.length;
    const pendingReads = [0, 1, 2].map(() => leaky.frontend.read(random.nextBelow(demoDiskSectors - 8), 1 + random.nextBelow(3)));
    for (const pending of pendingReads) pending.catch(() => undefined);
    await settleUntil(() => leaky.frontend.outstandingRequestCount === pendingReads.length, () => "publishing the frontend driver's reads");
    const leaked = options.blkif.wire.responseTrailingPadding;
    emit("attack", `Backend (domain ${domains.storage.id}) answers the first of the frontend driver's ${pendingReads.length} reads with padding bytes ${leaked.offset}..${leaked.offset + leaked.bytes - 1} set to 0xc3 (stale data leak); the others stay in flight.`, { requests: pendingReads.length, answered: 1 });
    serveRequests(leaky, true, 1);
    policer.auditAll();
    reportVerdicts(verdictMark, false);
    const backendNotice = notices.slice(noticeMark).find((candidate) => candidate.connection === leaky.connection.key);
    await settle(Promise.resolve(), "the frontend driver's reaction to the reset");
    const inFlightAfterReset = leaky.frontend.outstandingRequestCount;
    emit("reset", `Reset: ${leaky.connection.key} is '${policer.statusOf(leaky.connection.key) ?? "unknown"}'; ${backendNotice === undefined ? "no party notified" : `backend (domain ${backendNotice.blamed.domainId}) lost its grants and channel and is Closed; the frontend driver, notified with ${backendNotice.inFlightRequestIds.length} in-flight request(s), holds ${inFlightAfterReset} to re-issue`}.`, {
      connection: leaky.connection.key,
      status: policer.statusOf(leaky.connection.key) ?? null,
      frontendState: readState(leaky.connection.frontendDirectory) ?? null,
      backendState: readState(leaky.connection.backendDirectory) ?? null,
      inFlight: backendNotice?.inFlightRequestIds ?? [],
      frontendDriverOutstanding: inFlightAfterReset,
    });
    policer.detach(leaky.connection.key);
    hypervisor.unmapGrant(domains.storage.id, leaky.backendRingHandle);
    const leakyDisconnected = await sendBrokerCommand([brokerDisconnectCommandWord, "vbd", String(domains.payroll.id), leaky.connection.id]);
    if (leakyDisconnected.outcome !== "disconnected") throw new DemoHostError(`disconnect of ${leaky.connection.key} did not succeed (${leakyDisconnected.outcome})`);
    // A fresh, honest backend driver; the frontend driver handshakes again and re-issues what was in flight.
    const rebuilt = await connectVbd("51712", domains.payroll, domains.storage);
    if (rebuilt === undefined) throw new DemoHostError("the policy denied reconnecting the block device");
    const rebuiltWatcher = attachPolicerAtRingReference(rebuilt);
    const rebuiltProblems: ConnectionProblem[] = [];
    const freshBackend = options.blkif.drivers.createBackend(execution.contextFor(domains.storage.id), {
      frontendPath: rebuilt.frontendDirectory,
      backendPath: rebuilt.backendDirectory,
      onProblem: (problem) => rebuiltProblems.push(problem),
      store: connectInProcessConnectionStore(store, domains.storage.id, (callback) => execution.scheduler.schedule(callback, `watch-${domains.storage.id}`)),
      frontendDomainId: domains.payroll.id,
      diskSectors: demoDiskSectors,
    });
    try {
      await settle(freshBackend.start(), "the fresh backend driver's start");
      await settle(Promise.all(pendingReads), "the frontend driver's re-issued reads");
    } finally {
      rebuiltWatcher.stop();
    }
    const rebuiltReference = rebuiltWatcher.attachedReference();
    requestsReissued += inFlightAfterReset;
    requestsAnswered += pendingReads.length;
    emit("recovery", `Recovery: the frontend driver reconnected (its connection #${leaky.frontend.connectionCount}, ring-ref ${rebuiltReference}) to a fresh backend driver and re-issued its ${inFlightAfterReset} in-flight read(s); all ${pendingReads.length} reads answered, none dropped.`, {
      connection: rebuilt.key,
      reissued: inFlightAfterReset,
      answered: pendingReads.length,
      frontendConnections: leaky.frontend.connectionCount,
      drivers: true,
    });
    await closeDriverSession({ connection: rebuilt, frontend: leaky.frontend, backend: freshBackend, problems: rebuiltProblems });

    // 4. A lying complainer: the backend accuses the honest frontend of rewriting a request.
    scenario = "false-complaint";
    const third = await openSession("51712", domains.payroll, domains.storage);
    if (third === undefined) throw new DemoHostError("the policy denied reconnecting the block device");
    verdictMark = verdicts.length;
    noticeMark = notices.length;
    runTraffic(third, 1);
    const accusedClause = options.blkif.spec.rings[0]?.slotRewrittenClauseId ?? "";
    emit("attack", `Backend (domain ${domains.storage.id}) complains that the frontend broke ${accusedClause}; the frontend did nothing wrong.`, { clause: accusedClause });
    const answer = policer.complain({ connection: third.connection.key, complainerRole: "backend", clauseId: accusedClause, evidence: { detail: "request slot changed after publication", index: 0 } });
    if ("ok" in answer) emit("verdict", `The policer refused the complaint (${answer.code}): ${answer.reason}.`, { code: answer.code });
    reportVerdicts(verdictMark, false);
    await reportResetAndTearDown(third, noticeMark);
    const fourth = await openSession("51712", domains.payroll, domains.storage);
    if (fourth === undefined) throw new DemoHostError("the policy denied reconnecting the block device");
    const afterFalseComplaint = runTraffic(fourth, 1);
    emit("recovery", `Recovery: connection re-established; ${afterFalseComplaint} requests answered.`, { connection: fourth.connection.key, answered: afterFalseComplaint });

    // 5. Connections the policy forbids.
    scenario = "denied";
    const ledgerStart = startGate.startDomain(domains.ledger.name, { id: domains.ledger.id });
    if (ledgerStart.started) throw new DemoHostError(`the policy let ${domains.ledger.name} start next to ${domains.payroll.name}; the Chinese wall demo needs the bundled host policy`);
    emit("denied", `Toolstack denied starting ${domains.ledger.name} while ${domains.payroll.name} runs: rule ${ledgerStart.decision.rule} — ${ledgerStart.decision.reason}.`, {
      rule: ledgerStart.decision.rule,
      ruleKind: ledgerStart.decision.ruleKind,
      domain: domains.ledger.name,
    });
    policyDenials.push(ledgerStart.decision.rule);
    await openSession("51728", domains.payroll, domains.network);
    // Below the store: a public web guest tries to map a page bank-a-payroll granted it; the
    // hypervisor's hook applies type enforcement (bank-a and public share no type).
    const webStart = startGate.startDomain(domains.webShop.name, { id: domains.webShop.id });
    if (!webStart.started) throw new DemoHostError(`the policy refused to start ${domains.webShop.name}: ${webStart.decision.reason}`);
    const leakedFrame = hypervisor.allocatePages(domains.payroll.id, 1);
    if (leakedFrame === undefined) throw new DemoHostError("bank-a-payroll has no frame to grant");
    const leakedGrant = hypervisor.grantAccess(domains.payroll.id, domains.webShop.id, leakedFrame, true);
    if (!leakedGrant.ok) throw new DemoHostError(`grant to ${domains.webShop.name} refused at creation: ${leakedGrant.reason}`);
    const webMapping = hypervisor.mapGrant(domains.webShop.id, domains.payroll.id, leakedGrant.reference, false);
    if (webMapping.ok) throw new DemoHostError(`the hypervisor let ${domains.webShop.name} map a page of ${domains.payroll.name}; the type-enforcement demo needs the bundled host policy`);
    const webDenialRule = /type-enforcement:[a-z-]+/.exec(webMapping.reason)?.[0] ?? "type-enforcement";
    emit("denied", `Hypervisor refused ${domains.webShop.name} (domain ${domains.webShop.id}) mapping grant ${leakedGrant.reference} of ${domains.payroll.name}: ${webMapping.reason}.`, {
      rule: webDenialRule,
      operation: "grant-map",
      mapper: domains.webShop.name,
      granter: domains.payroll.name,
    });
    policyDenials.push(webDenialRule);
    hypervisor.endAccess(domains.payroll.id, leakedGrant.reference);
    hypervisor.freePages(domains.payroll.id, leakedFrame, 1);

    scenario = "summary";
    clock.advanceBy(100);
    const lateMark = verdicts.length;
    policer.auditAll();
    reportVerdicts(lateMark, true);
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  }
  const auditRecords = readAuditLog(options.auditLogPath).records.length;
  const summary: DemoSummary = { requestsAnswered, requestsReissued, verdicts: summaryVerdicts, policyDenials, honestBlames, auditRecords };
  emit("summary", `Summary: ${requestsAnswered} requests answered (${requestsReissued} re-issued after a reset), ${summaryVerdicts.length} verdicts, ${policyDenials.length} policy denials, ${honestBlames} blames of honest parties, ${auditRecords} audit records.`, {
    requestsAnswered,
    requestsReissued,
    verdicts: summaryVerdicts.map((verdict) => `${verdict.scenario}: ${verdict.clauseId} -> ${verdict.blamedRole}`),
    policyDenials,
    honestBlames,
    auditRecords,
  });
  return summary;
}

/** "1 read", "3 reads": timeline lines read as sentences. */
function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
