// The IR of what a generated per-connection monitor must check: the lifecycle state machines,
// correlation of exchanges (with fixed-size outstanding tables), ring index invariants,
// deadlines and resource clauses. Each obligation carries the clause id and the role blamed
// when it is broken. This is the design the monitor emitter is written against.
import type { IrExpression } from "./expression.js";
import type { IrLayoutAbi, IrSpan } from "./span.js";
import type { IrStoreKeyClauses } from "./store-key-clauses.js";

/** One allowed xenbus transition of one role, guarded by the peer's state. */
export interface IrLifecycleTransition {
  readonly role: string;
  readonly from: number;
  readonly to: number;
  /** The peer must be in one of these states (empty: unguarded). */
  readonly peerStates: readonly number[];
  /** Store keys (relative to the role's directory) that must exist before the transition. */
  readonly requiredKeys: readonly string[];
  readonly span: IrSpan;
}

export interface IrLifecycleObligation {
  readonly kind: "lifecycle";
  readonly clauseId: string;
  /** Where the clause is written, as "file:line:col" (1-based), for violation reports. */
  readonly location: string;
  readonly transitions: readonly IrLifecycleTransition[];
  /**
   * From `data when ...`: the states each role must be in for ring messages to flow (a role
   * the condition does not constrain is absent). Checked under `dataClauseId`.
   */
  readonly dataStates: readonly { readonly role: string; readonly states: readonly number[] }[];
  readonly dataClauseId: string;
  /** XenBus numbers of the initial and closed states (Initialising = 1, Closed = 6). */
  readonly initialState: number;
  readonly closedState: number;
  /** A transition not listed here is blamed on the role that wrote its `state` key. */
  readonly span: IrSpan;
}

/**
 * Request/response correlation on one ring: every request id is answered exactly once, no
 * response carries an unknown or already-answered id, and at most `outstandingBound` requests
 * are in flight. Monitors track ids in a typed-array open-addressing table of that size.
 */
export interface IrCorrelationObligation {
  readonly kind: "correlation";
  readonly clauseId: string;
  /** Where the clause is written, as "file:line:col" (1-based), for violation reports. */
  readonly location: string;
  readonly channel: string;
  readonly requestRecord: string;
  readonly responseRecord: string;
  readonly requestIdField: readonly string[];
  readonly responseIdField: readonly string[];
  readonly outstandingBound: number;
  readonly requesterRole: string;
  readonly responderRole: string;
  /** Slot size and entries of the ring at its smallest page order, per layout (xen-abi.md §1). */
  readonly slotBytes: Readonly<Record<IrLayoutAbi, number>>;
  readonly entries: Readonly<Record<IrLayoutAbi, number>>;
  /** The guarantee that a published request is not rewritten (`unchanged(...)`), when the spec states one. */
  readonly slotUnchanged?: { readonly clauseId: string; readonly location: string; readonly ownerRole: string };
  readonly span: IrSpan;
}

/** Shared-ring index sanity (reference/xen-abi.md §1), checked on every index the monitor sees. */
export interface IrRingIndexObligation {
  readonly kind: "ring-index";
  readonly clauseId: string;
  /** Where the clause is written, as "file:line:col" (1-based), for violation reports. */
  readonly location: string;
  readonly channel: string;
  /** Which side's producer index is checked; that role is blamed when it overruns. */
  readonly producerRole: string;
  readonly direction: "requests" | "responses";
  readonly span: IrSpan;
}

/** A response must arrive within `milliseconds` of its request; checked on clock ticks. */
export interface IrDeadlineObligation {
  readonly kind: "deadline";
  readonly clauseId: string;
  /** Where the clause is written, as "file:line:col" (1-based), for violation reports. */
  readonly location: string;
  readonly channel: string;
  readonly milliseconds: number;
  readonly blamedRole: string;
  readonly span: IrSpan;
}

/**
 * A boolean store key one role publishes in its own directory, read the way xenbus booleans
 * are ("1" true, "0" false); the condition holds when the key reads `expected`.
 */
export interface IrStoreKeyCondition {
  readonly role: string;
  /** Relative to the role's directory, e.g. `feature-persistent`. */
  readonly key: string;
  /** False for `!role.key`. */
  readonly expected: boolean;
  /** What the key reads as while it is absent (its declared default; false without one). */
  readonly valueWhenAbsent: boolean;
}

