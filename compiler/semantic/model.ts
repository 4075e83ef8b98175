// The semantic model: the checked, resolved and immutable meaning of a set of .proto-desc
// files. It is separate from the syntax tree: the model may point at AST nodes (spans,
// expressions to emit), but analysis never writes anything onto them. Every object reachable
// from a SemanticModel is frozen (see freeze-model.ts); the types are readonly throughout.
import type { Span } from "../diagnostics/diagnostic.js";
import type { Expression } from "../syntax/ast.js";
import type { ScalarTypeName, TargetAbi } from "./layout-abi.js";
import type { RecordLayout } from "./layout.js";
import type { LifecycleMachineShape } from "./lifecycle-shapes.js";
import type { RingGeometry } from "./ring-geometry.js";
import type { ValueType } from "./value-types.js";

export interface SemanticModel {
  readonly kind: "semantic-model";
  /** Files in analysis order (imports before importers). */
  readonly files: readonly string[];
  readonly protocols: readonly ProtocolModel[];
  readonly resourceClasses: readonly ResourceClassModel[];
  readonly policies: readonly PolicyModel[];
  /** The type of every expression the analyzer checked, keyed by the AST node (a side table). */
  readonly expressionTypes: ReadonlyMap<Expression, ValueType>;
}

export interface RoleModel {
  readonly name: string;
  readonly span: Span;
}

export interface ProtocolModel {
  readonly kind: "protocol";
  readonly name: string;
  readonly version: number;
  readonly span: Span;
  readonly file: string;
  /** Doc comment text, if any. */
  readonly doc: string | undefined;
  /** Exactly two roles when the protocol checks clean (normally frontend, backend). */
  readonly roles: readonly RoleModel[];
  readonly abis: readonly AbiModel[];
  /** The store key that selects the ABI, e.g. frontend `protocol`. */
  readonly abiSelector: { readonly role: string; readonly key: string } | undefined;
  readonly constants: readonly ConstantModel[];
  readonly enums: readonly EnumModel[];
  /** Structs and messages in declaration order. */
  readonly records: readonly RecordModel[];
  readonly rings: readonly RingModel[];
  readonly streams: readonly StreamModel[];
  readonly packets: readonly PacketModel[];
  readonly stores: readonly StoreRoleModel[];
  readonly lifecycle: LifecycleModel | undefined;
  readonly exchanges: readonly ExchangeModel[];
  readonly guarantees: readonly GuaranteeModel[];
}

export interface AbiModel {
  readonly abi: TargetAbi;
  /** The value of the selector key that chooses this ABI, e.g. "x86_64-abi". */
  readonly storeValue: string | undefined;
}

export interface ConstantModel {
  readonly name: string;
  readonly span: Span;
  /** `integer` constants are exact 64-bit values; `duration` constants are nanoseconds. */
  readonly valueKind: "integer" | "duration";
  readonly value: bigint;
  readonly declaredType: ScalarTypeName | undefined;
  readonly doc: string | undefined;
}

export interface EnumModel {
  readonly name: string;
  readonly span: Span;
  readonly isFlags: boolean;
  readonly baseType: ScalarTypeName;
  readonly members: readonly EnumMemberModel[];
  readonly doc: string | undefined;
}

export interface EnumMemberModel {
  readonly name: string;
  readonly value: bigint;
  readonly span: Span;
  readonly doc: string | undefined;
}

/** The resolved type of a record field. */
export type FieldTypeModel =
  | { readonly kind: "scalar"; readonly scalar: ScalarTypeName }
  | { readonly kind: "enum"; readonly enumName: string; readonly scalar: ScalarTypeName }
  | { readonly kind: "record"; readonly recordName: string }
  | { readonly kind: "array"; readonly element: FieldTypeModel; readonly capacity: number; readonly countField: string | undefined }
  /** `onlyOnAbis` (from `on abi, ...`) limits explicit padding to some ABIs; absent means every ABI. */
  | { readonly kind: "padding"; readonly bytes: number; readonly onlyOnAbis?: readonly TargetAbi[] };

export interface FieldModel {
  readonly name: string;
  readonly span: Span;
  readonly type: FieldTypeModel;
  /** Labels of the switch cases this field sits in, outermost first; empty for common fields. */
  readonly variantPath: readonly VariantStep[];
  readonly doc: string | undefined;
}

export interface VariantStep {
  readonly discriminant: string;
  /** Case labels resolved to values; empty for `default`. */
  readonly values: readonly bigint[];
  readonly labels: readonly string[];
  readonly isDefault: boolean;
}

