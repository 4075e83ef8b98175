// The plain, readonly description a per-connection monitor is built from: roles, clauses with
// their owners and spec locations, and the obligations of compiler/ir/monitor.ts lowered to
// numbers (ring geometry, field offsets, state codes), so generated code can hand it as a constant.
import type { StoreKeyClauseTable } from "./store-key-clause-table.js";

/** A stable clause id (e.g. `blkif.response_id_known`) with the role that owns the guarantee. */
export interface MonitorClause {
  readonly id: string;
  readonly ownerRole: string;
  /** Where the clause is written: "file:line:col". */
  readonly specSpan: string;
  readonly summary: string;
  /**
   * Set when the clause has no fixed owner: the monitor blames whichever role broke it when it
   * fires (the role that made a lifecycle move, the role that could move towards Connected and
   * did not). `ownerRole` then only orders the clause table, and arbitration confirms a
   * complaint when its own re-check blames the accused under this clause.
   */
  readonly blameDecidedWhenFired?: true;
}

/** Where an id lives inside a slot: byte offset and width (little-endian, 1, 2, 4 or 8 bytes). */
export interface MonitorIdField {
  readonly offset: number;
  readonly widthBytes: 1 | 2 | 4 | 8;
}

/** A per-message check supplied by generated validators: returns the broken clause id or null. */
export type MonitorMessageValidator = (slot: Uint8Array) => string | null;

/** One request/response ring of the connection and every obligation that concerns it. */
export interface MonitorRingChannel {
  readonly name: string;
  readonly slotBytes: number;
  readonly entries: number;
  /** Bytes of a response record: the responder writes only these bytes of a request's slot. */
  readonly responseBytes: number;
  readonly requesterRole: string;
  readonly responderRole: string;
  readonly requestId: MonitorIdField;
  readonly responseId: MonitorIdField;
  /** At most this many requests in flight (the correlation table is sized from it). */
  readonly outstandingBound: number;
  /** Clauses blamed on the requester (request index overflow) and responder (response overflow). */
  readonly requestIndexClauseId: string;
  readonly responseIndexClauseId: string;
  /** Correlation clauses: duplicate outstanding request id, too many outstanding, unknown or duplicate response id. */
  readonly duplicateRequestIdClauseId: string;
  readonly outstandingBoundClauseId: string;
  readonly unknownResponseIdClauseId: string;
  readonly duplicateResponseIdClauseId: string;
  /** Slot bytes changed after publication while the request was outstanding (double fetch bait). */
  readonly slotRewrittenClauseId: string;
  readonly deadline?: { readonly clauseId: string; readonly milliseconds: number };
  /**
   * While requests are outstanding the responder publishes some response within this time of
   * the later of its last response and the moment the ring stopped being idle (blamed on the
   * responder, who owes the progress). Checked on clock ticks.
   */
  readonly progress?: { readonly clauseId: string; readonly milliseconds: number };
  readonly grants?: MonitorGrantObligation;
  readonly requestValidator?: MonitorMessageValidator;
  readonly responseValidator?: MonitorMessageValidator;
  /** Messages on this ring are only allowed while the requester's xenbus state is one of these. */
  readonly messagesAllowedInRequesterStates?: { readonly clauseId: string; readonly states: readonly number[] };
}

/**
 * A boolean store key one role publishes in its own directory, read the way xenbus booleans
 * are ("1" or any non-zero integer true, "0" false, other text false); the condition holds
 * when the key reads `expected`.
 */
export interface MonitorStoreKeyCondition {
  readonly role: string;
  /** Relative to the role's directory, e.g. `feature-persistent`. */
  readonly key: string;
  /** False for a negated key (`!role.key`). */
  readonly expected: boolean;
  /** What the key reads as while it is absent (its declared default). */
  readonly valueWhenAbsent: boolean;
}

/**
 * Grant references carried in each request: the requester must have granted each to the peer
 * (writable when `requiresWritable` says so), must not end access while the request is
 * outstanding, and with `unmapBeforeResponse` the responder must have unmapped them first.
 */
