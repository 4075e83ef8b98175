// The policer: attaches a monitor to each connection it polices, feeds it every hypervisor
// and store operation, arbitrates complaints by re-checking shared state itself, runs audits
// on its own (virtual) schedule, blames the clause owner or a lying complainer, resets the
// blamed party's share of the connection and notifies the honest peer. Everything it decides
// goes to the audit log.

import type { AuditParty, AuditJsonValue } from "../audit/audit-record.js";
import type { AuditSink } from "../audit/audit-log-writer.js";
import { GrantEntryFlag, PortState, isGrantFailure, type Hypervisor, type HypervisorOperation } from "../hypervisor/index.js";
import { ConnectionMonitor, type MonitorGrantInspector, type MonitorParty, type MonitorSpec, type Violation } from "../monitor/index.js";
import { StoreClient } from "../store/store-client.js";
import type { XenStore } from "../store/store.js";
import type { Clock } from "../time/index.js";
import { judgeComplaint } from "./arbitrate-complaint.js";
import type { Complaint, PeerResetNotice, PolicerVerdict } from "./complaint.js";
import { decodeFirstPath, decodeStoreError, decodeStoreWrite } from "./store-request-decoding.js";

/** The ring pages of one ring of the connection, as granted by one party. */
export interface PolicedRingPages {
  readonly granterRole: string;
  readonly references: readonly number[];
}

export interface PolicedConnectionOptions {
  /** A name unique among the policer's connections, e.g. `vbd/1/51712`. */
  readonly name: string;
  readonly spec: MonitorSpec;
  readonly parties: readonly [MonitorParty, MonitorParty];
  /** One entry per ring of `spec.rings`, in the same order. */
  readonly ringPages: readonly PolicedRingPages[];
  /**
   * Store writes already made but not yet visible to the policer's own reads: a caller attaching
   * from inside a party's write (the demo and tests attach at the frontend's `ring-ref`, written in
   * its open transaction) names that write here, and the monitor is fed it as the party's own.
   */
  readonly writesInFlight?: readonly { readonly domainId: number; readonly path: string; readonly value: string }[];
}

export interface PolicerOptions {
  readonly hypervisor: Hypervisor;
  readonly store: XenStore;
  readonly clock: Clock;
  readonly audit: AuditSink;
  /** Whether a blamed party is left paused after its reset (policy's quarantine rule). */
  readonly quarantine?: (blamed: AuditParty, clauseId: string) => boolean;
  readonly onPeerReset?: (notice: PeerResetNotice) => void;
  readonly onVerdict?: (verdict: PolicerVerdict) => void;
}

export type PolicedConnectionStatus = "policed" | "arbitrating" | "reset" | "detached";

export type AttachResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

interface PolicedConnection {
  readonly options: PolicedConnectionOptions;
  readonly monitor: ConnectionMonitor;
  /** The policer's read-only views of the live ring pages, one per ring of the spec. */
  readonly ringMemories: readonly Uint8Array[];
  status: PolicedConnectionStatus;
  readonly verdicts: PolicerVerdict[];
}

/** Whatever runs the policer's timers: the seeded scheduler in simulations, a real timer adapter in a daemon. */
export interface PolicerTimers {
  setTimer(delayMilliseconds: number, task: () => void, label?: string): { cancel(): void };
}

/** A stable code for a complaint the policer cannot even consider. */
export type ComplaintRefusal = { readonly ok: false; readonly code: "unknown-connection" | "unknown-role" | "unknown-clause" | "connection-closed"; readonly reason: string };

export class Policer {
  private readonly connections = new Map<string, PolicedConnection>();
  private readonly toolstack: StoreClient;
  private readonly unsubscribeHypervisor: () => void;
  private readonly unsubscribeStore: () => void;
  private readonly grantInspector: MonitorGrantInspector;