export interface SwitchModel {
  readonly discriminant: string;
  readonly span: Span;
  readonly cases: readonly { readonly labels: readonly string[]; readonly values: readonly bigint[]; readonly isDefault: boolean; readonly span: Span }[];
}

export interface ConstraintModel {
  /** The `where` label, or a generated `where_N` (1-based position in its record). */
  readonly label: string;
  readonly hasExplicitLabel: boolean;
  readonly span: Span;
  /** The checked boolean expression; its subexpression types are in `expressionTypes`. */
  readonly condition: Expression;
}

export interface RecordModel {
  readonly name: string;
  readonly span: Span;
  readonly isMessage: boolean;
  /** The sending role of a message. */
  readonly sender: string | undefined;
  /** Every field in declaration order, including fields inside switch cases. */
  readonly fields: readonly FieldModel[];
  readonly switches: readonly SwitchModel[];
  readonly constraints: readonly ConstraintModel[];
  /** The C layout on each of the protocol's ABIs (x86_64 and arm are equal). */
  readonly layouts: ReadonlyMap<TargetAbi, RecordLayout>;
  readonly doc: string | undefined;
}

export interface RingModel {
  readonly name: string;
  readonly span: Span;
  /** The first request and response message: the ones exchanges correlate. */
  readonly requestMessage: string;
  readonly responseMessage: string;
  /** Every message a request or response slot may hold (netif's extra-info slots share the ring). */
  readonly requestMessages: readonly string[];
  readonly responseMessages: readonly string[];
  readonly requestProducer: string;
  readonly responseProducer: string;
  /** The allowed page orders, ascending (ring bytes = 4096 << order). */
  readonly pageOrders: readonly number[];
  /** The store key that bounds the page order, when the range refers to one. */
  readonly pageOrderKey: { readonly role: string; readonly key: string } | undefined;
  readonly geometry: ReadonlyMap<TargetAbi, RingGeometry>;
  readonly doc: string | undefined;
}

export interface StreamDirectionModel {
  readonly name: string;
  readonly writer: string;
  readonly dataField: string;
  readonly producerField: string;
  readonly consumerField: string;
  /** Buffer length in bytes (a power of two). */
  readonly bufferBytes: number;
}

export interface StreamModel {
  readonly name: string;
  readonly span: Span;
  readonly layoutRecord: string;
  readonly directions: readonly StreamDirectionModel[];
  readonly doc: string | undefined;
}

export interface PacketPartModel {
  readonly name: string;
  readonly slotMessage: string;
  readonly repeated: boolean;
  readonly startCondition: Expression | undefined;
  readonly continueCondition: Expression | undefined;
  readonly span: Span;
}

export interface PacketModel {
  readonly name: string;
  readonly span: Span;
  readonly ring: string;
  readonly direction: "request" | "response";
  readonly parts: readonly PacketPartModel[];
  readonly constraints: readonly ConstraintModel[];
  readonly doc: string | undefined;
}

export type StoreValueTypeModel =
  | { readonly kind: "scalar"; readonly scalar: ScalarTypeName }
  | { readonly kind: "enum"; readonly enumName: string; readonly scalar: ScalarTypeName }
  | { readonly kind: "string" }
  | { readonly kind: "abi" };

export interface StoreKeyModel {
  readonly name: string;
  readonly span: Span;
  readonly type: StoreValueTypeModel;
  readonly optional: boolean;
  readonly defaultValue: Expression | undefined;
  /** For a key family `ring-ref[0 .. n]`: the range expression (may refer to other keys). */
  readonly familyRange: Expression | undefined;
  readonly forChannels: readonly string[];
  readonly constraint: Expression | undefined;
  /** Message variants this feature key enables: message name and case label. */
  /** Message variants (`Message.case`) or packet parts (`Packet.part`) this feature key enables. */
  readonly enables: readonly { readonly message: string; readonly caseLabel: string }[];
  readonly doc: string | undefined;
}

export interface StoreRoleModel {
  readonly role: string;
  readonly span: Span;
  readonly keys: readonly StoreKeyModel[];
  readonly constraints: readonly ConstraintModel[];
}

export interface LifecycleTransitionModel {
  readonly label: string | undefined;
  readonly from: string;
  readonly to: string;
  readonly guard: Expression | undefined;
  readonly publishes: readonly string[];
  /** Peer keys read on the way: by `reads` and by the guard. */
  readonly reads: readonly string[];
  readonly span: Span;
}

