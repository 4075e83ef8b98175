// The target-neutral IR of one protocol: records with their ABI-neutral field types, one
// byte layout per ABI (offsets, sizes, padding), validation clauses and monitor obligations.
// It is lowered from the semantic model; emitters read only this, never AST nodes.
import type { IrExpression } from "./expression.js";
import type { IrMonitorObligations } from "./monitor.js";
import type { IrLayoutAbi, IrSpan } from "./span.js";
import type { IrStubs } from "./stubs.js";

export type { IrLayoutAbi, IrSpan } from "./span.js";

/** An ABI a peer may announce through the `protocol` store key, and the layout it implies. */
export interface IrAbi {
  readonly name: string;
  /** The value of the frontend's `protocol` key that selects this ABI, e.g. "x86_32-abi". */
  readonly protocolKeyValue: string | undefined;
  readonly layout: IrLayoutAbi;
}

export type IrIntegerWidth = 1 | 2 | 4 | 8;

export interface IrIntegerType {
  readonly kind: "integer";
  readonly width: IrIntegerWidth;
  readonly signed: boolean;
}

/** A C bool: one byte holding 0 or 1; any other byte is a decode error. */
export interface IrBooleanType {
  readonly kind: "bool";
}

export interface IrEnumType {
  readonly kind: "enum";
  readonly enumName: string;
}

/** A grant reference or an event-channel port: a u32 on the wire that names a resource. */
export interface IrResourceType {
  readonly kind: "resource";
  readonly resource: "grant" | "evtchn";
}

export interface IrRecordReferenceType {
  readonly kind: "record";
  readonly recordName: string;
}

/**
 * A fixed-capacity array. With `countField` set, only the first `count` elements are live:
 * decoders read only those (a count above the capacity is an error) and encoders zero the rest.
 */
export interface IrArrayType {
  readonly kind: "array";
  readonly element: IrScalarType | IrRecordReferenceType;
  readonly capacity: number;
  /** A sibling field (earlier in the record) holding the live element count. */
  readonly countField?: string;
}

/**
 * One arm of a union: the discriminant values that select it and the record it holds. The arm
 * record's offsets are relative to the union's offset; its size is where its last member ends,
 * and the bytes from there to the union's end are zeroed by encoders.
 */
export interface IrUnionArm {
  readonly armName: string;
  readonly discriminantValues: readonly number[];
  /** The arm taken for every discriminant value no other arm lists (a `default` case). */
  readonly isDefault: boolean;
  readonly recordName: string;
}

/** A C union whose active arm is chosen by an earlier sibling field (message variants). */
export interface IrUnionType {
  readonly kind: "union";
  readonly discriminantField: string;
  readonly arms: readonly IrUnionArm[];
}

export type IrScalarType = IrIntegerType | IrBooleanType | IrEnumType | IrResourceType;

export type IrFieldType = IrScalarType | IrRecordReferenceType | IrArrayType | IrUnionType;

export interface IrField {
  readonly name: string;
  readonly type: IrFieldType;
  readonly span: IrSpan;
}

/** A field's place in one ABI's layout; for arrays `stride` is the element size. */
export interface IrFieldLayout {
  readonly offset: number;
  readonly size: number;
  readonly stride?: number;
}

/** A byte range inside a record that carries no field; encoders write zeros there (XSA-216). */
export interface IrPaddingRange {
  readonly offset: number;
  readonly length: number;
}

export interface IrRecordLayout {
  readonly size: number;
  readonly alignment: number;
  /** Parallel to `IrRecord.fields`. */
  readonly fields: readonly IrFieldLayout[];
  readonly padding: readonly IrPaddingRange[];
}

/** A `where` clause: checked over a decoded value; its id appears in every error it raises. */
export interface IrValidationClause {
  readonly clauseId: string;
  readonly expression: IrExpression;
  /** The field reported as the culprit when the clause fails (normally the first one it reads). */
  readonly fieldPath: readonly string[];
  readonly span: IrSpan;
}

export interface IrRecord {
  readonly name: string;
  /** `message` records travel on channels; `struct` records only nest; `arm` records are union arms. */
  readonly role: "message" | "struct" | "arm";
  /** For messages: the role that sends them. */
  readonly sender?: string;
  readonly fields: readonly IrField[];
  readonly layouts: Readonly<Record<IrLayoutAbi, IrRecordLayout>>;
  readonly clauses: readonly IrValidationClause[];
  /**
   * `where` clauses that read more than the message (store keys, other messages): validators
   * cannot check them, so they are kept here for the monitor, which sees the store.
   */
  readonly contextualClauses: readonly IrContextualClause[];
  readonly span: IrSpan;
}

export interface IrContextualClause {
  readonly clauseId: string;
  /** Why the clause needs context, e.g. "reads store key backend.feature-max-indirect-segments". */
  readonly reason: string;
  readonly span: IrSpan;
}

export interface IrEnumMember {
  readonly name: string;
  readonly value: number;
}

export interface IrEnum {
  readonly name: string;
  /** A flags enum: any combination of its members' bits is a valid value. */
  readonly isFlags: boolean;
  readonly width: IrIntegerWidth;
  readonly signed: boolean;
  readonly members: readonly IrEnumMember[];
  readonly span: IrSpan;
}

export interface IrConstant {
  readonly name: string;
  readonly value: number;
  readonly span: IrSpan;
}

export interface IrProtocol {
  readonly name: string;
  readonly version: number;
  readonly roles: readonly string[];
  readonly abis: readonly IrAbi[];
  readonly constants: readonly IrConstant[];
  readonly enums: readonly IrEnum[];
  /** Dependencies first: a record appears after every record it contains. */
  readonly records: readonly IrRecord[];
  readonly monitor?: IrMonitorObligations;
  /** The typed frontend/backend stubs, when the protocol has an exchange over a ring. */
  readonly stubs?: IrStubs;
  readonly span: IrSpan;
}

/** What the emitter needs besides the IR: provenance for the do-not-edit header and the runtime import. */
export interface IrCompilationUnit {
  readonly protocols: readonly IrProtocol[];
  /** The spec files as the user named them (relative), in sorted order. */
  readonly specFiles: readonly string[];
  /** sha256 (hex) of the normalized spec inputs; see computeSpecHash. */
  readonly specHash: string;
  /** Every spec the hash covers (roots and imports), sorted; the roots alone when absent. */
  readonly specInputs?: readonly string[];
}