  constructor(private readonly options: PolicerOptions) {
    this.toolstack = StoreClient.connect(options.store, { domainId: 0, privileged: true });
    const hypervisor = options.hypervisor;
    this.grantInspector = {
      isGrantedTo(granterId, reference, granteeId) {
        const table = hypervisor.findDomain(granterId)?.grantTable;
        return table !== undefined && table.isValidReference(reference) && table.isPermitAccess(reference) && table.granteeDomainIds[reference] === granteeId;
      },
      isReadOnly(granterId, reference) {
        const table = hypervisor.findDomain(granterId)?.grantTable;
        return table !== undefined && table.isValidReference(reference) && ((table.flags[reference] ?? 0) & GrantEntryFlag.readonly) !== 0;
      },
    };
    this.unsubscribeHypervisor = hypervisor.observation.subscribe((operation) => this.observeHypervisor(operation));
    this.unsubscribeStore = options.store.onRequestHandled((handled) => {
      const write = decodeStoreWrite(handled.request.type, handled.request.payload, handled.domainId);
      const error = decodeStoreError(handled.reply.type, handled.reply.payload);
      for (const connection of this.connections.values()) {
        if (connection.status !== "policed") continue;
        if (error !== null) connection.monitor.observeStoreError(handled.domainId, error, decodeFirstPath(handled.request.payload, handled.domainId));
        else if (write !== null) connection.monitor.observeStoreWrite(handled.privileged ? 0 : handled.domainId, write.path, write.value);
      }
    });
  }

