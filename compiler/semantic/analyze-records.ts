// Structs and messages: resolves field types (enums, nested structs, arrays with count
// fields, explicit padding, switch variant parts), finds recursive records, computes the C
// layout on every target ABI and types the `where` constraints with the fields in scope.
import type { Expression, Identifier, StructDeclaration, StructMember, TypeExpression } from "../syntax/ast.js";
import { analyzeEnum, constantFolderFor, scalarOfType } from "./analyze-declarations.js";
import { DiagnosticSink } from "./diagnostic-sink.js";
import { createScope, ExpressionChecker, type ScopeEntry } from "./check-expressions.js";
import { isScalarTypeName } from "./layout-abi.js";
import { LayoutEngine, type LayoutMemberShape, type LayoutTypeShape, type RecordShape } from "./layout.js";
import type { ConstraintModel, FieldModel, FieldTypeModel, RecordModel, SwitchModel, VariantStep } from "./model.js";
import type { FieldFacts, ProtocolContext } from "./protocol-context.js";
import { ringHeaderBytes, ringPageBytes } from "./ring-geometry.js";
import { didYouMean } from "./suggest-names.js";
import { booleanType, type ValueType } from "./value-types.js";

export const maximumArrayCapacity = 65536;
export const maximumPaddingBytes = 4096;
/** The largest record that still leaves room for one slot on a one-page ring. */
export const maximumMessageBytes = ringPageBytes - ringHeaderBytes;

interface ResolvedFieldType {
  readonly shape: LayoutTypeShape;
  readonly model: FieldTypeModel;
  readonly value: ValueType;
}

interface RecordBuild {
  readonly fields: FieldModel[];
  readonly switches: SwitchModel[];
  readonly wheres: { readonly label: Identifier | undefined; readonly condition: Expression; readonly span: import("../diagnostics/diagnostic.js").Span }[];
  readonly facts: Map<string, { type: ValueType; upperBound: number | undefined }>;
}

/** Resolves a record's shape (memoised), reporting recursion; undefined when it cannot be laid out. */
export function resolveRecordShape(context: ProtocolContext, declaration: StructDeclaration, usedAt?: Identifier): RecordShape | undefined {
  const name = declaration.name.text;
  const state = context.recordShapes.get(name);
  if (state === "in-progress") {
    context.sink.report("PD2037", usedAt?.span ?? declaration.name.span, `struct ${name} contains itself, so it has no finite size`, {
      related: [{ span: declaration.name.span, message: `${name} is declared here` }],
      notes: ["use a grant reference or an index instead of embedding the struct"],
    });
    return undefined;
  }
  if (state === "failed") return undefined;
  if (state !== undefined) return state;
  context.recordShapes.set(name, "in-progress");
  const build: RecordBuild = { fields: [], switches: [], wheres: [], facts: new Map() };
  const errorsBefore = context.sink.errorCount;
  const members = buildMembers(context, declaration, declaration.members, [], new Map(), build);
  if (context.recordShapes.get(name) === "failed" || context.sink.errorCount > errorsBefore) {
    context.recordShapes.set(name, "failed");
    registerFacts(context, name, build);
    return undefined;
  }
  if (build.fields.length === 0) {
    context.sink.report("PD3004", declaration.name.span, `${declaration.isMessage ? "message" : "struct"} ${name} has no fields`);
    context.recordShapes.set(name, "failed");
    return undefined;
  }
  const shape: RecordShape = { kind: "record", name, isUnion: false, fields: members };
  context.recordShapes.set(name, shape);
  registerFacts(context, name, build);
  pendingBuilds.set(declaration, build);
  return shape;
}

const pendingBuilds = new WeakMap<StructDeclaration, RecordBuild>();

function registerFacts(context: ProtocolContext, name: string, build: RecordBuild): void {
  const facts = new Map<string, FieldFacts>();
  for (const [field, fact] of build.facts) facts.set(field, { type: fact.type, upperBound: fact.upperBound });
  context.recordFields.set(name, facts);
}