export interface LifecycleRoleModel {
  readonly role: string;
  readonly span: Span;
  readonly transitions: readonly LifecycleTransitionModel[];
  /** The machine as the checks saw it (guards resolved to peer predicates). */
  readonly machine: LifecycleMachineShape;
}

export interface LifecycleModel {
  readonly span: Span;
  /** XenBus states with their numbers, in order. */
  readonly states: readonly { readonly name: string; readonly value: number }[];
  readonly roles: readonly LifecycleRoleModel[];
  readonly dataCondition: Expression | undefined;
  /** `[label:] STATE within DURATION;`: both roles reach STATE within this time of the connection's start. */
  readonly deadline: LifecycleDeadlineModel | undefined;
  /** How many joint states the deadlock search explored. */
  readonly exploredJointStates: number;
}

export interface LifecycleDeadlineModel {
  /** `protocol.label`, or `protocol.handshake_deadline` without a label. */
  readonly qualifiedId: string;
  readonly state: string;
  readonly nanoseconds: bigint;
  readonly span: Span;
}

export interface ExchangeModel {
  readonly ring: string;
  readonly span: Span;
  readonly requestMessage: string;
  readonly responseMessage: string;
  /** Pairs of equal fields: response field == request field. */
  readonly correlation: readonly { readonly responseField: string; readonly requestField: string }[];
  readonly exactlyOnce: boolean;
  /** undefined when the exchange says neither `ordered` nor `unordered`. */
  readonly ordered: boolean | undefined;
  readonly deadlineNanoseconds: bigint | undefined;
  readonly outstandingLimit: bigint | undefined;
  /** `outstanding at most entries(ring)`: bounded by the ring's entries at the negotiated order. */
  readonly outstandingIsRingCapacity: boolean;
  /** `progress within T;`: while requests are outstanding the responder answers one within T. */
  readonly progress: { readonly nanoseconds: bigint; readonly span: Span } | undefined;
}

export type GuaranteeSubjectModel =
  | { readonly kind: "message"; readonly binder: string; readonly message: string }
  | { readonly kind: "ring"; readonly binder: string; readonly ring: string }
  | { readonly kind: "stream"; readonly binder: string; readonly stream: string }
  | { readonly kind: "packet"; readonly binder: string; readonly packet: string };

export type GuaranteeStatementModel =
  | { readonly kind: "invariant"; readonly span: Span; readonly condition: Expression }
  | { readonly kind: "until"; readonly span: Span; readonly condition: Expression; readonly event: Expression }
  | { readonly kind: "within"; readonly span: Span; readonly event: Expression; readonly deadlineNanoseconds: bigint }
  | { readonly kind: "rate"; readonly span: Span; readonly limit: bigint; readonly event: Expression; readonly windowNanoseconds: bigint };

export interface GuaranteeModel {
  /** Stable identifier used in blame records: `protocol.id`. */
  readonly id: string;
  readonly qualifiedId: string;
  readonly owner: string;
  readonly span: Span;
  readonly subjects: readonly GuaranteeSubjectModel[];
  readonly statements: readonly GuaranteeStatementModel[];
  /**
   * Upper bound on predicate evaluations per observed event: the product of every quantifier's
   * range bound (1 without quantifiers). Monitors can rely on it.
   */
  readonly maximumWorkPerEvent: number;
  readonly doc: string | undefined;
}

export interface ResourceClassModel {
  readonly name: string;
  readonly span: Span;
  readonly file: string;
  readonly protocol: string;
  readonly protocolVersion: number;
  readonly providerRole: string;
  readonly consumerRole: string;
  readonly paths: readonly { readonly role: string; readonly template: string }[];
  readonly labels: readonly string[];
  readonly perDomainLimit: bigint | undefined;
  readonly doc: string | undefined;
}

export interface PolicyModel {
  readonly name: string;
  readonly span: Span;
  readonly file: string;
  readonly enforce: readonly ("rbac" | "types" | "chinese-wall" | "colours")[];
  readonly roles: readonly { readonly name: string; readonly permissions: readonly { readonly permission: "provide" | "consume"; readonly resourceClass: string }[] }[];
  readonly principals: readonly { readonly name: string; readonly pattern: string | undefined; readonly roles: readonly string[]; readonly types: readonly string[]; readonly privileged: boolean }[];
  readonly resourceLabels: readonly { readonly resourceClass: string; readonly types: readonly string[] }[];
  readonly conflictSets: readonly { readonly name: string; readonly types: readonly string[] }[];
  readonly colourGroups: readonly { readonly name: string; readonly types: readonly string[] }[];
  readonly doc: string | undefined;
}