  /** Starts policing a connection: maps its ring pages read-only (as dom0 may) and attaches a monitor. */
  attach(connectionOptions: PolicedConnectionOptions): AttachResult {
    if (this.connections.get(connectionOptions.name)?.status === "policed") return { ok: false, reason: `connection ${connectionOptions.name} is already policed` };
    const ringMemories: Uint8Array[] = [];
    for (const [position, pages] of connectionOptions.ringPages.entries()) {
      const view = this.viewGrantedPages(connectionOptions, pages);
      if (typeof view === "string") return { ok: false, reason: `ring ${position}: ${view}` };
      ringMemories.push(view);
    }
    let monitor: ConnectionMonitor;
    try {
      monitor = new ConnectionMonitor({
        spec: connectionOptions.spec,
        parties: connectionOptions.parties,
        ringMemories,
        clock: this.options.clock,
        grants: this.grantInspector,
        grantReferenceLimit: this.options.hypervisor.limits.grantEntriesPerDomain,
        onViolation: (violation) => this.judgeObservedViolation(connectionOptions.name, violation),
      });
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
    // Keys written before the attach (a backend's features at InitWait, keys the store key
    // clauses read) count as written, fed as the toolstack's so nobody is judged for them; before
    // the states, so entering Connected fixes the negotiated ones.
    for (const path of monitor.listJudgedStorePaths()) {
      const value = this.toolstack.readText(path);
      if (value.ok) monitor.observeStoreWrite(0, path, value.value);
    }
    for (const party of connectionOptions.parties) {
      const state = this.toolstack.readText(`${party.directory}/state`);
      if (state.ok) monitor.observeStoreWrite(0, `${party.directory}/state`, state.value);
    }
    for (const write of connectionOptions.writesInFlight ?? []) monitor.observeStoreWrite(write.domainId, write.path, write.value);
    this.connections.set(connectionOptions.name, { options: connectionOptions, monitor, ringMemories, status: "policed", verdicts: [] });
    return { ok: true };
  }

  /** Stops policing (a normal disconnect); the monitor is dropped. */
  detach(name: string): void {
    const connection = this.connections.get(name);
    if (connection === undefined) return;
    connection.monitor.freeze();
    connection.status = "detached";
  }

  statusOf(name: string): PolicedConnectionStatus | undefined {
    return this.connections.get(name)?.status;
  }

  verdictsOf(name: string): readonly PolicerVerdict[] {
    return this.connections.get(name)?.verdicts ?? [];
  }

  monitorOf(name: string): ConnectionMonitor | undefined {
    return this.connections.get(name)?.monitor;
  }

  close(): void {
    this.unsubscribeHypervisor();
    this.unsubscribeStore();
    for (const connection of this.connections.values()) connection.monitor.freeze();
  }

  /** The policer's own schedule: a full audit of every policed connection (call it from a timer). */
  auditAll(): readonly PolicerVerdict[] {
    const verdicts: PolicerVerdict[] = [];
    for (const connection of this.connections.values()) {
      if (connection.status !== "policed") continue;
      const before = connection.verdicts.length;
      connection.monitor.audit();
      verdicts.push(...connection.verdicts.slice(before));
    }
    return verdicts;
  }

  /**
   * Audits every `intervalMilliseconds` on the given timers, so violations nobody reports
   * (deadlines, stuck handshakes, silent pairs, rewritten slots) are found without being asked.
   * Returns the function that stops the schedule.
   */
  startAuditSchedule(timers: PolicerTimers, intervalMilliseconds: number): () => void {
    if (!(intervalMilliseconds > 0)) throw new RangeError(`an audit interval must be a positive number of milliseconds, not ${intervalMilliseconds}`);
    let current: { cancel(): void } | undefined;
    let stopped = false;
    const runAndReschedule = (): void => {
      if (stopped) return;
      this.auditAll();
      current = timers.setTimer(intervalMilliseconds, runAndReschedule, "policer-audit");
    };
    current = timers.setTimer(intervalMilliseconds, runAndReschedule, "policer-audit");
    return () => {
      stopped = true;
      current?.cancel();
    };
  }

  /**
   * Arbitrates a complaint: takes a private snapshot of the ring frames, logs the complaint,
   * freezes the connection (both parties paused), re-checks the clause against the snapshot and the
   * grant state the policer reads itself, and blames the accused when the re-check confirms the
   * complaint (arbitrate-complaint.ts) or the complainer when not. Writes to the shared ring
   * pages after the snapshot cannot change the verdict (docs/policing.md, "Freeze").
   */
  complain(complaint: Complaint): PolicerVerdict | ComplaintRefusal {
    const connection = this.connections.get(complaint.connection);
    if (connection === undefined) return { ok: false, code: "unknown-connection", reason: `no policed connection named ${complaint.connection}` };
    if (connection.status !== "policed") return { ok: false, code: "connection-closed", reason: `connection ${complaint.connection} is ${connection.status}` };
    const monitor = connection.monitor;
    const complainerIndex = monitor.roleIndex(complaint.complainerRole);
    if (complainerIndex < 0) return { ok: false, code: "unknown-role", reason: `${complaint.complainerRole} is not a role of ${monitor.spec.protocol}` };
    const clause = monitor.spec.clauses.find((candidate) => candidate.id === complaint.clauseId);
    if (clause === undefined) return { ok: false, code: "unknown-clause", reason: `${complaint.clauseId} is not a clause of ${monitor.spec.protocol}` };
    const complainer = this.partyOf(connection, complainerIndex);
    const accused = this.partyOf(connection, 1 - complainerIndex);
    // The snapshot comes first: a frame is shared memory that both parties keep write access
    // to (nothing here can revoke a mapping), so the re-check must not read the live pages.
    const ringSnapshots = this.snapshotRings(connection);
    // Logged before anything changes, so an audit log that fails leaves the connection as it was.
    const complaintRecord = this.options.audit.append({ kind: "complaint", connection: complaint.connection, complainer, accused, clause: complaint.clauseId, evidence: complaint.evidence });
    // While arbitrating, violations the re-check finds are recorded by the monitor and judged
    // here rather than as separate verdicts.
    connection.status = "arbitrating";
    this.freeze(connection);
    monitor.readRingsFrom(ringSnapshots);
    monitor.audit();
    const judgement = judgeComplaint(clause, accused.role, monitor.violations);
    const confirmingViolation = judgement.confirmed ? judgement.violation : null;
    const verdict: PolicerVerdict = {
      connection: complaint.connection,
      clauseId: clause.id,
      complaintSeq: complaintRecord.seq,
      confirmed: judgement.confirmed,
      blamed: judgement.confirmed ? accused : complainer,
      reason: judgement.confirmed ? `the policer's re-check confirms ${clause.id} (${clause.specSpan}): ${judgement.violation.evidence.detail}` : judgement.reason,
      violation: confirmingViolation,
    };
    this.conclude(connection, verdict, confirmingViolation === null ? complaint.evidence : violationEvidence(confirmingViolation));
    return verdict;
  }

  // Internals ----------------------------------------------------------------------------

  private observeHypervisor(operation: HypervisorOperation): void {
    for (const connection of this.connections.values()) {
      if (connection.status === "policed") connection.monitor.observeHypervisorOperation(operation);
    }
  }

  private judgeObservedViolation(name: string, violation: Violation): void {
    const connection = this.connections.get(name);
    if (connection === undefined || connection.status !== "policed") return;
    const blamedIndex = connection.monitor.roleIndex(violation.blamedRole);
    const blamed = this.partyOf(connection, blamedIndex);
    const verdict: PolicerVerdict = {
      connection: name,
      clauseId: violation.clauseId,
      complaintSeq: null,
      confirmed: true,
      blamed,
      reason: `the policer observed ${violation.clauseId} (${violation.specSpan}): ${violation.evidence.detail}`,
      violation,
    };
    connection.status = "arbitrating";
    this.freeze(connection);
    this.conclude(connection, verdict, violationEvidence(violation));
  }

  private conclude(connection: PolicedConnection, verdict: PolicerVerdict, evidence: AuditJsonValue): void {
    this.options.audit.append({ kind: "verdict", connection: verdict.connection, clause: verdict.clauseId, complaintSeq: verdict.complaintSeq, confirmed: verdict.confirmed, blamed: verdict.blamed, reason: verdict.reason, evidence });
    connection.verdicts.push(verdict);
    const monitor = connection.monitor;
    const blamedIndex = monitor.roleIndex(verdict.blamed.role);
    const inFlightRequestIds = connection.options.spec.rings.flatMap((ring, position) => (ring.requesterRole === connection.options.parties[1 - blamedIndex]?.role ? monitor.listOutstandingRequestIds(position) : []));
    // A silent pair is one clause broken by both parties at once: the monitor records both
    // violations before reporting the first, so both get a verdict and a reset here.
    const alsoBlamed = verdict.complaintSeq !== null ? [] : monitor.violations.filter((violation) => violation.blamedRole !== verdict.blamed.role && violation.clauseId === verdict.clauseId && violation.time === verdict.violation?.time);
    monitor.freeze();
    this.resetParty(connection, blamedIndex, verdict.clauseId);
    for (const other of alsoBlamed) {
      const otherIndex = monitor.roleIndex(other.blamedRole);
      const otherVerdict: PolicerVerdict = { ...verdict, blamed: this.partyOf(connection, otherIndex), reason: `the policer observed ${other.clauseId} (${other.specSpan}): ${other.evidence.detail}`, violation: other };
      this.options.audit.append({ kind: "verdict", connection: verdict.connection, clause: other.clauseId, complaintSeq: null, confirmed: true, blamed: otherVerdict.blamed, reason: otherVerdict.reason, evidence: violationEvidence(other) });
      connection.verdicts.push(otherVerdict);
      this.resetParty(connection, otherIndex, other.clauseId);
      this.options.onVerdict?.(otherVerdict);
    }
    connection.status = "reset";
    this.options.onVerdict?.(verdict);
    const honestIndex = 1 - blamedIndex;
    if (alsoBlamed.length === 0) {
      const honest = this.partyOf(connection, honestIndex);
      if (this.options.hypervisor.findDomain(honest.domainId)?.lifecycle === "paused") this.options.hypervisor.unpauseDomain(honest.domainId);
      this.options.onPeerReset?.({ connection: verdict.connection, honest, blamed: verdict.blamed, clauseId: verdict.clauseId, inFlightRequestIds });
    }
  }

  /**
   * The policer's private copy of every ring's frames, taken when arbitration starts. Only
   * allocated per complaint, never per message.
   */
  private snapshotRings(connection: PolicedConnection): Uint8Array[] {
    return connection.ringMemories.map((live) => live.slice());
  }

  /**
   * Freezing: both parties are paused, so their events are held back and a cooperative party
   * stops. Pausing cannot stop a write to a frame already mapped (see snapshotRings).
   */
  private freeze(connection: PolicedConnection): void {
    for (const party of connection.options.parties) {
      if (this.options.hypervisor.findDomain(party.domainId)?.lifecycle === "running") this.options.hypervisor.pauseDomain(party.domainId);
    }
  }

  /**
   * Resets the blamed party's share of the connection: the mappings between the two parties
   * for this connection are released, the blamed party's grants to its peer are ended, its
   * event-channel port to the peer is closed, its xenbus state becomes Closed, and it stays
   * paused when the quarantine rule says so.
   */
  private resetParty(connection: PolicedConnection, blamedIndex: number, clauseId: string): void {
    const hypervisor = this.options.hypervisor;
    const blamed = connection.options.parties[blamedIndex];
    const peer = connection.options.parties[1 - blamedIndex];
    if (blamed === undefined || peer === undefined) return;
    const actions: string[] = [];
    let unmapped = 0;
    for (const [mapperId, granterId] of [[peer.domainId, blamed.domainId], [blamed.domainId, peer.domainId]] as const) {
      const mapper = hypervisor.findDomain(mapperId);
      if (mapper === undefined) continue;
      for (const mapping of [...mapper.grantMappings.values()]) {
        if (mapping.granter.id === granterId && !isGrantFailure(hypervisor.unmapGrant(mapperId, mapping.handle))) unmapped += 1;
      }
    }
    actions.push(`unmap-connection-grants:${unmapped}`);
    const blamedDomain = hypervisor.findDomain(blamed.domainId);
    let revoked = 0;
    if (blamedDomain !== undefined) {
      const table = blamedDomain.grantTable;
      for (let reference = 0; reference < table.capacity; reference += 1) {
        if (table.isReservedReference(reference) || !table.isPermitAccess(reference) || table.granteeDomainIds[reference] !== peer.domainId) continue;
        if (!isGrantFailure(hypervisor.endAccess(blamed.domainId, reference))) revoked += 1;
      }
    }
    actions.push(`revoke-grants:${revoked}`);
    let closed = 0;
    const blamedSlotPorts = hypervisor.limits.portsPerDomain;
    if (blamedDomain !== undefined) {
      for (let port = 1; port < blamedSlotPorts; port += 1) {
        const table = hypervisor.eventChannelTable;
        if (table.stateOf(blamedDomain.eventTableSlot, port) === PortState.free || table.remoteDomainIdOf(blamedDomain.eventTableSlot, port) !== peer.domainId) continue;
        if (hypervisor.closePort(blamed.domainId, port).ok) closed += 1;
      }
    }
    actions.push(`close-evtchn:${closed}`);
    const closedState = connection.options.spec.lifecycle.closedState;
    const stateWrite = this.toolstack.write(`${blamed.directory}/state`, String(closedState));
    actions.push(stateWrite.ok ? "state-closed" : `state-closed-failed:${stateWrite.error}`);
    const party = this.partyOf(connection, blamedIndex);
    const quarantined = this.options.quarantine?.(party, clauseId) ?? false;
    if (quarantined) actions.push("quarantine-paused");
    else if (hypervisor.findDomain(blamed.domainId)?.lifecycle === "paused") hypervisor.unpauseDomain(blamed.domainId);
    this.options.audit.append({ kind: "reset", connection: connection.options.name, party, actions, quarantined });
  }

  private viewGrantedPages(connection: PolicedConnectionOptions, pages: PolicedRingPages): Uint8Array | string {
    const granter = connection.parties.find((party) => party.role === pages.granterRole);
    if (granter === undefined) return `${pages.granterRole} is not a party of the connection`;
    const domain = this.options.hypervisor.findDomain(granter.domainId);
    if (domain === undefined) return `domain ${granter.domainId} does not exist`;
    let firstFrame = -1;
    for (const [position, reference] of pages.references.entries()) {
      if (!domain.grantTable.isValidReference(reference) || !domain.grantTable.isPermitAccess(reference)) return `grant reference ${reference} of domain ${granter.domainId} is not granted`;
      const frame = domain.grantTable.frames[reference] ?? -1;
      if (position === 0) firstFrame = frame;
      else if (frame !== firstFrame + position) return "ring pages are not contiguous frames";
    }
    if (firstFrame < 0) return "no ring pages given";
    // dom0's privilege to map any guest frame: the policer only ever reads through this view.
    return domain.memory.viewFrames(firstFrame, pages.references.length);
  }

  private partyOf(connection: PolicedConnection, index: number): AuditParty {
    const party = connection.options.parties[index] ?? connection.options.parties[0];
    return { role: party.role, domainId: party.domainId };
  }
}

function violationEvidence(violation: Violation): AuditJsonValue {
  const evidence: Record<string, AuditJsonValue> = { specSpan: violation.specSpan, time: violation.time };
  for (const [key, value] of Object.entries(violation.evidence)) if (value !== undefined) evidence[key] = value;
  return evidence;
}
