// The data-driven monitor of one connection: fed ring indices (read from its own read-only
// view of the ring pages), hypervisor operations, store writes and clock ticks, it checks the
// obligations of a MonitorSpec and reports each broken clause once, with the role to blame.
// Per-message work is O(1) and allocates nothing until a violation is found. Its look at a ring
// is lossy (parties suppress notifications, so slots may be reused before it looks): it judges
// only what it observed consistently and counts the rest as unobserved (docs/policing.md §9).

import { readStoreBoolean } from "../connection/store-key-values.js";
import type { Clock } from "../time/index.js";
import type { MonitorIdField, MonitorRingChannel, MonitorSpec } from "./monitor-spec.js";
import { absentEntry, OutstandingRequestTable } from "./outstanding-request-table.js";
import { StoreKeyClauseJudge } from "./store-key-checks.js";
import type { StoreKeyClause } from "./store-key-clause-table.js";
import { formatBytesAsHex, type Violation, type ViolationEvidence } from "./violation.js";

/** One side of the connection: its role, domain and xenbus directory in the store. */
export interface MonitorParty {
  readonly role: string;
  readonly domainId: number;
  readonly directory: string;
}

/** How the monitor asks who granted what; the policer answers from the hypervisor's grant tables. */
export interface MonitorGrantInspector {
  isGrantedTo(granterId: number, reference: number, granteeId: number): boolean;
  isReadOnly(granterId: number, reference: number): boolean;
}

export interface ConnectionMonitorOptions {
  readonly spec: MonitorSpec;
  /** In the order of `spec.roles`. */
  readonly parties: readonly [MonitorParty, MonitorParty];
  /** The monitor's own view of each ring of `spec.rings`, in the same order. */
  readonly ringMemories: readonly Uint8Array[];
  readonly clock: Clock;
  readonly grants: MonitorGrantInspector;
  readonly onViolation?: (violation: Violation) => void;
  /** Largest grant reference the per-reference counters cover (the grant table capacity). */
  readonly grantReferenceLimit?: number;
}

/** The minimum of hypervisor operations the monitor reads; structurally a HypervisorOperation. */
export type MonitorHypervisorOperation =
  | { readonly kind: "evtchn-send"; readonly domain: number; readonly port: number }
  | { readonly kind: "evtchn-alloc-unbound"; readonly domain: number; readonly port: number; readonly remote: number }
  | { readonly kind: "evtchn-bind-interdomain"; readonly domain: number; readonly port: number; readonly remote: number }
  | { readonly kind: "grant-map"; readonly mapper: number; readonly granter: number; readonly reference: number }
  | { readonly kind: "grant-unmap"; readonly mapper: number; readonly granter: number; readonly reference: number }
  | { readonly kind: "grant-end-access"; readonly granter: number; readonly reference: number }
  | { readonly kind: "grant-copy"; readonly caller: number }
  | { readonly kind: string };

const ringSlotsOffset = 64;

/** FNV-1a over a byte range: cheap, allocation-free fingerprint of slot bytes. */
function hashBytes(memory: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let offset = start; offset < end; offset += 1) hash = Math.imul(hash ^ (memory[offset] ?? 0), 0x01000193);
  return hash >>> 0;
}

/** The ring header's index words over `memory`, after checking it can hold the ring. */
function viewIndexWords(channel: MonitorRingChannel, memory: Uint8Array): Int32Array {
  if (memory.byteOffset % 4 !== 0) throw new RangeError(`ring ${channel.name}: memory must be 4-aligned`);
  if (memory.byteLength < ringSlotsOffset + channel.entries * channel.slotBytes) throw new RangeError(`ring ${channel.name}: memory too small for ${channel.entries} slots of ${channel.slotBytes} bytes`);
  return new Int32Array(memory.buffer, memory.byteOffset, 4);
}

function viewSlots(channel: MonitorRingChannel, memory: Uint8Array): Uint8Array[] {
  const views: Uint8Array[] = [];
  for (let slot = 0; slot < channel.entries; slot += 1) {
    const start = ringSlotsOffset + slot * channel.slotBytes;
    views.push(memory.subarray(start, start + channel.slotBytes));
  }
  return views;
}

class RingWatch {
  readonly table: OutstandingRequestTable;
  /** The bytes the ring is read from: the view given at construction, or a snapshot (see readRingsFrom). */
  memory: Uint8Array;
  indexWords: Int32Array;
  readonly requestCopy: Uint8Array;
  readonly responseCopy: Uint8Array;
  readonly requestView: DataView;
  readonly responseView: DataView;
  /** The last `entries` answered ids, to tell a duplicate response from an unknown one. */
  readonly answeredLow: Uint32Array;
  readonly answeredHigh: Uint32Array;
  answeredCount = 0;
  answeredNext = 0;
  seenRequestProducer = 0;
  seenResponseProducer = 0;
  /** Messages judged, and messages whose slot may have been reused before the monitor looked. */
  observedRequests = 0;
  unobservedRequests = 0;
  observedResponses = 0;
  unobservedResponses = 0;
  /**
   * Unobserved requests not yet accounted for by a response whose id the monitor did not know,
   * and unobserved responses that may have answered requests still in the table. While either
   * is non-zero the id correlation is best-effort; both return to zero when the ring is idle.
   */
  pendingUnobservedRequests = 0;
  pendingUnobservedResponses = 0;
  /** Set once an index violation is reported: nothing on this ring can be trusted after it. */
  faulted = false;
  /** Clock time of the responder's last response, or of the request that ended an idle spell. */
  progressSince = 0;
  readonly requesterIndex: number;
  readonly responderIndex: number;
  /** One preallocated view per slot, so copying a message creates no view per message. */
  slotViews: Uint8Array[];
  /** Per response position of the current look: 1 while its id is left to match after the look's requests. */
  readonly responseDeferred: Uint8Array;
  /**
   * The grant obligation's unmap exemptions as indices into the monitor's exemption keys (one
   * array per conjunction), and whether one holds now: recomputed when a key or a state changes,
   * so a response costs one boolean read.
   */
  unmapExemptionKeyIndices: readonly (readonly number[])[] = [];
  unmapExemptionExpected: readonly (readonly boolean[])[] = [];
  unmapExempt = false;

  constructor(readonly channel: MonitorRingChannel, memory: Uint8Array, requesterIndex: number, responderIndex: number) {
    this.memory = memory;
    this.indexWords = viewIndexWords(channel, memory);
    this.slotViews = viewSlots(channel, memory);
    this.table = new OutstandingRequestTable(channel.outstandingBound, channel.grants?.maximumReferences ?? 0);
    this.requestCopy = new Uint8Array(channel.slotBytes);
    this.responseCopy = new Uint8Array(channel.slotBytes);
    this.requestView = new DataView(this.requestCopy.buffer);
    this.responseView = new DataView(this.responseCopy.buffer);
    this.answeredLow = new Uint32Array(channel.entries);
    this.answeredHigh = new Uint32Array(channel.entries);
    this.responseDeferred = new Uint8Array(channel.entries);
    this.requesterIndex = requesterIndex;
    this.responderIndex = responderIndex;
    this.seenRequestProducer = Atomics.load(this.indexWords, 0) >>> 0;
    this.seenResponseProducer = Atomics.load(this.indexWords, 2) >>> 0;
  }

