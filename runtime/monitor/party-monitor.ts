// The monitor a party's own runtime library runs over one ring of its connection: it checks,
// from the party's private copy, every message the peer publishes as the party consumes it, and
// records what the party itself produces so correlation is exact. A violation found here is the
// evidence of a complaint to the policer; the policer's ConnectionMonitor re-checks it.

import type { Clock } from "../time/index.js";
import type { MonitorGrantInspector, MonitorParty } from "./connection-monitor.js";
import type { MonitorRingChannel, MonitorSpec } from "./monitor-spec.js";
import { absentEntry, OutstandingRequestTable } from "./outstanding-request-table.js";
import { formatBytesAsHex, type Violation, type ViolationEvidence } from "./violation.js";

export interface PartyMonitorOptions {
  readonly spec: MonitorSpec;
  /** In the order of `spec.roles`. */
  readonly parties: readonly [MonitorParty, MonitorParty];
  /** The role of the party whose library runs this monitor: the requester or the responder of the ring. */
  readonly role: string;
  /** Which of `spec.rings` this monitor watches (default 0). */
  readonly ringPosition?: number;
  readonly clock: Clock;
  /**
   * What the responder's library knows of the requester's grants (for example the references it
   * mapped persistently). Without it the grant clauses are left to the policer.
   */
  readonly grants?: MonitorGrantInspector;
  readonly onViolation?: (violation: Violation) => void;
}

/** Reads the low 32 bits of a little-endian id of 2, 4 or 8 bytes at `offset` of a private copy. */
function readIdLow(view: DataView, offset: number, widthBytes: number): number {
  return widthBytes === 2 ? view.getUint16(offset, true) : view.getUint32(offset, true);
}

/** The high 32 bits of an 8-byte id; 0 for narrower ids. */
function readIdHigh(view: DataView, offset: number, widthBytes: number): number {
  return widthBytes === 8 ? view.getUint32(offset + 4, true) : 0;
}

/** The DataView of the last buffer seen, rebuilt only when the buffer changes. */
class PrivateBufferView {
  private bytes: Uint8Array | undefined;
  private view: DataView | undefined;

  of(bytes: Uint8Array): DataView {
    if (bytes !== this.bytes || this.view === undefined) {
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.view;
  }
}

/**
 * One party's monitor. The requester's library calls `recordRequestProduced` for each request
 * before publishing it and `checkResponseConsumed` for each response it consumed; the
 * responder's library calls `checkRequestConsumed` and `recordResponseProduced`. Checks take
 * the private copy the ring end made, so a peer rewriting the slot afterwards changes nothing
 * that was checked. Per message the work is O(1) and allocates nothing until a violation.
 */
export class PartyMonitor {
  readonly spec: MonitorSpec;
  readonly role: string;
  readonly violations: Violation[] = [];
  /** xenbus state per role as the party last saw it in the store (fed through `observeState`). */
  private readonly states: Int32Array;
  private readonly channel: MonitorRingChannel;
  private readonly clock: Clock;
  private readonly grants: MonitorGrantInspector | undefined;
  private readonly onViolation: ((violation: Violation) => void) | undefined;
  private readonly isRequester: boolean;
  private readonly peerIndex: number;
  private readonly requesterDomainId: number;
  private readonly responderDomainId: number;
  private readonly table: OutstandingRequestTable;
  /** Id offsets and widths as plain numbers, so the per-message path reads no nested spec objects. */
  private readonly requestIdOffset: number;
  private readonly requestIdWidth: number;
  private readonly responseIdOffset: number;
  private readonly responseIdWidth: number;
  /** The last `entries` answered ids, to tell a duplicate response from an unknown one. */
  private readonly answeredLow: Uint32Array;
  private readonly answeredHigh: Uint32Array;
  private answeredCount = 0;
  private answeredNext = 0;
  private readonly reportedClauses = new Set<string>();
  private readonly clauseSpans = new Map<string, string>();
  /**
   * A DataView over the private buffer the library hands in for each direction, created once
   * per buffer rather than per message (a library reuses one buffer per direction).
   */
  private readonly requestViews = new PrivateBufferView();
  private readonly responseViews = new PrivateBufferView();
  /** Milliseconds of the current batch (read once per ring notification by `beginBatch`). */
  private batchTime: number;
  private peerMessagesCheckedCount = 0;
  /** Whether the requester's last seen state allows ring messages, decided when the state changes, not per message. */
  private requesterStateAllowsMessages = true;
  private ownMessagesRecordedCount = 0;