function buildMembers(
  context: ProtocolContext,
  record: StructDeclaration,
  members: readonly StructMember[],
  variantPath: readonly VariantStep[],
  visible: Map<string, ResolvedFieldType>,
  build: RecordBuild,
): LayoutMemberShape[] {
  const shapes: LayoutMemberShape[] = [];
  for (const member of members) {
    switch (member.kind) {
      case "WhereClause":
        build.wheres.push({ label: member.label, condition: member.condition, span: member.span });
        break;
      case "FieldDeclaration": {
        const resolved = resolveFieldType(context, record, member.type, visible);
        if (visible.has(member.name.text)) {
          context.sink.report("PD2044", member.name.span, `${record.name.text} already has a field '${member.name.text}' on this variant path`);
          break;
        }
        if (resolved === undefined) break;
        visible.set(member.name.text, resolved);
        shapes.push({ name: member.name.text, type: resolved.shape });
        build.fields.push({ name: member.name.text, span: member.name.span, type: resolved.model, variantPath, doc: member.doc?.text });
        if (!build.facts.has(member.name.text)) build.facts.set(member.name.text, { type: resolved.value, upperBound: undefined });
        if (resolved.model.kind === "array" && resolved.model.countField !== undefined) {
          const counted = build.facts.get(resolved.model.countField);
          if (counted !== undefined) counted.upperBound = Math.min(counted.upperBound ?? Infinity, resolved.model.capacity);
        }
        break;
      }
      case "SwitchDeclaration": {
        const discriminant = visible.get(member.discriminant.text);
        if (discriminant === undefined || discriminant.model.kind === "array" || discriminant.model.kind === "record" || discriminant.model.kind === "padding" || discriminant.value.kind !== "integer") {
          context.sink.report("PD2042", member.discriminant.span, discriminant === undefined
            ? `switch discriminant '${member.discriminant.text}' is not an earlier field of ${record.name.text}${didYouMean(member.discriminant.text, visible.keys())}`
            : `switch discriminant '${member.discriminant.text}' must be an integer or enum field`);
          break;
        }
        const enumName = discriminant.model.kind === "enum" ? discriminant.model.enumName : undefined;
        const seenValues = new Map<bigint, string>();
        let defaultSeen = false;
        const cases: LayoutMemberShape[] = [];
        const switchCases: SwitchModel["cases"][number][] = [];
        const caseShapes: { labels: string[]; isDefault: boolean; members: LayoutMemberShape[] }[] = [];
        const caseVisibles: Map<string, ResolvedFieldType>[] = [];
        for (const entry of member.cases) {
          if (entry.isDefault) {
            if (defaultSeen) context.sink.report("PD2043", entry.span, "a switch has at most one `default` case");
            defaultSeen = true;
          }
          const labels: string[] = [];
          const values: bigint[] = [];
          for (const label of entry.labels) {
            const value = resolveCaseLabel(context, label, enumName);
            if (value === undefined) continue;
            const text = labelText(label);
            const clash = seenValues.get(value);
            if (clash !== undefined) {
              context.sink.report("PD2043", label.span, `case label ${text} repeats the value ${value} already used by ${clash}`);
              continue;
            }
            seenValues.set(value, text);
            labels.push(text);
            values.push(value);
          }
          const step: VariantStep = { discriminant: member.discriminant.text, values, labels, isDefault: entry.isDefault };
          const caseVisible = new Map(visible);
          const caseMembers = buildMembers(context, record, entry.members, [...variantPath, step], caseVisible, build);
          caseVisibles.push(caseVisible);
          caseShapes.push({ labels, isDefault: entry.isDefault, members: caseMembers });
          switchCases.push({ labels, values, isDefault: entry.isDefault, span: entry.span });
        }
        // Fields after the switch may not reuse a name from any case.
        for (const caseVisible of caseVisibles) for (const [name, type] of caseVisible) if (!visible.has(name)) visible.set(name, type);
        cases.push({ kind: "switch", discriminant: member.discriminant.text, cases: caseShapes });
        shapes.push(...cases);
        build.switches.push({ discriminant: member.discriminant.text, span: member.span, cases: switchCases });
        break;
      }
    }
  }
  return shapes;
}

function labelText(label: Expression): string {
  if (label.kind === "NameExpression") return label.name.text;
  if (label.kind === "IntegerLiteral") return label.text;
  if (label.kind === "MemberExpression" && label.object.kind === "NameExpression") return `${label.object.name.text}.${label.member.text}`;
  return "(expression)";
}

