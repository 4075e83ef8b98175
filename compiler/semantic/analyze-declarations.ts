// The first steps of analysing a protocol: its roles, its namespace of named declarations
// (duplicates reported), its ABIs, its constants (folded lazily so order does not matter and
// cycles are found) and its enums (values folded and checked against the base type).
import type { ConstDeclaration, EnumDeclaration, Identifier, TypeExpression } from "../syntax/ast.js";
import type { DiagnosticSink } from "./diagnostic-sink.js";
import { ConstantFolder, type FoldedValue } from "./fold-constants.js";
import { allTargetAbis, isScalarTypeName, scalarValueRange, type ScalarTypeName, type TargetAbi } from "./layout-abi.js";
import type { AbiModel, EnumMemberModel } from "./model.js";
import { describeDeclarationKind, type NamedDeclaration, type ProtocolContext } from "./protocol-context.js";
import { didYouMean } from "./suggest-names.js";

export function collectRoles(context: ProtocolContext): void {
  const rolesMembers = context.protocol.members.filter((member) => member.kind === "RolesDeclaration");
  for (const member of rolesMembers.slice(1)) {
    context.sink.report("PD2006", member.span, "a protocol declares its roles in one `roles` member", {
      related: [{ span: rolesMembers[0]?.span ?? member.span, message: "the first `roles` member is here" }],
    });
  }
  const first = rolesMembers[0];
  if (first === undefined) {
    // A protocol of only constants, enums and structs is a library of types and needs no roles.
    const needsRoles = context.protocol.members.find((member) =>
      (member.kind === "StructDeclaration" && member.isMessage) || member.kind === "RingDeclaration" || member.kind === "StreamDeclaration" ||
      member.kind === "StoreDeclaration" || member.kind === "LifecycleDeclaration" || member.kind === "GuaranteeDeclaration");
    if (needsRoles !== undefined) {
      context.sink.report("PD2006", context.protocol.name.span, `protocol ${context.name} declares no roles; add e.g. \`roles frontend, backend;\``, {
        related: [{ span: needsRoles.span, message: "this member needs roles" }],
      });
    }
    return;
  }
  for (const role of first.roles) {
    const existing = context.roles.get(role.text);
    if (existing !== undefined) {
      context.sink.report("PD2002", role.span, `role '${role.text}' is declared twice`, { related: [{ span: existing.span, message: "first declared here" }] });
      continue;
    }
    context.roles.set(role.text, { name: role.text, span: role.span });
  }
  if (context.roles.size !== 2) {
    context.sink.report("PD2006", first.span, `a protocol has exactly two roles (a frontend and a backend), but ${context.name} declares ${context.roles.size}`);
  }
}

export function collectNamedDeclarations(context: ProtocolContext): void {
  for (const member of context.protocol.members) {
    if (
      member.kind !== "ConstDeclaration" && member.kind !== "EnumDeclaration" && member.kind !== "StructDeclaration" &&
      member.kind !== "RingDeclaration" && member.kind !== "StreamDeclaration" && member.kind !== "PacketDeclaration"
    ) continue;
    const declaration: NamedDeclaration = member;
    const existing = context.declarations.get(declaration.name.text);
    if (existing !== undefined) {
      context.sink.report("PD2002", declaration.name.span, `'${declaration.name.text}' is already declared in protocol ${context.name} (as a ${describeDeclarationKind(existing)})`, {
        related: [{ span: existing.name.span, message: "first declared here" }],
      });
      continue;
    }
    if (isScalarTypeName(declaration.name.text)) {
      context.sink.report("PD2002", declaration.name.span, `'${declaration.name.text}' is a built-in type name and cannot be redeclared`);
      continue;
    }
    context.declarations.set(declaration.name.text, declaration);
  }
}