  /** Reads the ring from `memory` from now on; what the monitor learned so far is kept. */
  readFrom(memory: Uint8Array): void {
    this.indexWords = viewIndexWords(this.channel, memory);
    this.slotViews = viewSlots(this.channel, memory);
    this.memory = memory;
  }

  /** Copies the slot of ring index `index` into `copy` (the monitor's private buffer). */
  copySlot(index: number, copy: Uint8Array): void {
    const view = this.slotViews[index & (this.channel.entries - 1)];
    if (view !== undefined) copy.set(view);
  }

  slotOffset(index: number): number {
    return ringSlotsOffset + (index & (this.channel.entries - 1)) * this.channel.slotBytes;
  }

  /** The low 32 bits of an id field of 1, 2, 4 or 8 bytes (little-endian). */
  static readIdLow(view: DataView, field: MonitorIdField): number {
    if (field.widthBytes === 1) return view.getUint8(field.offset);
    if (field.widthBytes === 2) return view.getUint16(field.offset, true);
    return view.getUint32(field.offset, true);
  }

  static readIdHigh(view: DataView, field: MonitorIdField): number {
    return field.widthBytes === 8 ? view.getUint32(field.offset + 4, true) : 0;
  }

  wasAnswered(idLow: number, idHigh: number): boolean {
    for (let position = 0; position < this.answeredCount; position += 1) {
      if (this.answeredLow[position] === idLow && this.answeredHigh[position] === idHigh) return true;
    }
    return false;
  }

  rememberAnswered(idLow: number, idHigh: number): void {
    this.answeredLow[this.answeredNext] = idLow;
    this.answeredHigh[this.answeredNext] = idHigh;
    this.answeredNext = (this.answeredNext + 1) % this.answeredLow.length;
    if (this.answeredCount < this.answeredLow.length) this.answeredCount += 1;
  }

  forgetAnswered(idLow: number, idHigh: number): void {
    for (let position = 0; position < this.answeredCount; position += 1) {
      if (this.answeredLow[position] === idLow && this.answeredHigh[position] === idHigh) {
        // An id reused by a new request is no longer "already answered".
        this.answeredLow[position] = 0xffffffff;
        this.answeredHigh[position] = 0xffffffff;
      }
    }
  }
}

export class ConnectionMonitor {
  readonly spec: MonitorSpec;
  readonly parties: readonly [MonitorParty, MonitorParty];
  readonly violations: Violation[] = [];
  private readonly clock: Clock;
  private readonly grants: MonitorGrantInspector;
  private readonly onViolation: ((violation: Violation) => void) | undefined;
  private readonly rings: RingWatch[];
  private readonly clauseSpans = new Map<string, string>();
  private readonly reportedClauses = new Set<string>();
  /** xenbus state per role, and the keys each role has written in its directory. */
  readonly states: Int32Array;
  private readonly keysWritten: [Set<string>, Set<string>] = [new Set(), new Set()];
  /** Event-channel port of each party on this connection (-1 until seen). */
  private readonly eventPorts = new Int32Array([-1, -1]);
  private readonly eventsInWindow = new Uint32Array(2);
  private readonly windowStart = new Float64Array(2);
  private readonly progressAtWindowStart = new Float64Array(2);
  /** Each party's event budget, resolved once from the spec (clause undefined: not budgeted). */
  private readonly eventBudgetClauseIds: [string | undefined, string | undefined] = [undefined, undefined];
  private readonly eventBudgetMaximum = new Float64Array(2);
  private readonly eventBudgetWindow = new Float64Array(2);
  /** 1 when the party's budget is waived while the rings progress (the shared `eventFlood` budget). */
  private readonly eventBudgetWaivedByProgress = new Uint8Array(2);
  private readonly storeQuotaClauseIds: [string | undefined, string | undefined] = [undefined, undefined];
  /** Set once both parties were Connected: the handshake deadline no longer applies. */
  private handshakeCompleted = false;
  /** Bumped on every ring index movement the monitor sees. */
  private ringProgress = 0;
  /**
   * The boolean store keys the rings' unmap exemptions read (blkif: each end's
   * feature-persistent), one entry per distinct party and key, with what each reads as now
   * (`exemptionKeyLive`) and what the party's peer saw when it entered Connected
   * (`exemptionKeyNegotiated`).
   *
   * When an exemption is judged. Feature keys are negotiated: each end reads its peer's keys
   * during the handshake, at the latest when it moves to Connected, and honest drivers never
   * read them again on that connection. So a key of role R counts with the value it had when
   * R's peer entered Connected, for as long as the peer stays Connected, and with its live
   * value otherwise. A party flipping its own key while connected therefore changes nothing:
   * a backend that never offered feature-persistent cannot exempt itself afterwards by writing
   * 1 (its responses with grants still mapped are still blamed on it), and a frontend that
   * agreed to it cannot get an honest backend blamed by writing 0 while the backend keeps its
   * negotiated mappings. Whenever the value a key counts with does change (a live key
   * rewritten, or the peer leaving Connected so the live value counts again), the rings are
   * scanned first, so every response published before the change is judged with the values in
   * force when it was published, never retroactively with the new ones. Limits: the monitor
   * cannot see when a peer actually read a key, so a frontend rewriting its key between the
   * backend's read and the backend's Connected is judged by the value at Connected; removals
   * of a key are not observed (the policer sees writes only).
   */
  private readonly exemptionKeyParty: Uint8Array;
  private readonly exemptionKeyName: readonly string[];
  private readonly exemptionKeyValueWhenAbsent: Uint8Array;
  private readonly exemptionKeyLive: Uint8Array;
  private readonly exemptionKeyNegotiated: Uint8Array;
  /** Per grant reference of each requester: outstanding requests naming it, mappings by the responder. */
  private readonly outstandingReferenceCounts: Uint16Array;
  private readonly responderMappingCounts: Uint16Array;
  private readonly startedAt: number;
  private lastActivityAt: number;
  private frozen = false;
  /** Judges the spec's store key `where` clauses (store-key-checks.ts), when it states any. */
  private readonly storeKeyClauseJudge: StoreKeyClauseJudge | undefined;