function resolveCaseLabel(context: ProtocolContext, label: Expression, enumName: string | undefined): bigint | undefined {
  if (enumName !== undefined && label.kind === "NameExpression" && !context.declarations.has(label.name.text)) {
    const enumModel = context.enumModels.get(enumName);
    const member = enumModel?.members.find((candidate) => candidate.name === label.name.text);
    if (member === undefined) {
      context.sink.report("PD2043", label.span, `'${label.name.text}' is not a member of enum ${enumName}${didYouMean(label.name.text, enumModel?.members.map((entry) => entry.name) ?? [])}`);
      return undefined;
    }
    return member.value;
  }
  const folded = constantFolderFor(context).fold(label);
  if (folded === undefined) return undefined;
  if (folded.kind !== "integer") {
    context.sink.report("PD2043", label.span, "a case label must be an integer or an enum member");
    return undefined;
  }
  return folded.value;
}

function resolveFieldType(context: ProtocolContext, record: StructDeclaration, type: TypeExpression, visible: ReadonlyMap<string, ResolvedFieldType>): ResolvedFieldType | undefined {
  switch (type.kind) {
    case "PrimitiveType": {
      const name = type.name;
      if (!isScalarTypeName(name)) {
        context.sink.report("PD2038", type.span, `'${name}' is a store value type with no C layout; use a fixed-size type such as char[N] in records`);
        return undefined;
      }
      const value: ValueType = name === "bool" ? booleanType : name === "grant" ? { kind: "grant" } : name === "evtchn" ? { kind: "evtchn" } : { kind: "integer", scalar: name, enumName: undefined };
      return { shape: { kind: "scalar", scalar: name }, model: { kind: "scalar", scalar: name }, value };
    }
    case "NamedType": {
      const parts = type.name.parts;
      const first = parts[0];
      if (first === undefined) return undefined;
      if (parts.length > 1) {
        context.sink.report("PD2001", type.name.span, "qualified type names are not supported in records; declare the type in this protocol");
        return undefined;
      }
      const declaration = context.declarations.get(first.text);
      if (declaration === undefined) {
        const candidates = [...context.declarations.entries()].filter(([, entry]) => entry.kind === "EnumDeclaration" || entry.kind === "StructDeclaration").map(([name]) => name);
        context.sink.report("PD2001", first.span, `unknown type '${first.text}'${didYouMean(first.text, candidates)}`);
        return undefined;
      }
      if (declaration.kind === "EnumDeclaration") {
        const enumModel = analyzeEnum(context, declaration);
        if (enumModel === undefined) return undefined;
        return {
          shape: { kind: "scalar", scalar: enumModel.baseType, displayName: enumModel.name },
          model: { kind: "enum", enumName: enumModel.name, scalar: enumModel.baseType },
          value: { kind: "integer", scalar: enumModel.baseType, enumName: enumModel.name },
        };
      }
      if (declaration.kind === "StructDeclaration") {
        const nested = resolveRecordShape(context, declaration, first);
        if (nested === undefined) return undefined;
        return { shape: nested, model: { kind: "record", recordName: declaration.name.text }, value: { kind: "record", recordName: declaration.name.text } };
      }
      context.sink.report("PD2036", first.span, `'${first.text}' is a ${declaration.kind === "ConstDeclaration" ? "constant" : "channel or packet"}, not a type`);
      return undefined;
    }
    case "ArrayType": {
      const element = resolveFieldType(context, record, type.element, visible);
      const folded = constantFolderFor(context).fold(type.capacity);
      if (folded === undefined) return undefined;
      if (folded.kind !== "integer" || folded.value < 1n || folded.value > BigInt(maximumArrayCapacity)) {
        context.sink.report("PD3001", type.capacity.span, `array capacity ${folded.value} is outside 1 .. ${maximumArrayCapacity}`);
        return undefined;
      }
      const capacity = Number(folded.value);
      if (type.countField !== undefined) {
        const counter = visible.get(type.countField.text);
        if (counter === undefined || counter.value.kind !== "integer") {
          context.sink.report("PD2041", type.countField.span, counter === undefined
            ? `count field '${type.countField.text}' is not an earlier field of ${record.name.text}${didYouMean(type.countField.text, visible.keys())}`
            : `count field '${type.countField.text}' must be an integer field`);
          return undefined;
        }
      }
      if (element === undefined) return undefined;
      if (element.shape.kind === "padding") {
        context.sink.report("PD3002", type.span, "write padding as pad[N], not as an array of padding");
        return undefined;
      }
      return {
        shape: { kind: "array", element: element.shape, length: capacity },
        model: { kind: "array", element: element.model, capacity, countField: type.countField?.text },
        value: { kind: "array", element: element.value, capacity, countField: type.countField?.text },
      };
    }
    case "PaddingType": {
      const folded = constantFolderFor(context).fold(type.bytes);
      if (folded === undefined) return undefined;
      if (folded.kind !== "integer" || folded.value < 1n || folded.value > BigInt(maximumPaddingBytes)) {
        context.sink.report("PD3002", type.bytes.span, `padding of ${folded.value} bytes is outside 1 .. ${maximumPaddingBytes}`);
        return undefined;
      }
      const bytes = Number(folded.value);
      return { shape: { kind: "padding", bytes }, model: { kind: "padding", bytes }, value: { kind: "array", element: { kind: "integer", scalar: "u8", enumName: undefined }, capacity: bytes, countField: undefined } };
    }
  }
}

