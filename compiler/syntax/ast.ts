// The abstract syntax tree of a .proto-desc file: what the user wrote, nothing resolved.
// Nodes are readonly, tagged by `kind`, carry a half-open `span`, and hold no parent pointers;
// names, types, sizes and meanings are decided later by compiler/semantic.
import type { Span } from "../diagnostics/diagnostic.js";

// ---------------------------------------------------------------------------------------------
// Shared building blocks
// ---------------------------------------------------------------------------------------------

/** A name as written. Key names may contain hyphens (`ring-ref`); see docs/language.md §1.3. */
export interface Identifier {
  readonly kind: "Identifier";
  readonly span: Span;
  readonly text: string;
}

/** A dotted reference such as `backend.max-ring-page-order` or `Request.discard`. */
export interface QualifiedName {
  readonly kind: "QualifiedName";
  readonly span: Span;
  /** At least one part. */
  readonly parts: readonly Identifier[];
}

/** Every comment in the file, in source order, including doc comments (a formatter needs them). */
export interface Comment {
  readonly kind: "Comment";
  readonly span: Span;
  /** `line` is `// ...`, `block` is `/* ... *\/`, `doc` is `/// ...`. */
  readonly style: "line" | "block" | "doc";
  /** The full comment text including its delimiters. */
  readonly text: string;
}

/**
 * The `///` lines directly before a declaration or member, joined with newlines, each line's
 * leading `///` and one following space removed. Absent when there is none.
 */
export interface DocComment {
  readonly kind: "DocComment";
  readonly span: Span;
  readonly text: string;
}

// ---------------------------------------------------------------------------------------------
// Expressions (constant expressions, where constraints, guards, guarantee predicates)
// ---------------------------------------------------------------------------------------------

export type Expression =
  | IntegerLiteral
  | DurationLiteral
  | StringLiteral
  | BooleanLiteral
  | NameExpression
  | MemberExpression
  | IndexExpression
  | CallExpression
  | UnaryExpression
  | BinaryExpression
  | RangeExpression
  | SetExpression
  | QuantifiedExpression
  | ParenthesizedExpression;

/** Decimal, hexadecimal (`0x`) or binary (`0b`) integer, `_` separators allowed. */
export interface IntegerLiteral {
  readonly kind: "IntegerLiteral";
  readonly span: Span;
  readonly value: bigint;
  /** As written, for the formatter (keeps radix and separators). */
  readonly text: string;
}

export type DurationUnit = "ns" | "us" | "ms" | "s" | "min";

/** An integer immediately followed by a time unit: `30s`, `500ms`. */
export interface DurationLiteral {
  readonly kind: "DurationLiteral";
  readonly span: Span;
  readonly amount: bigint;
  readonly unit: DurationUnit;
  /** The duration in nanoseconds, exact. */
  readonly nanoseconds: bigint;
  readonly text: string;
}

export interface StringLiteral {
  readonly kind: "StringLiteral";
  readonly span: Span;
  /** The decoded value (escapes resolved). */
  readonly value: string;
  readonly text: string;
}

/** `true` or `false` (soft keywords: they lower to this node only in expression position). */
export interface BooleanLiteral {
  readonly kind: "BooleanLiteral";
  readonly span: Span;
  readonly value: boolean;
}

/** A bare name: a constant, field, enum member, role, state, store key, bound variable or builtin. */
export interface NameExpression {
  readonly kind: "NameExpression";
  readonly span: Span;
  readonly name: Identifier;
}

/** `object.member`, e.g. `request.seg`, `backend.feature-discard`, `Operation.read`. */
export interface MemberExpression {
  readonly kind: "MemberExpression";
  readonly span: Span;
  readonly object: Expression;
  readonly member: Identifier;
}

/** `object[index]`. */
export interface IndexExpression {
  readonly kind: "IndexExpression";
  readonly span: Span;
  readonly object: Expression;
  readonly index: Expression;
}

/** `callee(arguments)`: builtin predicates such as `granted(g, backend)` or `sum(xs.size)`. */
export interface CallExpression {
  readonly kind: "CallExpression";
  readonly span: Span;
  readonly callee: Identifier;
  readonly arguments: readonly Expression[];
}

export type UnaryOperator = "-" | "~" | "!";