  constructor(options: PartyMonitorOptions) {
    this.spec = options.spec;
    this.role = options.role;
    this.clock = options.clock;
    this.grants = options.grants;
    this.onViolation = options.onViolation;
    const position = options.ringPosition ?? 0;
    const channel = options.spec.rings[position];
    if (channel === undefined) throw new RangeError(`spec ${options.spec.protocol} has no ring at position ${position}`);
    this.channel = channel;
    if (options.parties[0].role !== options.spec.roles[0] || options.parties[1].role !== options.spec.roles[1]) {
      throw new RangeError(`parties must be given in the spec's role order ${options.spec.roles.join(", ")}`);
    }
    if (options.role !== channel.requesterRole && options.role !== channel.responderRole) {
      throw new RangeError(`role ${options.role} neither requests nor responds on ring ${channel.name}`);
    }
    this.isRequester = options.role === channel.requesterRole;
    const requesterIndex = this.requireRoleIndex(channel.requesterRole);
    const responderIndex = this.requireRoleIndex(channel.responderRole);
    this.peerIndex = this.isRequester ? responderIndex : requesterIndex;
    this.requesterDomainId = options.parties[requesterIndex]?.domainId ?? -1;
    this.responderDomainId = options.parties[responderIndex]?.domainId ?? -1;
    this.requestIdOffset = channel.requestId.offset;
    this.requestIdWidth = channel.requestId.widthBytes;
    this.responseIdOffset = channel.responseId.offset;
    this.responseIdWidth = channel.responseId.widthBytes;
    this.table = new OutstandingRequestTable(channel.outstandingBound, channel.grants?.maximumReferences ?? 0);
    this.answeredLow = new Uint32Array(channel.entries);
    this.answeredHigh = new Uint32Array(channel.entries);
    for (const clause of options.spec.clauses) this.clauseSpans.set(clause.id, clause.specSpan);
    this.states = new Int32Array([options.spec.lifecycle.initialState, options.spec.lifecycle.initialState]);
    this.requesterStateAllowsMessages = this.decideRequesterStateAllowsMessages();
    this.batchTime = this.clock.now();
  }

  /** Messages of the peer checked so far (requests for a responder, responses for a requester). */
  get peerMessagesChecked(): number {
    return this.peerMessagesCheckedCount;
  }

  /** The party's own messages recorded so far. */
  get ownMessagesRecorded(): number {
    return this.ownMessagesRecordedCount;
  }

  /** Requests published and not yet answered, as this party saw them. */
  get outstandingCount(): number {
    return this.table.size;
  }

  /** The xenbus state of `role` as last observed. */
  stateOf(role: string): number {
    return this.states[this.requireRoleIndex(role)] ?? 0;
  }

  /** The library saw `role` write `state` to its xenbus `state` key. */
  observeState(role: string, state: number): void {
    const index = this.requireRoleIndex(role);
    this.states[index] = state;
    this.requesterStateAllowsMessages = this.decideRequesterStateAllowsMessages();
  }

  /**
   * Reads the clock once for the batch of messages about to be handled (one ring notification),
   * so request publication times cost one clock read per batch rather than per message.
   */
  beginBatch(): void {
    this.batchTime = this.clock.now();
  }

  // The requester's side ---------------------------------------------------------------------

  /** The requester is about to publish `request` (its own private bytes): remember its id. */
  recordRequestProduced(request: Uint8Array): void {
    if (!this.isRequester) throw new RangeError(`${this.role} does not produce requests on ring ${this.channel.name}`);
    const view = this.requestViews.of(request);
    const idLow = readIdLow(view, this.requestIdOffset, this.requestIdWidth);
    const idHigh = readIdHigh(view, this.requestIdOffset, this.requestIdWidth);
    // The library's own bookkeeping keeps ids unique; a repeat would be its own bug, not the peer's.
    if (this.table.find(idLow, idHigh) !== absentEntry || this.table.size >= this.table.capacity / 2) return;
    const entry = this.table.insert(idLow, idHigh);
    this.table.publishedAt[entry] = this.batchTime;
    this.ownMessagesRecordedCount += 1;
  }

