// The store schema: the keys each role writes, their value types, defaults, constraints, the
// channels they name and the message variants they enable; plus bounds that other checks use
// (a ring's page order bounded by a key's constraint).
import type { Expression, StoreDeclaration, StoreKeyDeclaration } from "../syntax/ast.js";
import { analyzeEnum } from "./analyze-declarations.js";
import { storeKeyUpperBound } from "./store-key-bound.js";
import { areComparable, describeValueType } from "./value-types.js";
import { createScope, ExpressionChecker, storeKeyValueType, type ScopeEntry } from "./check-expressions.js";
import { isScalarTypeName } from "./layout-abi.js";
import type { ConstraintModel, StoreKeyModel, StoreValueTypeModel } from "./model.js";
import type { ProtocolContext } from "./protocol-context.js";
import { didYouMean } from "./suggest-names.js";

function resolveStoreValueType(context: ProtocolContext, key: StoreKeyDeclaration): StoreValueTypeModel | undefined {
  const type = key.type;
  if (type.kind === "PrimitiveType") {
    if (type.name === "string") return { kind: "string" };
    if (type.name === "abi") return { kind: "abi" };
    if (isScalarTypeName(type.name)) return { kind: "scalar", scalar: type.name };
    return undefined;
  }
  if (type.kind === "NamedType" && type.name.parts.length === 1) {
    const name = type.name.parts[0]?.text ?? "";
    const declaration = context.declarations.get(name);
    if (declaration?.kind === "EnumDeclaration") {
      const enumModel = analyzeEnum(context, declaration);
      return enumModel === undefined ? undefined : { kind: "enum", enumName: enumModel.name, scalar: enumModel.baseType };
    }
    if (declaration === undefined) {
      const enums = [...context.declarations.values()].filter((entry) => entry.kind === "EnumDeclaration").map((entry) => entry.name.text);
      context.sink.report("PD2001", type.span, `unknown type '${name}'${didYouMean(name, enums)}`);
      return undefined;
    }
  }
  context.sink.report("PD2036", type.span, "a store key holds an integer, bool, grant, evtchn, enum, string or abi value");
  return undefined;
}

/** First pass: declare every role's keys so constraints can refer to the peer's keys. */
export function collectStoreKeys(context: ProtocolContext): void {
  for (const member of context.protocol.members) {
    if (member.kind !== "StoreDeclaration") continue;
    const role = context.requireRole(member.role, "the store's role");
    if (role === undefined) continue;
    const previous = context.storeDeclarations.get(role);
    if (previous !== undefined) {
      context.sink.report("PD2002", member.role.span, `role ${role} already has a store schema`, { related: [{ span: previous.role.span, message: "first store schema" }] });
      continue;
    }
    context.storeDeclarations.set(role, member);
    const keys = new Map<string, StoreKeyModel>();
    context.storeKeys.set(role, keys);
    for (const entry of member.members) {
      if (entry.kind !== "StoreKeyDeclaration") continue;
      // A key family (`ring-ref[0 .. n]`, keys ring-ref0 ..) and a single key may share a base name.
      const keyName = entry.indexRange === undefined ? entry.name.text : `${entry.name.text}[]`;
      const existing = keys.get(keyName);
      if (existing !== undefined) {
        context.sink.report("PD2002", entry.name.span, `role ${role} already declares store key '${entry.name.text}'`, { related: [{ span: existing.span, message: "first declared here" }] });
        continue;
      }
      const type = resolveStoreValueType(context, entry);
      if (type === undefined) continue;
      keys.set(keyName, {
        name: entry.name.text,
        span: entry.name.span,
        type,
        optional: entry.optional,
        defaultValue: entry.defaultValue,
        familyRange: entry.indexRange,
        forChannels: entry.forChannels.map((channel) => channel.text),
        constraint: entry.constraint,
        enables: entry.enables.map((name) => ({ message: name.parts[0]?.text ?? "", caseLabel: name.parts[1]?.text ?? "" })),
        doc: entry.doc?.text,
      });
    }
  }
}

/** Second pass: type defaults and constraints, check channels and enabled variants. */
export function checkStoreSchemas(context: ProtocolContext): void {
  for (const [role, declaration] of context.storeDeclarations) checkStoreSchema(context, role, declaration);
}