export interface MonitorGrantObligation {
  readonly notGrantedClauseId: string;
  readonly readOnlyClauseId: string;
  readonly endedWhileOutstandingClauseId: string;
  readonly stillMappedAtResponseClauseId: string;
  /** How many grant references the request carries (e.g. nr_segments), read from its slot. */
  readonly countReferences: (slot: Uint8Array) => number;
  /** The most references one request may carry (blkif: 11 segments). */
  readonly maximumReferences: number;
  /** Byte offset of the i-th grant reference (u32) inside the request slot. */
  readonly referenceOffset: (index: number) => number;
  /** True when the peer must be able to write the granted page (a disk read fills it). */
  readonly requiresWritable: (slot: Uint8Array) => boolean;
  readonly unmapBeforeResponse: boolean;
  /**
   * The responder need not unmap before responding while any one of these conjunctions holds
   * (blkif: both ends published `feature-persistent = 1`, so grants stay mapped across
   * requests). Keys are judged with the values the peer of their role negotiated: see
   * ConnectionMonitor's store-key notes.
   */
  readonly unmapExemptions?: readonly (readonly MonitorStoreKeyCondition[])[];
}

export interface MonitorLifecycleTransition {
  readonly role: string;
  readonly from: number;
  readonly to: number;
  /** The peer must be in one of these states (empty: unguarded). */
  readonly peerStates: readonly number[];
  /** Keys, relative to the role's directory, that must exist before the transition. */
  readonly requiredKeys: readonly string[];
}

export interface MonitorLifecycle {
  readonly illegalTransitionClauseId: string;
  readonly missingKeysClauseId: string;
  readonly transitions: readonly MonitorLifecycleTransition[];
  /** The state both roles start in (XenbusStateInitialising = 1) and the connected state (4). */
  readonly initialState: number;
  readonly connectedState: number;
  readonly closedState: number;
  /** XenbusStateClosing (5): transitions into it or `closedState` are teardown, not handshake progress. */
  readonly closingState?: number;
  /**
   * Both parties must reach `connectedState` within this time of the monitor's start. Blamed on
   * each party that is not Connected and has a non-teardown transition enabled (it could move
   * and did not); when no such party exists, on every party that is not Connected.
   */
  readonly handshakeDeadline?: { readonly clauseId: string; readonly milliseconds: number };
}

/** Notifications without ring progress: more than `maximumEvents` sends in `windowMilliseconds`. */
export interface MonitorEventFloodBudget {
  readonly clauseId: string;
  readonly maximumEvents: number;
  readonly windowMilliseconds: number;
}

/**
 * One role's own notification budget (a language rate guarantee, `at most N notify per T`):
 * more than `maximumEvents` sends by that role within one window of `windowMilliseconds`
 * breaks `clauseId`, whatever the ring does meanwhile.
 */
export interface MonitorRoleEventBudget {
  readonly role: string;
  readonly clauseId: string;
  readonly maximumEvents: number;
  readonly windowMilliseconds: number;
}

/** A role whose store requests fail with a quota error (EQUOTA, ENOSPC) broke `clauseId`. */
export interface MonitorStoreQuotaClause {
  readonly role: string;
  readonly clauseId: string;
}

export interface MonitorSpec {
  readonly protocol: string;
  readonly version: number;
  readonly roles: readonly [string, string];
  readonly clauses: readonly MonitorClause[];
  readonly rings: readonly MonitorRingChannel[];
  readonly lifecycle: MonitorLifecycle;
  /** One budget shared by both roles' counters (each role counted separately), exempt while the rings progress. */
  readonly eventFlood?: MonitorEventFloodBudget;
  /** Per-role budgets; a role listed here is checked against its own budget instead of `eventFlood`. */
  readonly eventBudgets?: readonly MonitorRoleEventBudget[];
  /** A party whose store requests fail with EQUOTA broke this clause. */
  readonly storeQuotaClauseId?: string;
  /** Per-role store quota clauses; a role listed here is blamed under its own clause instead of `storeQuotaClauseId`. */
  readonly storeQuotaClauses?: readonly MonitorStoreQuotaClause[];
  /** Both parties idle (no store write, no ring progress, no event) for this long before Connected. */
  readonly silence?: { readonly clauseId: string; readonly milliseconds: number };
  /** The store schema's `where` clauses, judged on each party's store writes (store-key-checks.ts). */
  readonly storeKeyClauses?: StoreKeyClauseTable;
}