  /**
   * Checks a response the requester consumed (its private copy): the response validator, then
   * that it answers an outstanding request exactly once. False when the response broke a clause
   * (the library fails the request it names, if any, and complains).
   */
  checkResponseConsumed(response: Uint8Array, ringIndex = -1): boolean {
    if (!this.isRequester) throw new RangeError(`${this.role} does not consume responses on ring ${this.channel.name}`);
    const channel = this.channel;
    this.peerMessagesCheckedCount += 1;
    const validatorClause = channel.responseValidator?.(response) ?? null;
    if (validatorClause !== null) {
      this.reportMessage(validatorClause, this.ownerIndexOf(validatorClause), ringIndex, response.subarray(0, channel.responseBytes), "the response fails its message guarantee");
      return false;
    }
    const view = this.responseViews.of(response);
    const idLow = readIdLow(view, this.responseIdOffset, this.responseIdWidth);
    const idHigh = readIdHigh(view, this.responseIdOffset, this.responseIdWidth);
    const entry = this.table.find(idLow, idHigh);
    if (entry === absentEntry) {
      const duplicate = this.wasAnswered(idLow, idHigh);
      this.reportMessage(
        duplicate ? channel.duplicateResponseIdClauseId : channel.unknownResponseIdClauseId,
        this.peerIndex,
        ringIndex,
        response.subarray(0, channel.responseBytes),
        duplicate ? `response id ${formatId(idLow, idHigh)} was already answered` : `response id ${formatId(idLow, idHigh)} answers no request that was sent`,
      );
      return false;
    }
    this.table.remove(entry);
    this.rememberAnswered(idLow, idHigh);
    return true;
  }

  /**
   * The requester's deadline check (call it when a wait times out, or on a timer): the first
   * request unanswered past the ring's deadline is blamed on the responder. Walks the table,
   * which is bounded by its capacity, not by traffic.
   */
  checkDeadlines(): void {
    const deadline = this.channel.deadline;
    if (deadline === undefined || !this.isRequester) return;
    const now = this.clock.now();
    for (let entry = 0; entry < this.table.capacity; entry += 1) {
      if (!this.table.isUsed(entry)) continue;
      const waited = now - (this.table.publishedAt[entry] ?? now);
      if (waited <= deadline.milliseconds) continue;
      const id = formatId(this.table.idLowAt(entry), this.table.idHighAt(entry));
      this.report(deadline.clauseId, this.peerIndex, { ring: this.channel.name, messageId: id, detail: `request ${id} unanswered after ${waited} ms (deadline ${deadline.milliseconds} ms)` });
      return;
    }
  }

  // The responder's side ---------------------------------------------------------------------

  /**
   * Checks a request the responder consumed (its private copy): the requester's state, the
   * request validator, a unique outstanding id, the outstanding bound, and, when the library
   * knows the requester's grants, every grant reference it carries. False when the request broke
   * a clause (the library does not serve it, and complains).
   */
  checkRequestConsumed(request: Uint8Array, ringIndex = -1): boolean {
    if (this.isRequester) throw new RangeError(`${this.role} does not consume requests on ring ${this.channel.name}`);
    const channel = this.channel;
    this.peerMessagesCheckedCount += 1;
    const allowed = channel.messagesAllowedInRequesterStates;
    if (!this.requesterStateAllowsMessages && allowed !== undefined) {
      this.reportMessage(allowed.clauseId, this.peerIndex, ringIndex, request, `request published while ${channel.requesterRole} is in state ${this.states[this.peerIndex] ?? 0}`);
      return false;
    }
    const validatorClause = channel.requestValidator?.(request) ?? null;
    if (validatorClause !== null) {
      this.reportMessage(validatorClause, this.ownerIndexOf(validatorClause), ringIndex, request, "the request fails its message guarantee");
      return false;
    }
    const view = this.requestViews.of(request);
    const idLow = readIdLow(view, this.requestIdOffset, this.requestIdWidth);
    const idHigh = readIdHigh(view, this.requestIdOffset, this.requestIdWidth);
    if (this.table.find(idLow, idHigh) !== absentEntry) {
      this.reportMessage(channel.duplicateRequestIdClauseId, this.peerIndex, ringIndex, request, `request id ${formatId(idLow, idHigh)} is already outstanding`);
      return false;
    }
    if (this.table.size >= channel.outstandingBound) {
      this.reportMessage(channel.outstandingBoundClauseId, this.peerIndex, ringIndex, request, `more than ${channel.outstandingBound} requests outstanding`);
      return false;
    }
    const grants = channel.grants;
    const inspector = this.grants;
    if (grants !== undefined && inspector !== undefined) {
      const count = grants.countReferences(request);
      const writable = grants.requiresWritable(request);
      for (let position = 0; position < count; position += 1) {
        const reference = view.getUint32(grants.referenceOffset(position), true);
        if (!inspector.isGrantedTo(this.requesterDomainId, reference, this.responderDomainId)) {
          this.reportMessage(grants.notGrantedClauseId, this.peerIndex, ringIndex, request, `grant reference ${reference} is not granted by domain ${this.requesterDomainId} to domain ${this.responderDomainId}`, reference);
          return false;
        }
        if (writable && inspector.isReadOnly(this.requesterDomainId, reference)) {
          this.reportMessage(grants.readOnlyClauseId, this.peerIndex, ringIndex, request, `grant reference ${reference} is read-only but the request needs the peer to write it`, reference);
          return false;
        }
      }
    }
    const entry = this.table.insert(idLow, idHigh);
    this.table.publishedAt[entry] = this.batchTime;
    return true;
  }