export interface UnaryExpression {
  readonly kind: "UnaryExpression";
  readonly span: Span;
  readonly operator: UnaryOperator;
  readonly operand: Expression;
}

/** Binary operators from lowest to highest precedence group; see docs/language.md §3. */
export type BinaryOperator =
  | "==>"
  | "||"
  | "&&"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "in"
  | "|"
  | "^"
  | "&"
  | "<<"
  | ">>"
  | "+"
  | "-"
  | "*"
  | "/"
  | "%";

export interface BinaryExpression {
  readonly kind: "BinaryExpression";
  readonly span: Span;
  readonly operator: BinaryOperator;
  readonly left: Expression;
  readonly right: Expression;
}

/** `start .. end` (half-open) or `start ..= end` (inclusive). */
export interface RangeExpression {
  readonly kind: "RangeExpression";
  readonly span: Span;
  readonly start: Expression;
  readonly end: Expression;
  readonly inclusive: boolean;
}

/** `{a, b, c}`: a finite set, used on the right of `in`. */
export interface SetExpression {
  readonly kind: "SetExpression";
  readonly span: Span;
  readonly elements: readonly Expression[];
}

/** `forall i in 0 .. n: body` / `exists i in 0 .. n: body`; the range is always bounded. */
export interface QuantifiedExpression {
  readonly kind: "QuantifiedExpression";
  readonly span: Span;
  readonly quantifier: "forall" | "exists";
  readonly variable: Identifier;
  readonly range: RangeExpression;
  readonly body: Expression;
}

/** Kept so that a formatter reproduces the user's parentheses. */
export interface ParenthesizedExpression {
  readonly kind: "ParenthesizedExpression";
  readonly span: Span;
  readonly expression: Expression;
}

// ---------------------------------------------------------------------------------------------
// Types of fields and store keys
// ---------------------------------------------------------------------------------------------

export type TypeExpression = PrimitiveType | NamedType | ArrayType | PaddingType;

/** The built-in type names; any other name is a NamedType resolved by the semantic phase. */
export type PrimitiveTypeName =
  | "u8"
  | "u16"
  | "u32"
  | "u64"
  | "i8"
  | "i16"
  | "i32"
  | "i64"
  | "bool"
  | "char"
  | "grant"
  | "evtchn"
  | "string"
  | "abi";

export interface PrimitiveType {
  readonly kind: "PrimitiveType";
  readonly span: Span;
  readonly name: PrimitiveTypeName;
}

/** A reference to an enum or struct declared in this protocol (or an imported one). */
export interface NamedType {
  readonly kind: "NamedType";
  readonly span: Span;
  readonly name: QualifiedName;
}

/**
 * `element[capacity]`, optionally `count lengthField`: a fixed array whose live length is
 * another field of the same struct (elements past it are unused).
 */
export interface ArrayType {
  readonly kind: "ArrayType";
  readonly span: Span;
  readonly element: TypeExpression;
  readonly capacity: Expression;
  readonly countField: Identifier | undefined;
}

/** `pad[n]`: n bytes of explicit padding that must be zero on the wire. */
export interface PaddingType {
  readonly kind: "PaddingType";
  readonly span: Span;
  readonly bytes: Expression;
}

// ---------------------------------------------------------------------------------------------
// The file and its top-level declarations
// ---------------------------------------------------------------------------------------------

export interface SourceFileAst {
  readonly kind: "SourceFile";
  readonly span: Span;
  /** The path as the user named it (same as every span's `file`). */
  readonly file: string;
  readonly imports: readonly ImportDeclaration[];
  readonly declarations: readonly TopLevelDeclaration[];
  /** All comments, in source order. */
  readonly comments: readonly Comment[];
}

export type TopLevelDeclaration = ProtocolDeclaration | ResourceDeclaration | PolicyDeclaration;

/** `import "relative/path.proto-desc";` */
export interface ImportDeclaration {
  readonly kind: "ImportDeclaration";
  readonly span: Span;
  readonly path: StringLiteral;
}

/** `protocol NAME version N { ... }` */
export interface ProtocolDeclaration {
  readonly kind: "ProtocolDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly version: IntegerLiteral;
  readonly members: readonly ProtocolMember[];
}