  constructor(options: ConnectionMonitorOptions) {
    this.spec = options.spec;
    this.parties = options.parties;
    this.clock = options.clock;
    this.grants = options.grants;
    this.onViolation = options.onViolation;
    for (const clause of options.spec.clauses) this.clauseSpans.set(clause.id, clause.specSpan);
    if (options.parties[0].role !== options.spec.roles[0] || options.parties[1].role !== options.spec.roles[1]) {
      throw new RangeError(`parties must be given in the spec's role order ${options.spec.roles.join(", ")}`);
    }
    if (options.ringMemories.length !== options.spec.rings.length) throw new RangeError(`expected ${options.spec.rings.length} ring views, got ${options.ringMemories.length}`);
    this.rings = options.spec.rings.map((channel, position) => {
      const memory = options.ringMemories[position];
      if (memory === undefined) throw new RangeError(`missing ring view for ${channel.name}`);
      return new RingWatch(channel, memory, this.requireRoleIndex(channel.requesterRole), this.requireRoleIndex(channel.responderRole));
    });
    const referenceLimit = options.grantReferenceLimit ?? 4096;
    this.outstandingReferenceCounts = new Uint16Array(referenceLimit);
    this.responderMappingCounts = new Uint16Array(referenceLimit);
    this.states = new Int32Array([options.spec.lifecycle.initialState, options.spec.lifecycle.initialState]);
    this.startedAt = this.clock.now();
    this.lastActivityAt = this.startedAt;
    this.windowStart.fill(this.startedAt);
    for (const ring of this.rings) ring.progressSince = this.startedAt;
    for (let party = 0; party < 2; party += 1) {
      const role = options.spec.roles[party];
      const own = options.spec.eventBudgets?.find((budget) => budget.role === role);
      const shared = options.spec.eventFlood;
      const budget = own ?? shared;
      if (budget !== undefined) {
        this.eventBudgetClauseIds[party] = budget.clauseId;
        this.eventBudgetMaximum[party] = budget.maximumEvents;
        this.eventBudgetWindow[party] = budget.windowMilliseconds;
        this.eventBudgetWaivedByProgress[party] = own === undefined ? 1 : 0;
      }
      this.storeQuotaClauseIds[party] = options.spec.storeQuotaClauses?.find((clause) => clause.role === role)?.clauseId ?? options.spec.storeQuotaClauseId;
    }
    const exemptionKeys: { readonly party: number; readonly key: string; readonly valueWhenAbsent: boolean }[] = [];
    for (const ring of this.rings) {
      const exemptions = ring.channel.grants?.unmapExemptions ?? [];
      ring.unmapExemptionKeyIndices = exemptions.map((conjunction) =>
        conjunction.map((condition) => {
          const party = this.requireRoleIndex(condition.role);
          const known = exemptionKeys.findIndex((entry) => entry.party === party && entry.key === condition.key);
          if (known >= 0) return known;
          exemptionKeys.push({ party, key: condition.key, valueWhenAbsent: condition.valueWhenAbsent });
          return exemptionKeys.length - 1;
        }),
      );
      ring.unmapExemptionExpected = exemptions.map((conjunction) => conjunction.map((condition) => condition.expected));
    }
    this.exemptionKeyParty = Uint8Array.from(exemptionKeys, (entry) => entry.party);
    this.exemptionKeyName = exemptionKeys.map((entry) => entry.key);
    this.exemptionKeyValueWhenAbsent = Uint8Array.from(exemptionKeys, (entry) => (entry.valueWhenAbsent ? 1 : 0));
    this.exemptionKeyLive = Uint8Array.from(this.exemptionKeyValueWhenAbsent);
    this.exemptionKeyNegotiated = Uint8Array.from(this.exemptionKeyValueWhenAbsent);
    this.recomputeUnmapExemptions();
    this.storeKeyClauseJudge = options.spec.storeKeyClauses === undefined ? undefined : new StoreKeyClauseJudge(options.spec.storeKeyClauses, options.spec.roles);
    for (const budget of options.spec.eventBudgets ?? []) this.requireRoleIndex(budget.role);
    for (const clause of options.spec.storeQuotaClauses ?? []) this.requireRoleIndex(clause.role);
  }

