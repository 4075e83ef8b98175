// What the analysis of one protocol knows while it runs: its declarations by name, the
// results computed so far, and the shared diagnostic sink and expression-type table. Analysis
// steps read and fill it in order; the finished model is built from it at the end.
import type { Span } from "../diagnostics/diagnostic.js";
import type {
  ConstDeclaration,
  EnumDeclaration,
  Expression,
  Identifier,
  PacketDeclaration,
  ProtocolDeclaration,
  RingDeclaration,
  StoreDeclaration,
  StreamDeclaration,
  StructDeclaration,
} from "../syntax/ast.js";
import type { DiagnosticSink } from "./diagnostic-sink.js";
import type { FoldedValue } from "./fold-constants.js";
import type { TargetAbi } from "./layout-abi.js";
import type { RecordShape } from "./layout.js";
import type {
  AbiModel,
  EnumModel,
  PacketModel,
  RecordModel,
  RingModel,
  RoleModel,
  StoreKeyModel,
  StoreRoleModel,
  StreamModel,
} from "./model.js";
import type { ValueType } from "./value-types.js";

/** Declarations that share the protocol's one namespace of type-level names. */
export type NamedDeclaration = ConstDeclaration | EnumDeclaration | StructDeclaration | RingDeclaration | StreamDeclaration | PacketDeclaration;

export function describeDeclarationKind(declaration: NamedDeclaration): string {
  switch (declaration.kind) {
    case "ConstDeclaration": return "constant";
    case "EnumDeclaration": return "enum";
    case "StructDeclaration": return declaration.isMessage ? "message" : "struct";
    case "RingDeclaration": return "ring";
    case "StreamDeclaration": return "stream";
    case "PacketDeclaration": return "packet";
  }
}

export interface FieldFacts {
  readonly type: ValueType;
  /** Largest value the field can take, when declared (array count fields, `where f <= N`). */
  readonly upperBound: number | undefined;
}

export class ProtocolContext {
  readonly roles = new Map<string, RoleModel>();
  readonly declarations = new Map<string, NamedDeclaration>();
  abis: readonly AbiModel[] = [];
  abiSelector: { readonly role: string; readonly key: string } | undefined;

  readonly constantValues = new Map<string, FoldedValue | "failed" | "in-progress">();
  readonly enumModels = new Map<string, EnumModel>();
  readonly recordShapes = new Map<string, RecordShape | "failed" | "in-progress">();
  readonly recordModels = new Map<string, RecordModel>();
  /** Per record: every field (all variants) with its expression type and declared bound. */
  readonly recordFields = new Map<string, Map<string, FieldFacts>>();
  readonly ringModels = new Map<string, RingModel>();
  readonly streamModels = new Map<string, StreamModel>();
  readonly packetModels = new Map<string, PacketModel>();
  readonly storeDeclarations = new Map<string, StoreDeclaration>();
  readonly storeKeys = new Map<string, Map<string, StoreKeyModel>>();
  readonly storeModels: StoreRoleModel[] = [];

  constructor(
    readonly protocol: ProtocolDeclaration,
    readonly file: string,
    readonly sink: DiagnosticSink,
    readonly expressionTypes: Map<Expression, ValueType>,
  ) {}

  get name(): string {
    return this.protocol.name.text;
  }

  /** The ABIs to lay out for: the declared ones, or all three. */
  get targetAbis(): readonly TargetAbi[] {
    return this.abis.length > 0 ? this.abis.map((entry) => entry.abi) : ["x86_64", "x86_32", "arm"];
  }

  roleNames(): string[] {
    return [...this.roles.keys()];
  }

  /** The other role of a two-role protocol. */
  peerOf(role: string): string | undefined {
    return this.roleNames().find((name) => name !== role);
  }

  /** Checks that `identifier` names a declared role; reports PD2005 with a suggestion otherwise. */
  requireRole(identifier: Identifier, what: string): string | undefined {
    if (this.roles.has(identifier.text)) return identifier.text;
    const suggestion = this.roleNames().length > 0 ? ` (declared roles: ${this.roleNames().join(", ")})` : " (the protocol declares no roles)";
    this.sink.report("PD2005", identifier.span, `${what} '${identifier.text}' is not a role of protocol ${this.name}${suggestion}`);
    return undefined;
  }

  /** A role's store key by name: a single key, or else a key family of that base name. */
  findStoreKey(role: string, name: string): StoreKeyModel | undefined {
    const keys = this.storeKeys.get(role);
    return keys?.get(name) ?? keys?.get(`${name}[]`);
  }

  /** Every key name of a role, for suggestions. */
  storeKeyNames(role: string): string[] {
    return [...(this.storeKeys.get(role)?.values() ?? [])].map((key) => key.name);
  }

  declarationSpan(name: string): Span | undefined {
    return this.declarations.get(name)?.name.span;
  }
}
