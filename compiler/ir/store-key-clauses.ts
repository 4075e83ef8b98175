// The IR of a protocol's store key `where` clauses as the run time checks them: the keys the
// clauses read (one numeric slot each) and, per clause, its id, owner role, the expression over
// slots, constants and `present(...)`, and the lifecycle states by which it must be decided.
// Lowered by lower-store-key-clauses.ts; emitted by codegen/emit-store-key-clauses.ts.
import type { IrBinaryOperator, IrBooleanLiteral, IrConstantReference, IrEnumMemberReference, IrIntegerLiteral, IrUnaryOperator } from "./expression.js";
import type { IrSpan } from "./span.js";

/** One key a clause reads; `kind` says how its text becomes a number (text keys only answer `present`). */
export interface IrStoreKeySlot {
  readonly role: string;
  readonly key: string;
  readonly kind: "integer" | "bool" | "text";
  /** The spec's default as a number (bools 0/1), when the key has one. */
  readonly defaultValue?: number;
}

/** The value of the key in slot `slot` (`value`, `sector-size`, `backend.max-ring-page-order`). */
export interface IrStoreKeyValueReference {
  readonly kind: "key-value";
  readonly slot: number;
}

/** `present(key)`: the key was written. */
export interface IrStoreKeyPresence {
  readonly kind: "key-present";
  readonly slot: number;
}

export interface IrStoreClauseUnary {
  readonly kind: "unary";
  readonly operator: IrUnaryOperator;
  readonly operand: IrStoreClauseExpression;
}

export interface IrStoreClauseBinary {
  readonly kind: "binary";
  readonly operator: IrBinaryOperator;
  readonly left: IrStoreClauseExpression;
  readonly right: IrStoreClauseExpression;
}

export type IrStoreClauseExpression =
  | IrIntegerLiteral
  | IrBooleanLiteral
  | IrConstantReference
  | IrEnumMemberReference
  | IrStoreKeyValueReference
  | IrStoreKeyPresence
  | IrStoreClauseUnary
  | IrStoreClauseBinary;

export interface IrStoreKeyClause {
  /** `<protocol>.<role>.<key>` for a key's `where`, `<protocol>.<role>.<label>` (or `where_N`) for a store-level one. */
  readonly clauseId: string;
  /** The role whose store schema states the clause: it writes the keys and is blamed. */
  readonly role: string;
  /** The constrained key of a key clause (`value`); undefined for a store-level clause. */
  readonly key: string | undefined;
  /** Slot of `key`, or -1 for a store-level clause. */
  readonly keySlot: number;
  readonly expression: IrStoreClauseExpression;
  /** Slots of `role`'s own keys the clause reads (the constrained key first), and of the peer's. */
  readonly ownSlots: readonly number[];
  readonly peerSlots: readonly number[];
  /** Slots whose value the expression reads (an absent one without default leaves the clause undecided). */
  readonly valueSlots: readonly number[];
  /** Slots the expression only asks `present(...)` of. */
  readonly presentSlots: readonly number[];
  /** XenBus state numbers whose entry by `role` publishes a key the clause reads (or one naming the same channel). */
  readonly dueInStates: readonly number[];
  /** The condition as written in the spec, whitespace collapsed. */
  readonly text: string;
  /** "file:line:col" of the condition. */
  readonly location: string;
  readonly span: IrSpan;
}

/** A clause the run time cannot evaluate, with the reason (said in the generated module). */
export interface IrUncheckedStoreKeyClause {
  readonly clauseId: string;
  readonly reason: string;
  readonly span: IrSpan;
}

export interface IrStoreKeyClauses {
  readonly slots: readonly IrStoreKeySlot[];
  readonly clauses: readonly IrStoreKeyClause[];
  readonly unchecked: readonly IrUncheckedStoreKeyClause[];
}