  /** The responder is about to publish `response` (its own bytes): the request it answers is no longer outstanding. */
  recordResponseProduced(response: Uint8Array): void {
    if (this.isRequester) throw new RangeError(`${this.role} does not produce responses on ring ${this.channel.name}`);
    const view = this.responseViews.of(response);
    const entry = this.table.find(readIdLow(view, this.responseIdOffset, this.responseIdWidth), readIdHigh(view, this.responseIdOffset, this.responseIdWidth));
    // Answering a request that was refused (not recorded) leaves nothing to remove.
    if (entry === absentEntry) return;
    this.table.remove(entry);
    this.ownMessagesRecordedCount += 1;
  }

  // Either side --------------------------------------------------------------------------------

  /**
   * The party's ring end refused the peer's producer index (RingStatus overflow): the peer's
   * index clause is broken. The library stops using the ring.
   */
  reportPeerIndexFault(requestProducer: number, responseProducer: number, detail: string): void {
    const clauseId = this.isRequester ? this.channel.responseIndexClauseId : this.channel.requestIndexClauseId;
    this.report(clauseId, this.peerIndex, { ring: this.channel.name, requestProducer, responseProducer, detail });
  }

  // Internals ----------------------------------------------------------------------------------

  private decideRequesterStateAllowsMessages(): boolean {
    const allowed = this.channel.messagesAllowedInRequesterStates;
    const requesterIndex = this.roleIndexOf(this.channel.requesterRole);
    return allowed === undefined || allowed.states.includes(this.states[requesterIndex] ?? 0);
  }

  private wasAnswered(idLow: number, idHigh: number): boolean {
    for (let position = 0; position < this.answeredCount; position += 1) {
      if (this.answeredLow[position] === idLow && this.answeredHigh[position] === idHigh) return true;
    }
    return false;
  }

  private rememberAnswered(idLow: number, idHigh: number): void {
    this.answeredLow[this.answeredNext] = idLow;
    this.answeredHigh[this.answeredNext] = idHigh;
    this.answeredNext = this.answeredNext + 1 === this.answeredLow.length ? 0 : this.answeredNext + 1;
    if (this.answeredCount < this.answeredLow.length) this.answeredCount += 1;
  }

  private ownerIndexOf(clauseId: string): number {
    const clause = this.spec.clauses.find((candidate) => candidate.id === clauseId);
    const owner = clause === undefined ? -1 : this.roleIndexOf(clause.ownerRole);
    return owner >= 0 ? owner : this.peerIndex;
  }

  private reportMessage(clauseId: string, party: number, ringIndex: number, bytes: Uint8Array, detail: string, grantReference?: number): void {
    const evidence: ViolationEvidence = {
      ring: this.channel.name,
      ...(ringIndex >= 0 ? { index: ringIndex } : {}),
      bytes: formatBytesAsHex(bytes),
      ...(grantReference === undefined ? {} : { grantReference }),
      detail,
    };
    this.report(clauseId, party, evidence);
  }

  private report(clauseId: string, party: number, evidence: ViolationEvidence): void {
    const blamedRole = this.spec.roles[party] ?? "";
    const key = `${clauseId}\u0000${blamedRole}`;
    if (this.reportedClauses.has(key)) return;
    this.reportedClauses.add(key);
    const violation: Violation = { protocol: `${this.spec.protocol}@${this.spec.version}`, clauseId, specSpan: this.clauseSpans.get(clauseId) ?? "<unknown clause>", blamedRole, time: this.clock.now(), evidence };
    this.violations.push(violation);
    this.onViolation?.(violation);
  }

  private roleIndexOf(role: string): number {
    return this.spec.roles[0] === role ? 0 : this.spec.roles[1] === role ? 1 : -1;
  }

  private requireRoleIndex(role: string): number {
    const index = this.roleIndexOf(role);
    if (index < 0) throw new RangeError(`role ${role} is not one of ${this.spec.roles.join(", ")}`);
    return index;
  }
}

function formatId(idLow: number, idHigh: number): string {
  return ((BigInt(idHigh) << 32n) | BigInt(idLow)).toString();
}