export function collectAbis(context: ProtocolContext): void {
  const abiMembers = context.protocol.members.filter((member) => member.kind === "AbiDeclaration");
  for (const extra of abiMembers.slice(1)) context.sink.report("PD2039", extra.span, "a protocol has at most one `abi` member");
  const declaration = abiMembers[0];
  if (declaration === undefined) return;
  const abis: AbiModel[] = [];
  for (const entry of declaration.entries) {
    const name = entry.abi.text;
    if (!(allTargetAbis as readonly string[]).includes(name)) {
      context.sink.report("PD2039", entry.abi.span, `unknown ABI '${name}'; the ABIs are ${allTargetAbis.join(", ")}${didYouMean(name, allTargetAbis)}`);
      continue;
    }
    if (abis.some((known) => known.abi === name)) {
      context.sink.report("PD2039", entry.abi.span, `ABI '${name}' is listed twice`);
      continue;
    }
    abis.push({ abi: name as TargetAbi, storeValue: entry.storeValue?.value });
  }
  context.abis = abis;
  const selector = declaration.selector;
  if (selector !== undefined) {
    const [roleName, keyName, ...rest] = selector.parts;
    if (roleName === undefined || keyName === undefined || rest.length > 0) {
      context.sink.report("PD2036", selector.span, "the ABI selector is a store key written as `role.key`");
      return;
    }
    const role = context.requireRole(roleName, "the ABI selector's role");
    if (role !== undefined) context.abiSelector = { role, key: keyName.text };
  }
}

/** The folder bound to this protocol's constants and enums. */
export function constantFolderFor(context: ProtocolContext, sink: DiagnosticSink = context.sink, localValues?: ReadonlyMap<string, bigint>): ConstantFolder {
  const describeUnknown = (name: Identifier): string => {
    const candidates = [...context.declarations.entries()].filter(([, declaration]) => declaration.kind === "ConstDeclaration").map(([name]) => name);
    return `unknown constant '${name.text}'${didYouMean(name.text, candidates)}`;
  };
  const folder: ConstantFolder = new ConstantFolder(
    sink,
    {
      resolveName: (name) => {
        // Inside an enum, earlier members are in scope by their bare names, as in C.
        const local = localValues?.get(name.text);
        if (local !== undefined) return { kind: "integer", value: local };
        const declaration = context.declarations.get(name.text);
        if (declaration === undefined) return "unknown";
        if (declaration.kind !== "ConstDeclaration") return "not-constant";
        return foldConstantDeclaration(context, declaration, name) ?? "failed";
      },
      resolveMember: (objectName, member) => {
        const declaration = context.declarations.get(objectName.text);
        if (declaration === undefined) return "unknown";
        if (declaration.kind !== "EnumDeclaration") return "not-constant";
        const enumModel = analyzeEnum(context, declaration);
        if (enumModel === undefined) return "failed";
        const found = enumModel.members.find((candidate) => candidate.name === member.text);
        if (found === undefined) {
          sink.report("PD2032", member.span, `enum ${declaration.name.text} has no member '${member.text}'${didYouMean(member.text, enumModel.members.map((entry) => entry.name))}`);
          return "failed";
        }
        return { kind: "integer", value: found.value };
      },
    },
    describeUnknown,
  );
  return folder;
}

function foldConstantDeclaration(context: ProtocolContext, declaration: ConstDeclaration, usedAt: Identifier | undefined): FoldedValue | undefined {
  const name = declaration.name.text;
  const state = context.constantValues.get(name);
  if (state === "in-progress") {
    context.sink.report("PD2013", usedAt?.span ?? declaration.name.span, `constant '${name}' is defined in terms of itself`, {
      related: [{ span: declaration.name.span, message: `'${name}' is declared here` }],
    });
    context.constantValues.set(name, "failed");
    return undefined;
  }
  if (state === "failed") return undefined;
  if (state !== undefined) return state;
  context.constantValues.set(name, "in-progress");
  const folded = constantFolderFor(context).fold(declaration.value);
  if (context.constantValues.get(name) === "failed" || folded === undefined) {
    context.constantValues.set(name, "failed");
    return undefined;
  }
  const declaredType = declaration.type === undefined ? undefined : scalarOfType(declaration.type);
  if (declaration.type !== undefined) {
    if (declaredType === undefined) {
      context.sink.report("PD2036", declaration.type.span, "a constant's declared type must be an integer type");
    } else if (folded.kind === "integer") {
      const range = scalarValueRange(declaredType);
      if (folded.value < range.min || folded.value > range.max) {
        context.sink.report("PD2010", declaration.value.span, `value ${folded.value} does not fit the declared type ${declaredType} (${range.min} .. ${range.max})`);
        context.constantValues.set(name, "failed");
        return undefined;
      }
    }
  }
  context.constantValues.set(name, folded);
  return folded;
}