/**
 * The responder's guarantee that it unmaps a request's grants before responding. It is waived
 * for a response while any one of `exemptions` holds (each a conjunction of store-key
 * conditions): blkif's `(frontend.feature-persistent && backend.feature-persistent) ||
 * unmapped_all(request)` lowers to one exemption of two keys.
 */
export interface IrUnmappedClause {
  readonly clauseId: string;
  readonly location: string;
  readonly ownerRole: string;
  readonly exemptions: readonly (readonly IrStoreKeyCondition[])[];
}

/**
 * A resource clause over the grant references in a request: while the request is outstanding
 * each reference must be granted by `granterRole` to the peer, writable when `writableWhen`
 * holds; with `unmapBeforeResponse` the peer must unmap before it responds (XSA-396).
 */
export interface IrGrantObligation {
  readonly kind: "grant";
  readonly clauseId: string;
  /** Where the clause is written, as "file:line:col" (1-based), for violation reports. */
  readonly location: string;
  readonly channel: string;
  readonly requestRecord: string;
  /** Path to the grant reference; a `[]` component means every live element of that array. */
  readonly grantFieldPath: readonly string[];
  readonly granterRole: string;
  readonly writableWhen?: IrExpression;
  readonly unmapBeforeResponse: boolean;
  /** The responder's own guarantee that it unmaps before responding (`unmapped_all(...)`), when stated. */
  readonly unmappedClause?: IrUnmappedClause;
  readonly span: IrSpan;
}

/** A guarantee over one message that the monitor checks on its decoded private copy. */
export interface IrMessageObligation {
  readonly kind: "message";
  readonly clauseId: string;
  /** Where the clause is written, as "file:line:col" (1-based), for violation reports. */
  readonly location: string;
  readonly recordName: string;
  readonly expression: IrExpression;
  readonly blamedRole: string;
  readonly span: IrSpan;
}

/** `padding_is_zero(message)`: every padding byte of the record's layout is zero (XSA-216). */
export interface IrPaddingZeroObligation {
  readonly kind: "padding-zero";
  readonly clauseId: string;
  /** Where the clause is written, as "file:line:col" (1-based), for violation reports. */
  readonly location: string;
  readonly recordName: string;
  readonly blamedRole: string;
  readonly span: IrSpan;
}

/**
 * `[label:] STATE within T;` in the lifecycle: both roles reach `state` within `milliseconds`
 * of the connection's start. Blame is decided when it fires (runtime/monitor): each role short
 * of the state that could move towards it and did not; when neither could, both.
 */
export interface IrHandshakeDeadlineObligation {
  readonly kind: "handshake-deadline";
  readonly clauseId: string;
  readonly location: string;
  /** XenBus number of the state both roles must reach (Connected = 4). */
  readonly state: number;
  readonly milliseconds: number;
  readonly span: IrSpan;
}

/** `progress within T;` on an exchange: while requests are outstanding the responder answers one within T. */
export interface IrProgressObligation {
  readonly kind: "progress";
  readonly clauseId: string;
  readonly location: string;
  readonly channel: string;
  readonly milliseconds: number;
  readonly blamedRole: string;
  readonly span: IrSpan;
}

/** A rate guarantee over `notify` (`at most N notify per T`): the owner's own event-channel budget. */
export interface IrEventBudgetObligation {
  readonly kind: "event-budget";
  readonly clauseId: string;
  readonly location: string;
  readonly role: string;
  readonly maximumEvents: number;
  readonly windowMilliseconds: number;
  readonly span: IrSpan;
}

/** `within_store_quota(role)`: a store request of `role` failing for lack of quota breaks the clause. */
export interface IrStoreQuotaObligation {
  readonly kind: "store-quota";
  readonly clauseId: string;
  readonly location: string;
  readonly role: string;
  readonly span: IrSpan;
}

export type IrMonitorObligation =
  | IrHandshakeDeadlineObligation
  | IrProgressObligation
  | IrEventBudgetObligation
  | IrStoreQuotaObligation
  | IrPaddingZeroObligation
  | IrLifecycleObligation
  | IrCorrelationObligation
  | IrRingIndexObligation
  | IrDeadlineObligation
  | IrGrantObligation
  | IrMessageObligation;

export interface IrMonitorObligations {
  readonly obligations: readonly IrMonitorObligation[];
  /** "file:line:col" of every `where` clause of the protocol's records, by clause id, for validator violations. */
  readonly clauseLocations: Readonly<Record<string, string>>;
  /** The store schema's `where` clauses, judged on store writes (ir/store-key-clauses.ts). */
  readonly storeKeyClauses?: IrStoreKeyClauses;
}