/** Upper bounds declared by top-level conjuncts such as `where nr_segments <= MAX_SEGMENTS`. */
function collectDeclaredBounds(context: ProtocolContext, condition: Expression, facts: Map<string, FieldFacts>): void {
  let expression = condition;
  while (expression.kind === "ParenthesizedExpression") expression = expression.expression;
  if (expression.kind !== "BinaryExpression") return;
  if (expression.operator === "&&") {
    collectDeclaredBounds(context, expression.left, facts);
    collectDeclaredBounds(context, expression.right, facts);
    return;
  }
  if ((expression.operator === "<=" || expression.operator === "<") && expression.left.kind === "NameExpression") {
    const field = facts.get(expression.left.name.text);
    if (field === undefined) return;
    const scratch = new DiagnosticSink();
    const folded = constantFolderFor(context, scratch).fold(expression.right);
    if (folded === undefined || folded.kind !== "integer" || scratch.diagnostics.length > 0) return;
    const bound = Number(folded.value) - (expression.operator === "<" ? 1 : 0);
    facts.set(expression.left.name.text, { type: field.type, upperBound: Math.min(field.upperBound ?? Infinity, bound) });
  }
}

export function analyzeAllRecords(context: ProtocolContext): void {
  const declarations = [...context.declarations.values()].filter((declaration): declaration is StructDeclaration => declaration.kind === "StructDeclaration");
  for (const declaration of declarations) resolveRecordShape(context, declaration);
  for (const declaration of declarations) {
    if (declaration.isMessage) {
      if (declaration.sender === undefined) context.sink.report("PD2005", declaration.name.span, `message ${declaration.name.text} must name its sending role with \`from ROLE\``);
      else context.requireRole(declaration.sender, `the sender of message ${declaration.name.text}`);
    }
    const build = pendingBuilds.get(declaration);
    const shape = context.recordShapes.get(declaration.name.text);
    if (build === undefined || typeof shape !== "object") continue;
    const facts = context.recordFields.get(declaration.name.text) ?? new Map<string, FieldFacts>();
    for (const where of build.wheres) collectDeclaredBounds(context, where.condition, facts);
    const layouts = new Map(context.targetAbis.map((abi) => [abi, new LayoutEngine(abi).layOutRecord(shape)] as const));
    const largest = Math.max(...[...layouts.values()].map((layout) => layout.size));
    if (declaration.isMessage && largest > maximumMessageBytes) {
      context.sink.report("PD3003", declaration.name.span, `message ${declaration.name.text} is ${largest} bytes, more than the ${maximumMessageBytes} bytes of a one-page ring's slot area`);
    }
    const checker = new ExpressionChecker(context, { allowStates: false });
    const scope = createScope(new Map<string, ScopeEntry>([...facts].map(([name, fact]) => [name, { type: fact.type, upperBound: fact.upperBound }])));
    const constraints: ConstraintModel[] = build.wheres.map((where, index) => {
      checker.checkCondition(where.condition, scope, "a where constraint");
      return { label: where.label?.text ?? `where_${index + 1}`, hasExplicitLabel: where.label !== undefined, span: where.span, condition: where.condition };
    });
    const model: RecordModel = {
      name: declaration.name.text,
      span: declaration.name.span,
      isMessage: declaration.isMessage,
      sender: declaration.sender?.text,
      fields: build.fields,
      switches: build.switches,
      constraints,
      layouts,
      doc: declaration.doc?.text,
    };
    context.recordModels.set(declaration.name.text, model);
  }
}

export { scalarOfType };