export function scalarOfType(type: TypeExpression): ScalarTypeName | undefined {
  if (type.kind !== "PrimitiveType") return undefined;
  return isScalarTypeName(type.name) ? type.name : undefined;
}

export function foldAllConstants(context: ProtocolContext): void {
  for (const declaration of context.declarations.values()) {
    if (declaration.kind === "ConstDeclaration") foldConstantDeclaration(context, declaration, undefined);
  }
}

/** Folds and checks one enum (memoised in the context); undefined when its base type is unusable. */
export function analyzeEnum(context: ProtocolContext, declaration: EnumDeclaration): import("./model.js").EnumModel | undefined {
  const existing = context.enumModels.get(declaration.name.text);
  if (existing !== undefined) return existing;
  const base = scalarOfType(declaration.baseType);
  if (base === undefined || base === "grant" || base === "evtchn" || base === "char" || base === "bool") {
    context.sink.report("PD2021", declaration.baseType.span, `the base type of enum ${declaration.name.text} must be one of u8..u64, i8..i64`);
    return undefined;
  }
  // Placeholder so that a member referring to its own enum does not recurse forever.
  const model = { name: declaration.name.text, span: declaration.name.span, isFlags: declaration.isFlags, baseType: base, members: [] as EnumMemberModel[], doc: declaration.doc?.text };
  context.enumModels.set(declaration.name.text, model);
  const range = scalarValueRange(base);
  const byValue = new Map<bigint, string>();
  const earlierMembers = new Map<string, bigint>();
  const folder = constantFolderFor(context, context.sink, earlierMembers);
  for (const member of declaration.members) {
    if (model.members.some((known) => known.name === member.name.text)) {
      context.sink.report("PD2002", member.name.span, `enum ${declaration.name.text} already has a member '${member.name.text}'`);
      continue;
    }
    const folded = folder.fold(member.value);
    if (folded === undefined) continue;
    if (folded.kind !== "integer") {
      context.sink.report("PD2030", member.value.span, "an enum member's value must be an integer, not a duration");
      continue;
    }
    if (folded.value < range.min || folded.value > range.max) {
      context.sink.report("PD2020", member.value.span, `value ${folded.value} of ${declaration.name.text}.${member.name.text} does not fit the base type ${base} (${range.min} .. ${range.max})`);
      continue;
    }
    const clash = byValue.get(folded.value);
    if (clash !== undefined && !declaration.isFlags) {
      context.sink.report("PD2022", member.value.span, `${declaration.name.text}.${member.name.text} has the same value ${folded.value} as ${declaration.name.text}.${clash}`);
      continue;
    }
    if (declaration.isFlags && folded.value < 0n) {
      context.sink.report("PD2023", member.value.span, `flag ${declaration.name.text}.${member.name.text} is negative; flags are bit masks`);
    }
    byValue.set(folded.value, member.name.text);
    earlierMembers.set(member.name.text, folded.value);
    model.members.push({ name: member.name.text, value: folded.value, span: member.name.span, doc: member.doc?.text });
  }
  return model;
}

export function analyzeAllEnums(context: ProtocolContext): void {
  for (const declaration of context.declarations.values()) {
    if (declaration.kind === "EnumDeclaration") analyzeEnum(context, declaration);
  }
}