export type ProtocolMember =
  | RolesDeclaration
  | AbiDeclaration
  | ConstDeclaration
  | EnumDeclaration
  | StructDeclaration
  | RingDeclaration
  | StreamDeclaration
  | PacketDeclaration
  | StoreDeclaration
  | LifecycleDeclaration
  | ExchangeDeclaration
  | GuaranteeDeclaration;

/** `roles frontend, backend;` */
export interface RolesDeclaration {
  readonly kind: "RolesDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly roles: readonly Identifier[];
}

/**
 * `abi x86_64 = "x86_64-abi", x86_32 = "x86_32-abi", arm = "arm-abi" selected by frontend.protocol;`
 * The target ABIs this protocol supports, the store value naming each, and the key choosing one.
 */
export interface AbiDeclaration {
  readonly kind: "AbiDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly entries: readonly AbiEntry[];
  readonly selector: QualifiedName | undefined;
}

export interface AbiEntry {
  readonly kind: "AbiEntry";
  readonly span: Span;
  readonly abi: Identifier;
  readonly storeValue: StringLiteral | undefined;
}

/** `const NAME = expr;` or `const NAME: type = expr;` */
export interface ConstDeclaration {
  readonly kind: "ConstDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly type: TypeExpression | undefined;
  readonly value: Expression;
}

/** `enum NAME : base { member = value, ... }`; `flags enum` members are bit masks. */
export interface EnumDeclaration {
  readonly kind: "EnumDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly isFlags: boolean;
  readonly name: Identifier;
  readonly baseType: TypeExpression;
  readonly members: readonly EnumMember[];
}

export interface EnumMember {
  readonly kind: "EnumMember";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly value: Expression;
}

/**
 * `struct NAME { ... }` or `message NAME from ROLE { ... }`: a C-layout record. A message is a
 * struct that travels on a channel and names the role that sends it.
 */
export interface StructDeclaration {
  readonly kind: "StructDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly isMessage: boolean;
  readonly name: Identifier;
  /** Only for messages: the sending role. */
  readonly sender: Identifier | undefined;
  readonly members: readonly StructMember[];
}

export type StructMember = FieldDeclaration | SwitchDeclaration | WhereClause;

/** `name: type;` */
export interface FieldDeclaration {
  readonly kind: "FieldDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly type: TypeExpression;
  /** `on x86_32, ...`: the member exists only on these ABIs; absent means on every ABI. */
  readonly abiRestriction?: AbiRestriction | undefined;
}

/** `on abi, abi`: the ABIs a struct member is limited to, as written (checked by semantics). */
export interface AbiRestriction {
  readonly kind: "AbiRestriction";
  readonly span: Span;
  readonly abis: readonly Identifier[];
}

/**
 * `switch discriminant { case a, b { fields } ... default { fields } }`: a union selected by an
 * earlier field. Each case's fields continue the record's layout at the current offset.
 */
export interface SwitchDeclaration {
  readonly kind: "SwitchDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly discriminant: Identifier;
  readonly cases: readonly SwitchCase[];
}

export interface SwitchCase {
  readonly kind: "SwitchCase";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  /** Discriminant values (enum members or constant expressions); empty for `default`. */
  readonly labels: readonly Expression[];
  readonly isDefault: boolean;
  readonly members: readonly StructMember[];
}

/** `where expr;` or `where label: expr;` — a constraint every valid value satisfies. */
export interface WhereClause {
  readonly kind: "WhereClause";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly label: Identifier | undefined;
  readonly condition: Expression;
}

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

/** `ring NAME { request T; response T; order 0 ..= 4; }`: a Xen request/response shared ring. */
export interface RingDeclaration {
  readonly kind: "RingDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly members: readonly RingMember[];
}

export type RingMember = RingMessageMember | RingOrderMember;

/** `request TYPE;` or `response TYPE;` (the producer role is the message's `from`). */
export interface RingMessageMember {
  readonly kind: "RingMessageMember";
  readonly span: Span;
  readonly direction: "request" | "response";
  readonly messageType: QualifiedName;
}

/** `order RANGE;` — the page-order range (ring bytes = 4096 << order). */
export interface RingOrderMember {
  readonly kind: "RingOrderMember";
  readonly span: Span;
  readonly range: Expression;
}