  /** Stops checking (after a verdict the connection is being torn down). */
  freeze(): void {
    this.frozen = true;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /**
   * Reads every ring from `memories` (in the order of `spec.rings`) from now on, instead of the
   * views given at construction; everything learned so far (outstanding requests, hashes, seen
   * indices) is kept. The policer hands its private copy of the ring frames taken when it froze
   * the connection, so writes to the shared pages after that cannot change its re-check.
   */
  readRingsFrom(memories: readonly Uint8Array[]): void {
    if (memories.length !== this.rings.length) throw new RangeError(`expected ${this.rings.length} ring views, got ${memories.length}`);
    // Every view is checked before any ring switches, so a bad one leaves the monitor as it was.
    for (const [position, ring] of this.rings.entries()) viewIndexWords(ring.channel, memories[position] ?? new Uint8Array(0));
    for (const [position, ring] of this.rings.entries()) {
      const memory = memories[position];
      if (memory !== undefined) ring.readFrom(memory);
    }
  }

  roleIndex(role: string): number {
    return this.spec.roles[0] === role ? 0 : this.spec.roles[1] === role ? 1 : -1;
  }

  partyOfDomain(domainId: number): number {
    return this.parties[0].domainId === domainId ? 0 : this.parties[1].domainId === domainId ? 1 : -1;
  }

  /**
   * Store paths whose values the monitor judges by (the unmap exemptions' keys and the keys the
   * store key clauses read), so whoever attaches it after those keys were written can replay
   * their current values through `observeStoreWrite` as the toolstack's (nobody is judged for
   * them) before the parties' states.
   */
  listJudgedStorePaths(): string[] {
    const paths = new Set(this.exemptionKeyName.map((key, index) => `${this.parties[this.exemptionKeyParty[index] ?? 0]?.directory ?? ""}/${key}`));
    for (const slot of this.spec.storeKeyClauses?.slots ?? []) {
      const party = this.parties.find((candidate) => candidate.role === slot.role);
      if (party !== undefined) paths.add(`${party.directory}/${slot.key}`);
    }
    return [...paths];
  }

  /** Requests per ring that were published and not yet answered, as the monitor saw them. */
  listOutstandingRequestIds(ringPosition = 0): string[] {
    const ring = this.rings[ringPosition];
    if (ring === undefined) return [];
    const identifiers: string[] = [];
    for (let entry = 0; entry < ring.table.capacity; entry += 1) {
      if (ring.table.isUsed(entry)) identifiers.push(((BigInt(ring.table.idHighAt(entry)) << 32n) | BigInt(ring.table.idLowAt(entry))).toString());
    }
    return identifiers;
  }

  // Feeding ------------------------------------------------------------------------------

  /** Reads every ring's indices and checks what was published since the last look. */
  scanRings(): void {
    for (const ring of this.rings) this.scanRing(ring);
  }

  observeHypervisorOperation(operation: MonitorHypervisorOperation): void {
    if (this.frozen) return;
    switch (operation.kind) {
      case "evtchn-alloc-unbound":
      case "evtchn-bind-interdomain": {
        const bound = operation as { readonly domain: number; readonly port: number; readonly remote: number };
        const party = this.partyOfDomain(bound.domain);
        if (party >= 0 && this.partyOfDomain(bound.remote) === 1 - party) this.eventPorts[party] = bound.port;
        return;
      }
      case "evtchn-send": {
        const sent = operation as { readonly domain: number; readonly port: number };
        const party = this.partyOfDomain(sent.domain);
        if (party < 0 || this.eventPorts[party] !== sent.port) return;
        this.lastActivityAt = this.clock.now();
        this.scanRings();
        this.countEvent(party);
        return;
      }
      case "grant-map":
      case "grant-unmap": {
        const mapping = operation as { readonly mapper: number; readonly granter: number; readonly reference: number };
        if (!this.isRequesterToResponderGrant(mapping.granter, mapping.mapper) || mapping.reference >= this.responderMappingCounts.length) return;
        // Any hypercall of a party is a chance to look before a slot is reused.
        this.scanRings();
        const current = this.responderMappingCounts[mapping.reference] ?? 0;
        this.responderMappingCounts[mapping.reference] = operation.kind === "grant-map" ? current + 1 : Math.max(0, current - 1);
        return;
      }
      case "grant-end-access": {
        const ended = operation as { readonly granter: number; readonly reference: number };
        if (this.partyOfDomain(ended.granter) < 0) return;
        // Responses published before the grant ended release their requests first.
        this.scanRings();
        this.checkGrantEndedWhileOutstanding(ended.granter, ended.reference);
        return;
      }
      case "grant-copy": {
        const copied = operation as { readonly caller: number };
        if (this.partyOfDomain(copied.caller) >= 0) this.scanRings();
        return;
      }
      default:
        return;
    }
  }

  /** A write to the store by `writerDomainId` (0 for the toolstack). */
  observeStoreWrite(writerDomainId: number, path: string, value: string): void {
    if (this.frozen) return;
    for (let party = 0; party < 2; party += 1) {
      const directory = this.parties[party]?.directory ?? "";
      if (!path.startsWith(`${directory}/`)) continue;
      const key = path.slice(directory.length + 1);
      if (writerDomainId !== 0) this.lastActivityAt = this.clock.now();
      if (key === "state") this.changeState(party, value, writerDomainId);
      else {
        this.noteExemptionKeyWrite(party, key, value);
        this.reportStoreKeyClause(this.storeKeyClauseJudge?.observeKeyWrite(party, key, value, writerDomainId === 0), party, key, value);
      }
      this.keysWritten[party]?.add(key);
    }
  }

  /**
   * A store request of `domainId` failed with `error` (an xs_wire error name). xenstored
   * answers an exhausted node quota with ENOSPC and the watch and transaction quotas with EQUOTA.
   */
  observeStoreError(domainId: number, error: string, path: string): void {
    if (this.frozen || (error !== "EQUOTA" && error !== "ENOSPC")) return;
    const party = this.partyOfDomain(domainId);
    const clauseId = party < 0 ? undefined : this.storeQuotaClauseIds[party];
    if (clauseId === undefined) return;
    this.report(clauseId, party, { path, detail: `domain ${domainId} exhausted its xenstore quota (${error} on ${path})` });
  }

  /** Time-driven checks: request deadlines, responder progress, the handshake deadline, a silent pair. */
  tick(): void {
    if (this.frozen) return;
    // Time-driven verdicts are judged against the current indices, never against a stale look.
    this.scanRings();
    if (this.frozen) return;
    const now = this.clock.now();
    for (const ring of this.rings) {
      const progress = ring.channel.progress;
      // Progress is judged from the indices alone (exact even when messages went unobserved).
      const outstanding = (ring.seenRequestProducer - ring.seenResponseProducer) >>> 0;
      if (progress !== undefined && !ring.faulted && outstanding > 0 && now - ring.progressSince > progress.milliseconds) {
        this.report(progress.clauseId, ring.responderIndex, {
          ring: ring.channel.name,
          requestProducer: ring.seenRequestProducer,
          responseProducer: ring.seenResponseProducer,
          detail: `${outstanding} request(s) outstanding and no response for ${now - ring.progressSince} ms (the ${this.spec.roles[ring.responderIndex]} must progress within ${progress.milliseconds} ms)`,
        });
        if (this.frozen) return;
      }
      const deadline = ring.channel.deadline;
      // An unobserved response may have answered any request still in the table: no deadline verdict until the ring is idle again.
      if (deadline === undefined || ring.faulted || ring.pendingUnobservedResponses !== 0) continue;
      for (let entry = 0; entry < ring.table.capacity; entry += 1) {
        if (!ring.table.isUsed(entry) || now - (ring.table.publishedAt[entry] ?? now) <= deadline.milliseconds) continue;
        this.report(deadline.clauseId, ring.responderIndex, {
          ring: ring.channel.name,
          index: ring.table.ringIndex[entry] ?? 0,
          messageId: this.formatId(ring.table.idLowAt(entry), ring.table.idHighAt(entry)),
          detail: `request ${this.formatId(ring.table.idLowAt(entry), ring.table.idHighAt(entry))} unanswered after ${now - (ring.table.publishedAt[entry] ?? now)} ms (deadline ${deadline.milliseconds} ms)`,
        });
        break;
      }
    }
    const lifecycle = this.spec.lifecycle;
    const connected = this.states[0] === lifecycle.connectedState && this.states[1] === lifecycle.connectedState;
    if (connected) this.handshakeCompleted = true;
    if (connected || this.frozen) return;
    const silence = this.spec.silence;
    if (silence !== undefined && now - this.lastActivityAt > silence.milliseconds) {
      const detail = `neither party wrote to the store, moved a ring index or sent an event for ${now - this.lastActivityAt} ms (states ${this.states[0]}/${this.states[1]})`;
      this.reportBoth(silence.clauseId, { detail });
      return;
    }
    const handshake = lifecycle.handshakeDeadline;
    if (handshake !== undefined && !this.handshakeCompleted && now - this.startedAt > handshake.milliseconds) {
      const stalled = this.findStalledParties();
      const detail = `handshake not finished after ${now - this.startedAt} ms: ${this.spec.roles[0]} in state ${this.states[0]}, ${this.spec.roles[1]} in state ${this.states[1]}`;
      if (stalled === 3) {
        this.reportBoth(handshake.clauseId, { detail: `${detail}; neither moved towards Connected` });
        return;
      }
      const party = stalled === 1 ? 0 : 1;
      this.report(handshake.clauseId, party, { state: this.states[party] ?? 0, detail: `${detail}; ${this.spec.roles[party]} could move towards Connected and did not` });
    }
  }

  /** A full look, for audits and re-checks: indices, then slots rewritten after publication. */
  audit(): void {
    if (this.frozen) return;
    this.scanRings();
    for (const ring of this.rings) this.checkSlotsUnchanged(ring);
    this.tick();
  }

  /** How many messages of a ring the monitor judged and how many it could not observe consistently. */
  countObservations(ringPosition = 0): { observedRequests: number; unobservedRequests: number; observedResponses: number; unobservedResponses: number } {
    const ring = this.rings[ringPosition];
    if (ring === undefined) return { observedRequests: 0, unobservedRequests: 0, observedResponses: 0, unobservedResponses: 0 };
    return { observedRequests: ring.observedRequests, unobservedRequests: ring.unobservedRequests, observedResponses: ring.observedResponses, unobservedResponses: ring.unobservedResponses };
  }

  /** True when a violation of `clauseId` blamed on `role` has been found. */
  hasViolation(clauseId: string, role: string): boolean {
    return this.violations.some((violation) => violation.clauseId === clauseId && violation.blamedRole === role);
  }

  // Checks -------------------------------------------------------------------------------

  /**
   * One look at a ring, sound for blame under a lossy view. Indices are read rsp_prod, req_prod,
   * rsp_prod: rsp_prod ahead of the later req_prod is the responder's fault, req_prod more than
   * a ring ahead of the later rsp_prod the requester's. A request slot is judged only when its
   * index is at or past rsp_prod both before and after the copy (no response can sit in it), a
   * response slot only when the requester cannot have reused it (index + entries > req_prod
   * before and after the copy); every other message is counted as unobserved.
   */
  private scanRing(ring: RingWatch): void {
    if (this.frozen || ring.faulted) return;
    const channel = ring.channel;
    const entries = channel.entries;
    const responseProducerFirst = Atomics.load(ring.indexWords, 2) >>> 0;
    const requestProducer = Atomics.load(ring.indexWords, 0) >>> 0;
    const responseProducer = Atomics.load(ring.indexWords, 2) >>> 0;
    if (((requestProducer - ring.seenRequestProducer) | 0) < 0 || ((requestProducer - responseProducer) | 0) > entries) {
      ring.faulted = true;
      this.report(channel.requestIndexClauseId, ring.requesterIndex, {
        ring: channel.name,
        requestProducer,
        responseProducer,
        detail: `req_prod ${requestProducer} runs ${(requestProducer - responseProducer) | 0} ahead of rsp_prod ${responseProducer} (last seen req_prod ${ring.seenRequestProducer}); the ring has ${entries} entries`,
      });
      return;
    }
    if (((responseProducerFirst - ring.seenResponseProducer) | 0) < 0 || ((responseProducerFirst - requestProducer) | 0) > 0) {
      ring.faulted = true;
      this.report(channel.responseIndexClauseId, ring.responderIndex, {
        ring: channel.name,
        requestProducer,
        responseProducer: responseProducerFirst,
        detail: `rsp_prod ${responseProducerFirst} runs past req_prod ${requestProducer} (last seen rsp_prod ${ring.seenResponseProducer}): responses without requests`,
      });
      return;
    }
    const wasIdle = ring.seenRequestProducer === ring.seenResponseProducer;
    const newRequests = (requestProducer - ring.seenRequestProducer) >>> 0;
    const newResponses = (responseProducerFirst - ring.seenResponseProducer) >>> 0;
    // Responses a whole ring behind req_prod may have been overwritten by requests: unobserved, never read.
    let firstResponse = ring.seenResponseProducer;
    const overwritten = Math.min(newResponses, Math.max(0, (requestProducer - entries + 1 - firstResponse) | 0));
    if (overwritten > 0) {
      ring.unobservedResponses += overwritten;
      ring.pendingUnobservedResponses += overwritten;
      firstResponse = (firstResponse + overwritten) >>> 0;
    }
    // Responses first, matched against requests of earlier looks (a requester reuses an id only
    // after consuming its answer); ids not known yet are matched after this look's requests.
    for (let position = firstResponse; position !== responseProducerFirst; position = (position + 1) >>> 0) {
      ring.responseDeferred[position & (entries - 1)] = 0;
      if (!this.copyResponseIfObservable(ring, position)) continue;
      ring.observedResponses += 1;
      if (this.validateResponse(ring, position)) {
        const entry = ring.table.find(RingWatch.readIdLow(ring.responseView, channel.responseId), RingWatch.readIdHigh(ring.responseView, channel.responseId));
        if (entry === absentEntry) ring.responseDeferred[position & (entries - 1)] = 1;
        else this.matchResponse(ring, position, entry);
      }
      if (this.frozen) return;
    }
    // Requests below rsp_prod may already hold responses: unobserved, never read.
    let index = ring.seenRequestProducer;
    const skipped = (responseProducer - index) | 0;
    if (skipped > 0) {
      const count = Math.min(skipped, newRequests);
      ring.unobservedRequests += count;
      ring.pendingUnobservedRequests += count;
      index = (index + count) >>> 0;
    }
    for (; index !== requestProducer; index = (index + 1) >>> 0) {
      ring.copySlot(index, ring.requestCopy);
      const responseProducerAfter = Atomics.load(ring.indexWords, 2) >>> 0;
      if (((index - responseProducerAfter) | 0) < 0) {
        ring.unobservedRequests += 1;
        ring.pendingUnobservedRequests += 1;
        continue;
      }
      ring.observedRequests += 1;
      this.checkRequest(ring, index);
      if (this.frozen) return;
    }
    ring.seenRequestProducer = requestProducer;
    for (let position = firstResponse; position !== responseProducerFirst; position = (position + 1) >>> 0) {
      if (ring.responseDeferred[position & (entries - 1)] === 0) continue;
      ring.responseDeferred[position & (entries - 1)] = 0;
      // The slot is read again; if it may have been reused meanwhile, its id is no longer evidence.
      if (!this.copyResponseIfObservable(ring, position)) {
        ring.observedResponses -= 1;
        continue;
      }
      this.correlateResponse(ring, position);
      if (this.frozen) return;
    }
    ring.seenResponseProducer = responseProducerFirst;
    if (newRequests !== 0 || newResponses !== 0) {
      this.ringProgress += 1;
      this.lastActivityAt = this.clock.now();
    }
    // The responder owes progress from the moment an idle ring gets work, and progresses with every response.
    if (newResponses !== 0 || (wasIdle && newRequests !== 0)) ring.progressSince = this.clock.now();
    if (requestProducer === responseProducerFirst && (ring.pendingUnobservedRequests !== 0 || ring.pendingUnobservedResponses !== 0)) this.settleIdleRing(ring);
  }

  private noteUnobservedResponse(ring: RingWatch): void {
    ring.unobservedResponses += 1;
    ring.pendingUnobservedResponses += 1;
  }

  /**
   * Copies response position `position` into the private buffer when the requester cannot have
   * reused its slot (position + entries > req_prod, read before and after the copy); otherwise
   * counts the response as unobserved and returns false.
   */
  private copyResponseIfObservable(ring: RingWatch, position: number): boolean {
    const entries = ring.channel.entries;
    if (((Atomics.load(ring.indexWords, 0) - position) >>> 0) >= entries) {
      this.noteUnobservedResponse(ring);
      return false;
    }
    ring.copySlot(position, ring.responseCopy);
    if (((Atomics.load(ring.indexWords, 0) - position) >>> 0) >= entries) {
      this.noteUnobservedResponse(ring);
      return false;
    }
    return true;
  }

  /**
   * Every published request is answered (req_prod equals rsp_prod): whatever the table still
   * holds was answered by a response the monitor did not observe, so the correlation is exact again.
   */
  private settleIdleRing(ring: RingWatch): void {
    for (let entry = 0; entry < ring.table.capacity; entry += 1) {
      if (ring.table.isUsed(entry)) this.forgetOutstandingEntry(ring, entry);
    }
    ring.pendingUnobservedRequests = 0;
    ring.pendingUnobservedResponses = 0;
  }

  /** Drops a table entry and the per-reference counts of its grants. */
  private forgetOutstandingEntry(ring: RingWatch, entry: number): void {
    const width = ring.table.maximumGrantsPerRequest;
    const count = ring.table.grantCount[entry] ?? 0;
    for (let position = 0; position < count; position += 1) {
      const reference = ring.table.grantReferences[entry * width + position] ?? 0;
      if (reference < this.outstandingReferenceCounts.length) this.outstandingReferenceCounts[reference] = Math.max(0, (this.outstandingReferenceCounts[reference] ?? 0) - 1);
    }
    ring.table.remove(entry);
  }

  private checkRequest(ring: RingWatch, index: number): void {
    const channel = ring.channel;
    const requester = ring.requesterIndex;
    const allowed = channel.messagesAllowedInRequesterStates;
    if (allowed !== undefined && !allowed.states.includes(this.states[requester] ?? 0)) {
      this.reportMessage(allowed.clauseId, requester, ring, index, ring.requestCopy, `request published while ${this.spec.roles[requester]} is in state ${this.states[requester]}`);
      return;
    }
    const validatorClause = channel.requestValidator?.(ring.requestCopy) ?? null;
    if (validatorClause !== null) {
      this.reportMessage(validatorClause, this.ownerIndexOf(validatorClause, requester), ring, index, ring.requestCopy, "the request fails its message guarantee");
      return;
    }
    const idLow = RingWatch.readIdLow(ring.requestView, channel.requestId);
    const idHigh = RingWatch.readIdHigh(ring.requestView, channel.requestId);
    const previous = ring.table.find(idLow, idHigh);
    if (previous !== absentEntry) {
      if (ring.pendingUnobservedResponses === 0) {
        this.reportMessage(channel.duplicateRequestIdClauseId, requester, ring, index, ring.requestCopy, `request id ${this.formatId(idLow, idHigh)} is already outstanding`);
        return;
      }
      // An unobserved response may have answered the earlier request: the id is free again.
      this.forgetOutstandingEntry(ring, previous);
      ring.pendingUnobservedResponses -= 1;
    }
    if (ring.table.size >= channel.outstandingBound) {
      if (ring.pendingUnobservedResponses === 0) {
        this.reportMessage(channel.outstandingBoundClauseId, requester, ring, index, ring.requestCopy, `more than ${channel.outstandingBound} requests outstanding`);
        return;
      }
      // The table may hold requests answered unobserved; this one is left untracked rather than judged.
      ring.pendingUnobservedRequests += 1;
      return;
    }
    ring.forgetAnswered(idLow, idHigh);
    const entry = ring.table.insert(idLow, idHigh);
    ring.table.ringIndex[entry] = index;
    ring.table.publishedAt[entry] = this.clock.now();
    ring.table.slotHash[entry] = hashBytes(ring.requestCopy, channel.responseBytes, channel.slotBytes);
    const grants = channel.grants;
    if (grants === undefined) return;
    const count = grants.countReferences(ring.requestCopy);
    const responder = this.parties[ring.responderIndex]?.domainId ?? -1;
    const requesterDomain = this.parties[requester]?.domainId ?? -1;
    const writable = grants.requiresWritable(ring.requestCopy);
    const width = ring.table.maximumGrantsPerRequest;
    for (let position = 0; position < count && position < width; position += 1) {
      const reference = ring.requestView.getUint32(grants.referenceOffset(position), true);
      if (!this.grants.isGrantedTo(requesterDomain, reference, responder)) {
        this.reportMessage(grants.notGrantedClauseId, requester, ring, index, ring.requestCopy, `grant reference ${reference} is not granted by domain ${requesterDomain} to domain ${responder}`, reference);
        return;
      }
      if (writable && this.grants.isReadOnly(requesterDomain, reference)) {
        this.reportMessage(grants.readOnlyClauseId, requester, ring, index, ring.requestCopy, `grant reference ${reference} is read-only but the request needs the peer to write it`, reference);
        return;
      }
      ring.table.grantReferences[entry * width + position] = reference;
      ring.table.grantCount[entry] = position + 1;
      if (reference < this.outstandingReferenceCounts.length) this.outstandingReferenceCounts[reference] = (this.outstandingReferenceCounts[reference] ?? 0) + 1;
    }
  }

  /** The response's own guarantees (from the private copy); false when one is broken. */
  private validateResponse(ring: RingWatch, index: number): boolean {
    const channel = ring.channel;
    const validatorClause = channel.responseValidator?.(ring.responseCopy) ?? null;
    if (validatorClause === null) return true;
    this.reportMessage(validatorClause, this.ownerIndexOf(validatorClause, ring.responderIndex), ring, index, ring.responseCopy.subarray(0, channel.responseBytes), "the response fails its message guarantee");
    return false;
  }

  /** Matches a response whose id no request of an earlier look carried, after this look's requests. */
  private correlateResponse(ring: RingWatch, index: number): void {
    const channel = ring.channel;
    const responder = ring.responderIndex;
    const idLow = RingWatch.readIdLow(ring.responseView, channel.responseId);
    const idHigh = RingWatch.readIdHigh(ring.responseView, channel.responseId);
    const entry = ring.table.find(idLow, idHigh);
    if (entry !== absentEntry) {
      this.matchResponse(ring, index, entry);
      return;
    }
    if (ring.pendingUnobservedRequests !== 0) {
      // The response may answer a request the monitor did not observe: accounted for, not judged.
      ring.pendingUnobservedRequests -= 1;
      return;
    }
    const duplicate = ring.wasAnswered(idLow, idHigh);
    this.reportMessage(
      duplicate ? channel.duplicateResponseIdClauseId : channel.unknownResponseIdClauseId,
      responder,
      ring,
      index,
      ring.responseCopy.subarray(0, channel.responseBytes),
      duplicate ? `response id ${this.formatId(idLow, idHigh)} was already answered` : `response id ${this.formatId(idLow, idHigh)} answers no request that was sent`,
    );
  }

  /** The response in the private copy answers table entry `entry`: grant checks, then the request is done. */
  private matchResponse(ring: RingWatch, index: number, entry: number): void {
    const channel = ring.channel;
    const responder = ring.responderIndex;
    const idLow = ring.table.idLowAt(entry);
    const idHigh = ring.table.idHighAt(entry);
    const grants = channel.grants;
    const width = ring.table.maximumGrantsPerRequest;
    const count = ring.table.grantCount[entry] ?? 0;
    // An exemption (blkif: persistent grants on both ends) is judged as of now: see exemptionKeyParty.
    if (grants !== undefined && grants.unmapBeforeResponse && !ring.unmapExempt) {
      for (let position = 0; position < count; position += 1) {
        const reference = ring.table.grantReferences[entry * width + position] ?? 0;
        if ((this.responderMappingCounts[reference] ?? 0) > 0) {
          this.reportMessage(grants.stillMappedAtResponseClauseId, responder, ring, index, ring.responseCopy.subarray(0, channel.responseBytes), `grant reference ${reference} is still mapped by the responder when it responds`, reference);
          return;
        }
      }
    }
    for (let position = 0; position < count; position += 1) {
      const reference = ring.table.grantReferences[entry * width + position] ?? 0;
      if (reference < this.outstandingReferenceCounts.length) this.outstandingReferenceCounts[reference] = Math.max(0, (this.outstandingReferenceCounts[reference] ?? 0) - 1);
    }
    ring.table.remove(entry);
    ring.rememberAnswered(idLow, idHigh);
  }

  /**
   * Judges an outstanding request's slot only while no response can have been written over it
   * (index at or past rsp_prod) and the requester cannot have reused it (index + entries past
   * req_prod), both read before and after hashing.
   */
  private checkSlotsUnchanged(ring: RingWatch): void {
    if (ring.faulted) return;
    const channel = ring.channel;
    for (let entry = 0; entry < ring.table.capacity && !this.frozen; entry += 1) {
      if (!ring.table.isUsed(entry)) continue;
      const index = ring.table.ringIndex[entry] ?? 0;
      if (!this.isRequestSlotIntact(ring, index)) continue;
      const slotStart = ring.slotOffset(index);
      const hash = hashBytes(ring.memory, slotStart + channel.responseBytes, slotStart + channel.slotBytes);
      if (!this.isRequestSlotIntact(ring, index)) continue;
      if (hash !== ring.table.slotHash[entry]) {
        this.reportMessage(channel.slotRewrittenClauseId, ring.requesterIndex, ring, index, ring.memory.subarray(slotStart, slotStart + channel.slotBytes), `the bytes of outstanding request ${this.formatId(ring.table.idLowAt(entry), ring.table.idHighAt(entry))} changed after publication`);
      }
    }
  }

  private isRequestSlotIntact(ring: RingWatch, index: number): boolean {
    const responseProducer = Atomics.load(ring.indexWords, 2) >>> 0;
    const requestProducer = Atomics.load(ring.indexWords, 0) >>> 0;
    return ((index - responseProducer) | 0) >= 0 && ((requestProducer - index) >>> 0) <= ring.channel.entries;
  }

  private checkGrantEndedWhileOutstanding(granterId: number, reference: number): void {
    for (const ring of this.rings) {
      const grants = ring.channel.grants;
      // While an unobserved response may have answered the request naming it, the count is an upper bound: no verdict.
      if (grants === undefined || ring.pendingUnobservedResponses !== 0 || this.parties[ring.requesterIndex]?.domainId !== granterId) continue;
      if (reference < this.outstandingReferenceCounts.length && (this.outstandingReferenceCounts[reference] ?? 0) > 0) {
        this.report(grants.endedWhileOutstandingClauseId, ring.requesterIndex, { ring: ring.channel.name, grantReference: reference, detail: `domain ${granterId} ended access to grant reference ${reference} while a request naming it is outstanding` });
      }
    }
  }

  private isRequesterToResponderGrant(granterId: number, mapperId: number): boolean {
    for (const ring of this.rings) {
      if (this.parties[ring.requesterIndex]?.domainId === granterId && this.parties[ring.responderIndex]?.domainId === mapperId) return true;
    }
    return false;
  }

  private changeState(party: number, value: string, writerDomainId: number): void {
    const lifecycle = this.spec.lifecycle;
    const next = /^[0-9]+$/.test(value) ? Number(value) : -1;
    const current = this.states[party] ?? lifecycle.initialState;
    if (next === current) return;
    const role = this.spec.roles[party] ?? "";
    const peerState = this.states[1 - party] ?? lifecycle.initialState;
    if (writerDomainId === 0) {
      // The toolstack (or the policer's reset) sets states directly; that is not the party's move.
      this.enterState(party, next);
      this.storeKeyClauseJudge?.observeStateEntered(party, next, true);
      this.noteHandshakeCompletion();
      return;
    }
    const transition = lifecycle.transitions.find((candidate) => candidate.role === role && candidate.from === current && candidate.to === next);
    if (transition === undefined || (transition.peerStates.length !== 0 && !transition.peerStates.includes(peerState))) {
      this.report(lifecycle.illegalTransitionClauseId, party, { state: next, detail: `${role} moved from state ${current} to ${JSON.stringify(value)} while the ${this.spec.roles[1 - party]} is in state ${peerState}` });
      return;
    }
    const keys = this.keysWritten[party];
    const missing = transition.requiredKeys.filter((key) => keys === undefined || !keys.has(key));
    if (missing.length !== 0) {
      this.report(lifecycle.missingKeysClauseId, party, { state: next, detail: `${role} moved to state ${next} before writing ${missing.join(", ")} in ${this.parties[party]?.directory}` });
      return;
    }
    this.enterState(party, next);
    this.reportStoreKeyClause(this.storeKeyClauseJudge?.observeStateEntered(party, next, false), party, "state", value);
    this.noteHandshakeCompletion();
  }

  /**
   * Sets a party's state. Entering Connected fixes the peer's exemption keys at the values the
   * party has just negotiated; leaving it lets their live values count again, after a scan that
   * judges the responses published under the negotiated ones.
   */
  private enterState(party: number, next: number): void {
    const connectedState = this.spec.lifecycle.connectedState;
    const previous = this.states[party];
    const peer = 1 - party;
    if (previous === connectedState && next !== connectedState && this.hasRenegotiatedKeys(peer)) this.scanRings();
    this.states[party] = next;
    if (previous !== connectedState && next === connectedState) {
      for (let index = 0; index < this.exemptionKeyParty.length; index += 1) {
        if (this.exemptionKeyParty[index] === peer) this.exemptionKeyNegotiated[index] = this.exemptionKeyLive[index] ?? 0;
      }
    }
    this.recomputeUnmapExemptions();
  }

  /** True when some exemption key of `party` now reads differently from what its peer negotiated. */
  private hasRenegotiatedKeys(party: number): boolean {
    for (let index = 0; index < this.exemptionKeyParty.length; index += 1) {
      if (this.exemptionKeyParty[index] === party && this.exemptionKeyLive[index] !== this.exemptionKeyNegotiated[index]) return true;
    }
    return false;
  }

  /** A write to a key of `party`'s directory other than `state`: updates an exemption key's live value. */
  private noteExemptionKeyWrite(party: number, key: string, value: string): void {
    for (let index = 0; index < this.exemptionKeyName.length; index += 1) {
      if (this.exemptionKeyParty[index] !== party || this.exemptionKeyName[index] !== key) continue;
      // Text that is not a xenbus boolean offers nothing, so it grants no exemption.
      const live = readStoreBoolean(value, key, undefined) === true ? 1 : 0;
      if (live === this.exemptionKeyLive[index]) return;
      // A live value that counts is changing: responses published before this write are judged with the old one.
      if (this.states[1 - party] !== this.spec.lifecycle.connectedState) this.scanRings();
      this.exemptionKeyLive[index] = live;
      this.recomputeUnmapExemptions();
      return;
    }
  }

  /** Re-evaluates each ring's unmap exemptions from the values its keys count with now. */
  private recomputeUnmapExemptions(): void {
    const connectedState = this.spec.lifecycle.connectedState;
    for (const ring of this.rings) {
      let exempt = false;
      for (let conjunction = 0; conjunction < ring.unmapExemptionKeyIndices.length && !exempt; conjunction += 1) {
        const indices = ring.unmapExemptionKeyIndices[conjunction] ?? [];
        const expected = ring.unmapExemptionExpected[conjunction] ?? [];
        let holds = true;
        for (let term = 0; term < indices.length && holds; term += 1) {
          const index = indices[term] ?? 0;
          const party = this.exemptionKeyParty[index] ?? 0;
          const negotiated = this.states[1 - party] === connectedState;
          const value = (negotiated ? this.exemptionKeyNegotiated[index] : this.exemptionKeyLive[index]) === 1;
          holds = value === expected[term];
        }
        exempt = holds;
      }
      ring.unmapExempt = exempt;
    }
  }

  /** Reports a store key clause the judge found broken by `party` when it wrote `key` = `value` (the evidence is built only then). */
  private reportStoreKeyClause(clause: StoreKeyClause | undefined, party: number, key: string, value: string): void {
    const judge = this.storeKeyClauseJudge;
    if (clause === undefined || judge === undefined) return;
    const occasion = key === "state" ? `${this.spec.roles[party]} entered state ${value}` : `${key} = ${JSON.stringify(value)} written`;
    const peerValues = judge.describePeerValues(clause);
    const detail = `${occasion}: ${judge.describeOwnValues(clause)}${peerValues === "" ? "" : `; ${peerValues}`} breaks \`${clause.text}\``;
    this.report(clause.clauseId, party, { path: `${this.parties[party]?.directory}/${clause.key ?? this.spec.storeKeyClauses?.slots[clause.ownSlots[0] ?? -1]?.key ?? ""}`, detail });
  }

  private noteHandshakeCompletion(): void {
    const connectedState = this.spec.lifecycle.connectedState;
    if (this.states[0] === connectedState && this.states[1] === connectedState) this.handshakeCompleted = true;
  }

  /**
   * Who the handshake deadline blames, as a bit set (bit 0: first role, bit 1: second): each
   * party short of Connected that has a transition enabled which is not teardown (it could
   * move and did not); when no such party exists, every party short of Connected.
   */
  private findStalledParties(): number {
    const lifecycle = this.spec.lifecycle;
    const closingState = lifecycle.closingState ?? 5;
    let notConnected = 0;
    let stalled = 0;
    for (let party = 0; party < 2; party += 1) {
      if (this.states[party] === lifecycle.connectedState) continue;
      notConnected |= 1 << party;
      const role = this.spec.roles[party];
      const enabled = lifecycle.transitions.some(
        (transition) =>
          transition.role === role &&
          transition.from === this.states[party] &&
          transition.to !== lifecycle.closedState &&
          transition.to !== closingState &&
          (transition.peerStates.length === 0 || transition.peerStates.includes(this.states[1 - party] ?? 0)),
      );
      if (enabled) stalled |= 1 << party;
    }
    return stalled !== 0 ? stalled : notConnected;
  }

  /** O(1) per event and allocation-free until a violation: a tumbling window per party. */
  private countEvent(party: number): void {
    const clauseId = this.eventBudgetClauseIds[party];
    if (clauseId === undefined) return;
    const window = this.eventBudgetWindow[party] ?? 0;
    const maximum = this.eventBudgetMaximum[party] ?? 0;
    const now = this.clock.now();
    if (now - (this.windowStart[party] ?? 0) >= window) {
      this.windowStart[party] = now;
      this.eventsInWindow[party] = 0;
      this.progressAtWindowStart[party] = this.ringProgress;
    }
    const count = (this.eventsInWindow[party] ?? 0) + 1;
    this.eventsInWindow[party] = count;
    if (count <= maximum) return;
    const waived = this.eventBudgetWaivedByProgress[party] === 1;
    if (waived && this.progressAtWindowStart[party] !== this.ringProgress) return;
    this.report(clauseId, party, { detail: `${count} notifications by the ${this.spec.roles[party]} within ${window} ms${waived ? " without any ring progress" : ""} (budget ${maximum})` });
  }

  // Reporting ----------------------------------------------------------------------------

  private ownerIndexOf(clauseId: string, fallback: number): number {
    const clause = this.spec.clauses.find((candidate) => candidate.id === clauseId);
    const owner = clause === undefined ? -1 : this.roleIndex(clause.ownerRole);
    return owner >= 0 ? owner : fallback;
  }

  private reportMessage(clauseId: string, party: number, ring: RingWatch, index: number, bytes: Uint8Array, detail: string, grantReference?: number): void {
    const evidence: ViolationEvidence = {
      ring: ring.channel.name,
      index,
      requestProducer: Atomics.load(ring.indexWords, 0) >>> 0,
      responseProducer: Atomics.load(ring.indexWords, 2) >>> 0,
      bytes: formatBytesAsHex(bytes),
      ...(grantReference === undefined ? {} : { grantReference }),
      detail,
    };
    this.report(clauseId, party, evidence);
  }

  private report(clauseId: string, party: number, evidence: ViolationEvidence): void {
    const violation = this.recordViolation(clauseId, party, evidence);
    if (violation !== null) this.onViolation?.(violation);
  }

  /** Both parties broke the clause together (a silent pair): both are recorded before anyone is told. */
  private reportBoth(clauseId: string, evidence: ViolationEvidence): void {
    const first = this.recordViolation(clauseId, 0, evidence);
    const second = this.recordViolation(clauseId, 1, evidence);
    if (first !== null) this.onViolation?.(first);
    if (second !== null) this.onViolation?.(second);
  }

  private recordViolation(clauseId: string, party: number, evidence: ViolationEvidence): Violation | null {
    const blamedRole = this.spec.roles[party] ?? "";
    const key = `${clauseId}\u0000${blamedRole}`;
    if (this.reportedClauses.has(key)) return null;
    this.reportedClauses.add(key);
    const violation: Violation = { protocol: `${this.spec.protocol}@${this.spec.version}`, clauseId, specSpan: this.clauseSpans.get(clauseId) ?? "<unknown clause>", blamedRole, time: this.clock.now(), evidence };
    this.violations.push(violation);
    return violation;
  }

  private formatId(idLow: number, idHigh: number): string {
    return ((BigInt(idHigh) << 32n) | BigInt(idLow)).toString();
  }

  private requireRoleIndex(role: string): number {
    const index = this.roleIndex(role);
    if (index < 0) throw new RangeError(`role ${role} is not one of ${this.spec.roles.join(", ")}`);
    return index;
  }
}