function checkStoreSchema(context: ProtocolContext, role: string, declaration: StoreDeclaration): void {
  const keys = context.storeKeys.get(role) ?? new Map<string, StoreKeyModel>();
  const checker = new ExpressionChecker(context, { allowStates: false });
  const scopeEntries = new Map<string, ScopeEntry>();
  for (const key of keys.values()) {
    const single = keys.get(key.name);
    const chosen = single ?? key;
    scopeEntries.set(key.name, { type: storeKeyValueType(chosen.type), upperBound: storeKeyUpperBound(context, chosen) });
  }
  const roleScope = createScope(scopeEntries);
  const constraints: ConstraintModel[] = [];
  let whereIndex = 0;
  for (const entry of declaration.members) {
    if (entry.kind === "WhereClause") {
      whereIndex++;
      checker.checkCondition(entry.condition, roleScope, "a store constraint");
      constraints.push({ label: entry.label?.text ?? `where_${whereIndex}`, hasExplicitLabel: entry.label !== undefined, span: entry.span, condition: entry.condition });
      continue;
    }
    const key = keys.get(entry.indexRange === undefined ? entry.name.text : `${entry.name.text}[]`);
    if (key === undefined || key.span !== entry.name.span) continue;
    const valueType = storeKeyValueType(key.type);
    if (entry.indexRange !== undefined) checker.check(entry.indexRange, roleScope);
    if (entry.defaultValue !== undefined) {
      const defaultType = checker.check(entry.defaultValue, roleScope);
      if (!areComparable(valueType, defaultType)) {
        context.sink.report("PD2030", entry.defaultValue.span, `the default of '${key.name}' is ${describeValueType(defaultType)}, but the key holds ${describeValueType(valueType)}`);
      }
    }
    if (entry.constraint !== undefined) {
      const scope = createScope(new Map([["value", { type: valueType, upperBound: undefined }]]), roleScope);
      checker.checkCondition(entry.constraint, scope, `the constraint of '${key.name}'`);
    }
    for (const channel of entry.forChannels) {
      const target = context.declarations.get(channel.text);
      if (target === undefined) {
        const channels = [...context.declarations.values()].filter((candidate) => candidate.kind === "RingDeclaration" || candidate.kind === "StreamDeclaration").map((candidate) => candidate.name.text);
        context.sink.report("PD2001", channel.span, `unknown channel '${channel.text}'${didYouMean(channel.text, channels)}`);
      } else if (target.kind !== "RingDeclaration" && target.kind !== "StreamDeclaration") {
        context.sink.report("PD2036", channel.span, `'${channel.text}' is not a ring or stream`);
      }
    }
    for (const enabled of entry.enables) {
      const [messageName, caseName, ...rest] = enabled.parts;
      if (messageName === undefined || caseName === undefined || rest.length > 0) {
        context.sink.report("PD2036", enabled.span, "a feature key enables a message variant written `Message.case`");
        continue;
      }
      const record = context.recordModels.get(messageName.text);
      const packet = context.packetModels.get(messageName.text);
      if (packet !== undefined) {
        const parts = packet.parts.map((part) => part.name);
        if (!parts.includes(caseName.text)) context.sink.report("PD2032", caseName.span, `packet ${packet.name} has no part '${caseName.text}'${didYouMean(caseName.text, parts)}`);
        continue;
      }
      if (record === undefined) {
        const targets = [...context.declarations.values()].filter((candidate) => candidate.kind === "StructDeclaration" || candidate.kind === "PacketDeclaration").map((candidate) => candidate.name.text);
        if (!context.declarations.has(messageName.text)) context.sink.report("PD2001", messageName.span, `unknown message '${messageName.text}'${didYouMean(messageName.text, targets)}`);
        continue;
      }
      const labels = record.switches.flatMap((entry) => entry.cases.flatMap((item) => item.labels));
      if (!labels.includes(caseName.text)) {
        context.sink.report("PD2032", caseName.span, `message ${record.name} has no variant '${caseName.text}'${didYouMean(caseName.text, labels)}`);
      }
    }
  }
  context.storeModels.push({ role, span: declaration.role.span, keys: [...keys.values()], constraints });
}

/** The largest value a key may hold by its constraint (`value <= N`, `value < N`, `value in a ..= b`). */