/**
 * `stream NAME on LAYOUT { direction ... }`: a console-style byte-stream ring described by a
 * struct that holds its buffers and free-running indices.
 */
export interface StreamDeclaration {
  readonly kind: "StreamDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly layout: QualifiedName;
  readonly directions: readonly StreamDirection[];
}

/** `direction NAME from ROLE { data F; producer F; consumer F; }` */
export interface StreamDirection {
  readonly kind: "StreamDirection";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly writer: Identifier;
  readonly data: Identifier;
  readonly producerIndex: Identifier;
  readonly consumerIndex: Identifier;
}

/**
 * `packet NAME on RING request|response { parts and where clauses }`: one logical unit spread
 * over consecutive slots (netif): a head slot, then groups of repeated slots.
 */
export interface PacketDeclaration {
  readonly kind: "PacketDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly ring: Identifier;
  readonly direction: "request" | "response";
  readonly members: readonly PacketMember[];
}

export type PacketMember = PacketPart | WhereClause;

/**
 * `name: TYPE [repeated] [if start] [while more];` — `if` is checked once before the part
 * (against earlier parts), `while` after each repeated slot (`last` is the newest slot).
 */
export interface PacketPart {
  readonly kind: "PacketPart";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly slotType: QualifiedName;
  readonly repeated: boolean;
  readonly startCondition: Expression | undefined;
  readonly continueCondition: Expression | undefined;
}

// ---------------------------------------------------------------------------------------------
// Store schema
// ---------------------------------------------------------------------------------------------

/** `store ROLE { keys and where clauses }`: the keys ROLE writes under its own directory. */
export interface StoreDeclaration {
  readonly kind: "StoreDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly role: Identifier;
  readonly members: readonly StoreMember[];
}

export type StoreMember = StoreKeyDeclaration | WhereClause;

/**
 * `key-name[range]: type = default optional for channels where constraint enables variants;`
 * Attributes after the type may appear in any order, each at most once.
 */
export interface StoreKeyDeclaration {
  readonly kind: "StoreKeyDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  /** `ring-ref[0 .. n]`: a family of keys `ring-ref0` .. `ring-ref{n-1}`. */
  readonly indexRange: Expression | undefined;
  readonly type: TypeExpression;
  readonly defaultValue: Expression | undefined;
  readonly optional: boolean;
  /** Channels (rings or streams) this key names, e.g. its grant reference or event channel. */
  readonly forChannels: readonly Identifier[];
  /** The constraint on the key's value; the value is called `value` inside it. */
  readonly constraint: Expression | undefined;
  /** Message variants (`Message.caseLabel`) this feature key enables when non-zero. */
  readonly enables: readonly QualifiedName[];
}

// ---------------------------------------------------------------------------------------------
// Lifecycle, exchanges, guarantees
// ---------------------------------------------------------------------------------------------

/** `lifecycle { ROLE { transitions } ... data when expr; }` */
export interface LifecycleDeclaration {
  readonly kind: "LifecycleDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly members: readonly LifecycleMember[];
}

export type LifecycleMember = RoleStateMachine | DataPhaseDeclaration | LifecycleDeadlineDeclaration;

/**
 * `[label:] STATE within DURATION;` — both roles reach STATE within DURATION of the
 * connection's start (the handshake deadline); the label names the clause.
 */
export interface LifecycleDeadlineDeclaration {
  readonly kind: "LifecycleDeadlineDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly label: Identifier | undefined;
  readonly state: Identifier;
  readonly duration: Expression;
}

export interface RoleStateMachine {
  readonly kind: "RoleStateMachine";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly role: Identifier;
  readonly transitions: readonly TransitionDeclaration[];
}

/**
 * `[label:] FROM, FROM -> TO [when guard] [publishes k, k] [reads k, k];` — `*` as the source
 * means any state.
 */
export interface TransitionDeclaration {
  readonly kind: "TransitionDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly label: Identifier | undefined;
  /** Empty when the source is `*` (any state). */
  readonly from: readonly Identifier[];
  readonly fromAnyState: boolean;
  readonly to: Identifier;
  readonly guard: Expression | undefined;
  readonly publishes: readonly Identifier[];
  readonly reads: readonly QualifiedName[];
}

/** `data when expr;` — the condition under which channels may carry traffic. */
export interface DataPhaseDeclaration {
  readonly kind: "DataPhaseDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly condition: Expression;
}

/** `exchange CHANNEL: Request -> Response { correlate ...; exactly once; deadline 30s; ... }` */
export interface ExchangeDeclaration {
  readonly kind: "ExchangeDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly channel: Identifier;
  readonly requestType: QualifiedName;
  readonly responseType: QualifiedName;
  readonly members: readonly ExchangeMember[];
}

export type ExchangeMember =
  | CorrelateMember
  | ExactlyOnceMember
  | OrderingMember
  | DeadlineMember
  | OutstandingMember
  | ProgressMember;

/** `progress within 10s;` — while requests are outstanding, the responder answers one within this time. */
export interface ProgressMember {
  readonly kind: "ProgressMember";
  readonly span: Span;
  readonly window: Expression;
}

/** `correlate response.id == request.id;` (`request` and `response` are bound). */
export interface CorrelateMember {
  readonly kind: "CorrelateMember";
  readonly span: Span;
  readonly condition: Expression;
}

/** `exactly once;` — every request gets exactly one response. */
export interface ExactlyOnceMember {
  readonly kind: "ExactlyOnceMember";
  readonly span: Span;
}

/** `ordered;` (responses in request order) or `unordered;`. */
export interface OrderingMember {
  readonly kind: "OrderingMember";
  readonly span: Span;
  readonly ordered: boolean;
}

/** `deadline 30s;` — the response must follow within this time. */
export interface DeadlineMember {
  readonly kind: "DeadlineMember";
  readonly span: Span;
  readonly duration: Expression;
}

/** `outstanding at most expr;` — bound on unanswered requests. */
export interface OutstandingMember {
  readonly kind: "OutstandingMember";
  readonly span: Span;
  readonly limit: Expression;
}

/**
 * `guarantee ID by ROLE [on binder: Type, ...] { statements }` — a named clause owned by ROLE;
 * ID is the stable identifier used in blame records.
 */
export interface GuaranteeDeclaration {
  readonly kind: "GuaranteeDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly id: Identifier;
  readonly owner: Identifier;
  readonly subjects: readonly GuaranteeSubject[];
  readonly statements: readonly GuaranteeStatement[];
}

/** `request: Request` — binds a name to each observed value of a message, channel or other subject. */
export interface GuaranteeSubject {
  readonly kind: "GuaranteeSubject";
  readonly span: Span;
  readonly binder: Identifier;
  readonly subjectType: QualifiedName;
}

export type GuaranteeStatement =
  | InvariantStatement
  | UntilStatement
  | WithinStatement
  | RateStatement;

/** `expr;` — holds whenever the subject is observed. */
export interface InvariantStatement {
  readonly kind: "InvariantStatement";
  readonly span: Span;
  readonly condition: Expression;
}

/** `expr until event;` — holds from the subject's appearance until the event happens. */
export interface UntilStatement {
  readonly kind: "UntilStatement";
  readonly span: Span;
  readonly condition: Expression;
  readonly event: Expression;
}

/** `event within duration;` — the event happens no later than this after the subject. */
export interface WithinStatement {
  readonly kind: "WithinStatement";
  readonly span: Span;
  readonly event: Expression;
  readonly deadline: Expression;
}

/** `at most N event per duration;` — a rate or budget bound. */
export interface RateStatement {
  readonly kind: "RateStatement";
  readonly span: Span;
  readonly limit: Expression;
  readonly event: Expression;
  readonly window: Expression;
}

// ---------------------------------------------------------------------------------------------
// Resource classes and policies
// ---------------------------------------------------------------------------------------------

/** `resource NAME { protocol P; provider ROLE; consumer ROLE; path ROLE "..."; labels ...; limit ...; }` */
export interface ResourceDeclaration {
  readonly kind: "ResourceDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly members: readonly ResourceMember[];
}

export type ResourceMember =
  | ResourceProtocolMember
  | ResourceRoleMember
  | ResourcePathMember
  | ResourceLabelsMember
  | ResourceLimitMember;

/** `protocol blkif;` or `protocol blkif version 1;` */
export interface ResourceProtocolMember {
  readonly kind: "ResourceProtocolMember";
  readonly span: Span;
  readonly protocol: Identifier;
  readonly version: IntegerLiteral | undefined;
}

/** `provider backend;` / `consumer frontend;` */
export interface ResourceRoleMember {
  readonly kind: "ResourceRoleMember";
  readonly span: Span;
  readonly side: "provider" | "consumer";
  readonly role: Identifier;
}

/** `path frontend "device/vbd/{id}";` — the role's store directory; `{name}` are placeholders. */
export interface ResourcePathMember {
  readonly kind: "ResourcePathMember";
  readonly span: Span;
  readonly role: Identifier;
  readonly template: StringLiteral;
}

/** `labels disk, storage;` — types (labels) carried by resources of this class. */
export interface ResourceLabelsMember {
  readonly kind: "ResourceLabelsMember";
  readonly span: Span;
  readonly labels: readonly Identifier[];
}

/** `limit 16 per domain;` */
export interface ResourceLimitMember {
  readonly kind: "ResourceLimitMember";
  readonly span: Span;
  readonly limit: Expression;
  readonly scope: Identifier;
}

/** `policy NAME { roles, principals, labels, enforcement, conflict sets, colour groups }` */
export interface PolicyDeclaration {
  readonly kind: "PolicyDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly members: readonly PolicyMember[];
}

export type PolicyMember =
  | PolicyRoleDeclaration
  | PrincipalDeclaration
  | ResourceLabelDeclaration
  | EnforceDeclaration
  | ConflictSetDeclaration
  | ColourGroupDeclaration;

/** `role NAME { PERMISSION class, class; ... }` — an RBAC role and what it may do. */
export interface PolicyRoleDeclaration {
  readonly kind: "PolicyRoleDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly permissions: readonly PermissionDeclaration[];
}

/** `provide vbd, vif;` — a permission (provide, consume, ...) on resource classes. */
export interface PermissionDeclaration {
  readonly kind: "PermissionDeclaration";
  readonly span: Span;
  readonly permission: Identifier;
  readonly resourceClasses: readonly Identifier[];
}

/**
 * `principal NAME [matches "pattern"] [roles r, r] [types t, t] [privileged];` — a domain (or
 * a family of domains by name pattern), its RBAC roles and its type-enforcement labels.
 */
export interface PrincipalDeclaration {
  readonly kind: "PrincipalDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly pattern: StringLiteral | undefined;
  readonly roles: readonly Identifier[];
  readonly types: readonly Identifier[];
  readonly privileged: boolean;
}

/** `label CLASS types t, t;` — types attached to every resource of a class under this policy. */
export interface ResourceLabelDeclaration {
  readonly kind: "ResourceLabelDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly resourceClass: Identifier;
  readonly types: readonly Identifier[];
}

/** `enforce rbac, types, chinese-wall, colours;` — which mandatory checks are on. */
export interface EnforceDeclaration {
  readonly kind: "EnforceDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly mechanisms: readonly Identifier[];
}

/** `conflict NAME { t, t }` — a Chinese-wall conflict set of types. */
export interface ConflictSetDeclaration {
  readonly kind: "ConflictSetDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly types: readonly Identifier[];
}

/** `colour NAME { t, t }` — a colour group: domains of one colour share only with that colour. */
export interface ColourGroupDeclaration {
  readonly kind: "ColourGroupDeclaration";
  readonly span: Span;
  readonly doc: DocComment | undefined;
  readonly name: Identifier;
  readonly types: readonly Identifier[];
}

/** Every node kind, for exhaustive visitors and AST dumps. */
export type AstNode =
  | SourceFileAst
  | ImportDeclaration
  | TopLevelDeclaration
  | ProtocolMember
  | Identifier
  | QualifiedName
  | Comment
  | DocComment
  | Expression
  | TypeExpression
  | AbiEntry
  | EnumMember
  | StructMember
  | SwitchCase
  | RingMember
  | StreamDirection
  | PacketMember
  | StoreMember
  | LifecycleMember
  | TransitionDeclaration
  | ExchangeMember
  | GuaranteeSubject
  | GuaranteeStatement
  | ResourceMember
  | PolicyMember
  | PermissionDeclaration;

/** Exhaustiveness helper for `switch (node.kind)`. */
export function assertNever(value: never): never {
  throw new Error(`unexpected AST node: ${JSON.stringify(value)}`);
}
