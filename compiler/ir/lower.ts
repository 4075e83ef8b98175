// Lowers the semantic model to the IR: records with per-ABI layouts taken from the semantic
// layout engine (switch cases become union arms with offsets relative to the switch), enums,
// constants, and `where` clauses translated into the IR expression language. Clauses that
// read anything beyond the message are kept as contextual clauses for the monitor.
import type { Diagnostic, PhaseResult, Span } from "../diagnostics/diagnostic.js";
import { createDiagnostic } from "../diagnostics/definition.js";
import { codegenDiagnostics } from "../diagnostics/codes/codegen.js";
import type { TargetAbi, ScalarTypeName } from "../semantic/layout-abi.js";
import type { LaidOutCase, LaidOutSwitch, LayoutEntry, RecordLayout } from "../semantic/layout.js";
import type { ConstraintModel, FieldModel, FieldTypeModel, ProtocolModel, RecordModel, SemanticModel } from "../semantic/model.js";
import type { Expression } from "../syntax/ast.js";
import { collectFieldPaths, type IrExpression } from "./expression.js";
import { lowerMonitorObligations, type SpecSources } from "./lower-monitor.js";
import { lowerStubs } from "./lower-stubs.js";
import type {
  IrAbi,
  IrContextualClause,
  IrEnum,
  IrField,
  IrFieldLayout,
  IrFieldType,
  IrIntegerWidth,
  IrLayoutAbi,
  IrPaddingRange,
  IrProtocol,
  IrRecord,
  IrRecordLayout,
  IrScalarType,
  IrUnionArm,
  IrValidationClause,
} from "./protocol.js";

/** Raised inside lowering for a construct the back end cannot express; turned into PD6004. */
class UnsupportedConstruct {
  constructor(
    readonly span: Span,
    readonly message: string,
  ) {}
}

/** Raised when a clause reads something outside the message; the clause becomes contextual. */
class NeedsContext {
  constructor(readonly reason: string) {}
}

const layoutAbiOf = (abi: TargetAbi): IrLayoutAbi => (abi === "x86_32" ? "x86_32" : "x86_64");

function scalarWidthOf(scalar: ScalarTypeName): IrIntegerWidth {
  switch (scalar) {
    case "u8":
    case "i8":
    case "bool":
    case "char":
      return 1;
    case "u16":
    case "i16":
      return 2;
    case "u32":
    case "i32":
    case "grant":
    case "evtchn":
      return 4;
    case "u64":
    case "i64":
      return 8;
  }
}

function scalarTypeOf(scalar: ScalarTypeName): IrScalarType {
  if (scalar === "bool") return { kind: "bool" };
  if (scalar === "grant" || scalar === "evtchn") return { kind: "resource", resource: scalar };
  return { kind: "integer", width: scalarWidthOf(scalar), signed: scalar.startsWith("i") };
}

function safeNumber(value: bigint, span: Span, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new UnsupportedConstruct(span, `${what} ${value} is beyond 2^53 and cannot be a number in generated code`);
  }
  return Number(value);
}

/** The case a field or clause belongs to, written as the labels of each enclosing case. */
function variantKeyOf(labels: readonly (readonly string[])[]): string {
  return labels.map((caseLabels) => (caseLabels.length === 0 ? "default" : caseLabels.join(","))).join("/");
}

function fieldKey(variantLabels: readonly (readonly string[])[], name: string): string {
  return `${variantKeyOf(variantLabels)}#${name}`;
}

function armNameOf(entry: LaidOutCase): string {
  return entry.isDefault || entry.labels.length === 0 ? "default" : (entry.labels[0] ?? "default");
}

function switchFieldNameOf(laidOut: LaidOutSwitch): string {
  return `${laidOut.discriminant}_variant`;
}

interface RecordLowering {
  readonly protocol: ProtocolModel;
  readonly model: SemanticModel;
  readonly record: RecordModel;
  readonly records: IrRecord[];
  readonly fieldModels: ReadonlyMap<string, FieldModel>;
}

/** The entries of one ABI's layout that carry data (fields and switches), in order. */
function dataEntries(entries: readonly LayoutEntry[]): readonly (LayoutEntry & { kind: "field" | "switch" })[] {
  return entries.filter((entry): entry is LayoutEntry & { kind: "field" | "switch" } => entry.kind !== "padding");
}

function paddingOf(entries: readonly LayoutEntry[], base: number, end: number): IrPaddingRange[] {
  return entries
    .filter((entry) => entry.kind === "padding" && entry.offset < end)
    .map((entry) => ({ offset: entry.offset - base, length: Math.min(entry.size, end - entry.offset) }));
}

function lowerFieldType(lowering: RecordLowering, type: FieldTypeModel, span: Span): IrFieldType {
  switch (type.kind) {
    case "scalar":
      return scalarTypeOf(type.scalar);
    case "enum":
      return { kind: "enum", enumName: type.enumName };
    case "record":
      return { kind: "record", recordName: type.recordName };
    case "array": {
      const element = lowerFieldType(lowering, type.element, span);
      if (element.kind === "array" || element.kind === "union") throw new UnsupportedConstruct(span, "arrays of arrays are not supported by the code generator yet");
      return type.countField === undefined
        ? { kind: "array", element, capacity: type.capacity }
        : { kind: "array", element, capacity: type.capacity, countField: type.countField };
    }
    case "padding":
      throw new UnsupportedConstruct(span, "padding is not a field");
  }
}

/**
 * Builds the IR record for a run of layout entries (a whole record, or one switch case),
 * walking every ABI's entries in step. `bases` is where the run starts on each ABI.
 */
function lowerEntries(
  lowering: RecordLowering,
  recordName: string,
  role: IrRecord["role"],
  perAbi: ReadonlyMap<IrLayoutAbi, { readonly entries: readonly LayoutEntry[]; readonly base: number; readonly end: number; readonly size: number; readonly alignment: number }>,
  variantLabels: readonly (readonly string[])[],
  span: Span,
): IrRecord {
  const reference = perAbi.get("x86_64") ?? perAbi.get("x86_32");
  if (reference === undefined) throw new UnsupportedConstruct(span, `record ${recordName} has no layout`);
  const referenceEntries = dataEntries(reference.entries);
  const fields: IrField[] = [];
  const fieldLayouts = new Map<IrLayoutAbi, IrFieldLayout[]>();
  for (const abi of perAbi.keys()) fieldLayouts.set(abi, []);
  referenceEntries.forEach((entry, index) => {
    if (entry.kind === "field") {
      const fieldModel = lowering.fieldModels.get(fieldKey(variantLabels, entry.name));
      if (fieldModel === undefined) throw new UnsupportedConstruct(span, `field ${entry.name} of ${recordName} has no semantic model`);
      fields.push({ name: entry.name, type: lowerFieldType(lowering, fieldModel.type, fieldModel.span), span: fieldModel.span });
      for (const [abi, run] of perAbi) {
        const laidOut = dataEntries(run.entries)[index];
        if (laidOut?.kind !== "field") throw new UnsupportedConstruct(span, `field ${entry.name} of ${recordName} is laid out differently on ${abi}`);
        const layout: IrFieldLayout = laidOut.isArray
          ? { offset: laidOut.offset - run.base, size: laidOut.size, stride: laidOut.elementSize }
          : { offset: laidOut.offset - run.base, size: laidOut.size };
        fieldLayouts.get(abi)?.push(layout);
      }
      return;
    }
    // A switch: one arm record per case, its offsets relative to the switch.
    const arms: IrUnionArm[] = entry.cases.map((laidOutCase, caseIndex) => {
      const armName = armNameOf(laidOutCase);
      const armRecordName = `${recordName}_${armName}`;
      const armPerAbi = new Map<IrLayoutAbi, { entries: readonly LayoutEntry[]; base: number; end: number; size: number; alignment: number }>();
      for (const [abi, run] of perAbi) {
        const laidOutSwitch = dataEntries(run.entries)[index];
        const abiCase = laidOutSwitch?.kind === "switch" ? laidOutSwitch.cases[caseIndex] : undefined;
        if (laidOutSwitch?.kind !== "switch" || abiCase === undefined) throw new UnsupportedConstruct(span, `a switch of ${recordName} is laid out differently on ${abi}`);
        armPerAbi.set(abi, {
          entries: abiCase.entries,
          base: laidOutSwitch.offset,
          end: abiCase.end,
          size: abiCase.end - laidOutSwitch.offset,
          alignment: laidOutSwitch.align,
        });
      }
      const switchModel = lowering.record.switches.find((candidate) => candidate.discriminant === entry.discriminant);
      const values = switchModel?.cases[caseIndex]?.values ?? [];
      const armSpan = switchModel?.cases[caseIndex]?.span ?? span;
      lowering.records.push(lowerEntries(lowering, armRecordName, "arm", armPerAbi, [...variantLabels, laidOutCase.isDefault ? [] : laidOutCase.labels], armSpan));
      return {
        armName,
        discriminantValues: values.map((value) => safeNumber(value, armSpan, "case value")),
        isDefault: laidOutCase.isDefault,
        recordName: armRecordName,
      };
    });
    fields.push({ name: switchFieldNameOf(entry), type: { kind: "union", discriminantField: entry.discriminant, arms }, span });
    for (const [abi, run] of perAbi) {
      const laidOut = dataEntries(run.entries)[index];
      if (laidOut?.kind !== "switch") throw new UnsupportedConstruct(span, `a switch of ${recordName} is laid out differently on ${abi}`);
      fieldLayouts.get(abi)?.push({ offset: laidOut.offset - run.base, size: laidOut.size });
    }
  });
  const layoutFor = (abi: IrLayoutAbi): IrRecordLayout => {
    const run = perAbi.get(abi) ?? reference;
    return {
      size: run.size,
      alignment: run.alignment,
      fields: fieldLayouts.get(abi) ?? fieldLayouts.get(perAbi.has("x86_64") ? "x86_64" : "x86_32") ?? [],
      padding: paddingOf(run.entries, run.base, run.end),
    };
  };
  return {
    name: recordName,
    role,
    ...(role === "message" && lowering.record.sender !== undefined ? { sender: lowering.record.sender } : {}),
    fields,
    layouts: { x86_64: layoutFor("x86_64"), x86_32: layoutFor("x86_32") },
    clauses: [],
    contextualClauses: [],
    span,
  };
}

/** Where a clause's field names resolve: the fields of its case, then of each enclosing case, then the common ones. */
interface ClauseScope {
  /** Field name -> IR path from the top-level record. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
  /** The arms (from the outside in) the clause sits in, for the guard. */
  readonly arms: readonly {
    readonly switchField: string;
    readonly discriminantPath: readonly string[];
    readonly discriminantEnum: string | undefined;
    readonly arm: IrUnionArm;
    readonly siblings: readonly IrUnionArm[];
  }[];
}

function spanContains(outer: Span, inner: Span): boolean {
  return outer.file === inner.file && outer.start <= inner.start && inner.end <= outer.end;
}

function scopeForClause(records: ReadonlyMap<string, IrRecord>, top: IrRecord, constraint: ConstraintModel): ClauseScope {
  const fields = new Map<string, readonly string[]>();
  const arms: ClauseScope["arms"][number][] = [];
  let current: IrRecord | undefined = top;
  let prefix: readonly string[] = [];
  while (current !== undefined) {
    for (const field of current.fields) if (field.type.kind !== "union") fields.set(field.name, [...prefix, field.name]);
    let next: IrRecord | undefined;
    for (const field of current.fields) {
      if (field.type.kind !== "union") continue;
      for (const arm of field.type.arms) {
        const armRecord = records.get(arm.recordName);
        if (armRecord !== undefined && spanContains(armRecord.span, constraint.span)) {
          const discriminantName = field.type.discriminantField;
          const discriminantType = current.fields.find((candidate) => candidate.name === discriminantName)?.type;
          arms.push({
            switchField: field.name,
            discriminantPath: [...prefix, discriminantName],
            discriminantEnum: discriminantType?.kind === "enum" ? discriminantType.enumName : undefined,
            arm,
            siblings: field.type.arms,
          });
          prefix = [...prefix, field.name, arm.armName];
          next = armRecord;
        }
      }
    }
    current = next;
  }
  return { fields, arms };
}

class ExpressionLowering {
  constructor(
    private readonly protocol: ProtocolModel,
    private readonly model: SemanticModel,
    private readonly scope: ClauseScope,
  ) {}

  lower(expression: Expression): IrExpression {
    switch (expression.kind) {
      case "IntegerLiteral":
        return { kind: "integer-literal", value: safeNumber(expression.value, expression.span, "integer") };
      case "BooleanLiteral":
        return { kind: "boolean-literal", value: expression.value };
      case "ParenthesizedExpression":
        return this.lower(expression.expression);
      case "NameExpression":
        return this.lowerName(expression.name.text, expression);
      case "MemberExpression": {
        if (expression.object.kind === "NameExpression") {
          const objectName = expression.object.name.text;
          const enumeration = this.protocol.enums.find((candidate) => candidate.name === objectName);
          const member = enumeration?.members.find((candidate) => candidate.name === expression.member.text);
          if (enumeration !== undefined && member !== undefined) {
            return { kind: "enum-member", enumName: enumeration.name, memberName: member.name, value: safeNumber(member.value, expression.span, "enum value") };
          }
          if (this.protocol.roles.some((role) => role.name === objectName)) throw new NeedsContext(`reads store key ${objectName}.${expression.member.text}`);
        }
        const object = this.lower(expression.object);
        if (object.kind === "field") return { kind: "field", path: [...object.path, expression.member.text] };
        throw new NeedsContext(`reads '${expression.member.text}' of something other than a field`);
      }
      case "UnaryExpression": {
        if (expression.operator === "~") throw new NeedsContext("uses bitwise complement, which the validator does not evaluate");
        return { kind: "unary", operator: expression.operator, operand: this.lower(expression.operand) };
      }
      case "BinaryExpression":
        return this.lowerBinary(expression);
      case "DurationLiteral":
      case "StringLiteral":
      case "IndexExpression":
      case "CallExpression":
      case "RangeExpression":
      case "SetExpression":
      case "QuantifiedExpression":
        throw new NeedsContext(`uses ${expression.kind.replace("Expression", "").toLowerCase()} expressions, which only monitors evaluate`);
    }
  }

  private lowerName(name: string, expression: Expression): IrExpression {
    const path = this.scope.fields.get(name);
    if (path !== undefined) return { kind: "field", path };
    const constant = this.protocol.constants.find((candidate) => candidate.name === name);
    if (constant !== undefined) {
      if (constant.valueKind !== "integer") throw new NeedsContext(`reads the duration constant ${name}`);
      return { kind: "constant", name, value: safeNumber(constant.value, constant.span, "constant") };
    }
    const type = this.model.expressionTypes.get(expression);
    if (type?.kind === "integer" && type.enumName !== undefined) {
      const enumeration = this.protocol.enums.find((candidate) => candidate.name === type.enumName);
      const member = enumeration?.members.find((candidate) => candidate.name === name);
      if (enumeration !== undefined && member !== undefined) {
        return { kind: "enum-member", enumName: enumeration.name, memberName: member.name, value: safeNumber(member.value, expression.span, "enum value") };
      }
    }
    throw new NeedsContext(`reads '${name}', which is not a field of the message`);
  }

  private lowerBinary(expression: Expression & { kind: "BinaryExpression" }): IrExpression {
    const left = this.lower(expression.left);
    switch (expression.operator) {
      case "==>":
        return { kind: "binary", operator: "||", left: negate(left), right: this.lower(expression.right) };
      case "in":
        return this.lowerMembership(left, expression.right);
      default:
        return { kind: "binary", operator: expression.operator, left, right: this.lower(expression.right) };
    }
  }

  private lowerMembership(left: IrExpression, container: Expression): IrExpression {
    let target = container;
    while (target.kind === "ParenthesizedExpression") target = target.expression;
    if (target.kind === "SetExpression") {
      return anyOfExpressions(target.elements.map((element): IrExpression => ({ kind: "binary", operator: "==", left, right: this.lower(element) })));
    }
    if (target.kind === "RangeExpression") {
      const lower: IrExpression = { kind: "binary", operator: "<=", left: this.lower(target.start), right: left };
      const upper: IrExpression = { kind: "binary", operator: target.inclusive ? "<=" : "<", left, right: this.lower(target.end) };
      return { kind: "binary", operator: "&&", left: lower, right: upper };
    }
    throw new NeedsContext("tests membership in something other than a set or a range");
  }
}

/** `!operand`, without stacking two negations. */
function negate(operand: IrExpression): IrExpression {
  return operand.kind === "unary" && operand.operator === "!" ? operand.operand : { kind: "unary", operator: "!", operand };
}

/** `a || b || ...`, or `false` for no operands. */
function anyOfExpressions(operands: readonly IrExpression[]): IrExpression {
  const [first, ...rest] = operands;
  if (first === undefined) return { kind: "boolean-literal", value: false };
  return rest.reduce<IrExpression>((combined, next) => ({ kind: "binary", operator: "||", left: combined, right: next }), first);
}

/** `discriminant` selects `arm`: the guard a clause inside a switch case is checked under. */
function armSelected(
  protocol: ProtocolModel,
  discriminantPath: readonly string[],
  discriminantEnum: string | undefined,
  arm: IrUnionArm,
  siblings: readonly IrUnionArm[],
): IrExpression {
  const field: IrExpression = { kind: "field", path: discriminantPath };
  const enumeration = protocol.enums.find((candidate) => candidate.name === discriminantEnum);
  const valueExpression = (value: number): IrExpression => {
    const member = enumeration?.members.find((candidate) => Number(candidate.value) === value);
    return enumeration !== undefined && member !== undefined
      ? { kind: "enum-member", enumName: enumeration.name, memberName: member.name, value }
      : { kind: "integer-literal", value };
  };
  const anyOf = (values: readonly number[]): IrExpression =>
    anyOfExpressions(values.map((value): IrExpression => ({ kind: "binary", operator: "==", left: field, right: valueExpression(value) })));
  if (!arm.isDefault) return anyOf(arm.discriminantValues);
  return negate(anyOf(siblings.filter((sibling) => !sibling.isDefault).flatMap((sibling) => sibling.discriminantValues)));
}

function lowerClauses(protocol: ProtocolModel, model: SemanticModel, top: IrRecord, recordModel: RecordModel, records: ReadonlyMap<string, IrRecord>): { clauses: IrValidationClause[]; contextual: IrContextualClause[] } {
  const clauses: IrValidationClause[] = [];
  const contextual: IrContextualClause[] = [];
  for (const constraint of recordModel.constraints) {
    const clauseId = `${protocol.name}.${recordModel.name}.${constraint.label}`;
    const scope = scopeForClause(records, top, constraint);
    try {
      const condition = new ExpressionLowering(protocol, model, scope).lower(constraint.condition);
      const fieldPath = collectFieldPaths(condition)[0] ?? [];
      // A clause written inside a switch case holds only when that case is the live one.
      const guarded = scope.arms.reduceRight<IrExpression>(
        (inner, { discriminantPath, discriminantEnum, arm, siblings }) => ({
          kind: "binary",
          operator: "||",
          left: negate(armSelected(protocol, discriminantPath, discriminantEnum, arm, siblings)),
          right: inner,
        }),
        condition,
      );
      clauses.push({ clauseId, expression: guarded, fieldPath, span: constraint.span });
    } catch (error) {
      if (!(error instanceof NeedsContext)) throw error;
      contextual.push({ clauseId, reason: error.reason, span: constraint.span });
    }
  }
  return { clauses, contextual };
}

function lowerRecord(protocol: ProtocolModel, model: SemanticModel, record: RecordModel): IrRecord[] {
  const fieldModels = new Map<string, FieldModel>();
  for (const field of record.fields) {
    if (field.type.kind === "padding") continue;
    fieldModels.set(fieldKey(field.variantPath.map((step) => (step.isDefault ? [] : step.labels)), field.name), field);
  }
  const records: IrRecord[] = [];
  const lowering: RecordLowering = { protocol, model, record, records, fieldModels };
  const perAbi = new Map<IrLayoutAbi, { entries: readonly LayoutEntry[]; base: number; end: number; size: number; alignment: number }>();
  for (const [abi, layout] of record.layouts as ReadonlyMap<TargetAbi, RecordLayout>) {
    if (layout.isUnion) throw new UnsupportedConstruct(record.span, `record ${record.name} is a C union without a discriminant; the code generator needs a switch`);
    const layoutAbi = layoutAbiOf(abi);
    if (!perAbi.has(layoutAbi)) perAbi.set(layoutAbi, { entries: layout.entries, base: 0, end: layout.size, size: layout.size, alignment: layout.align });
  }
  const top = lowerEntries(lowering, record.name, record.isMessage ? "message" : "struct", perAbi, [], record.span);
  const byName = new Map([...records, top].map((entry) => [entry.name, entry] as const));
  const { clauses, contextual } = lowerClauses(protocol, model, top, record, byName);
  // Arm records come first: a record appears after every record it contains.
  return [...records, { ...top, clauses, contextualClauses: contextual }];
}

function lowerProtocol(model: SemanticModel, protocol: ProtocolModel, sources: SpecSources, diagnostics: Diagnostic[]): IrProtocol {
  const abis: IrAbi[] = protocol.abis.map((abi) => ({ name: abi.abi, protocolKeyValue: abi.storeValue, layout: layoutAbiOf(abi.abi) }));
  const enums: IrEnum[] = [];
  for (const enumeration of protocol.enums) {
    try {
      enums.push({
        name: enumeration.name,
        isFlags: enumeration.isFlags,
        width: scalarWidthOf(enumeration.baseType),
        signed: enumeration.baseType.startsWith("i"),
        members: enumeration.members.map((member) => ({ name: member.name, value: safeNumber(member.value, member.span, "enum value") })),
        span: enumeration.span,
      });
    } catch (error) {
      if (!(error instanceof UnsupportedConstruct)) throw error;
      diagnostics.push(createDiagnostic(codegenDiagnostics.PD6004, error.span, error.message));
    }
  }
  const constants = protocol.constants
    .filter((constant) => constant.valueKind === "integer" && constant.value <= BigInt(Number.MAX_SAFE_INTEGER) && constant.value >= BigInt(Number.MIN_SAFE_INTEGER))
    .map((constant) => ({ name: constant.name, value: Number(constant.value), span: constant.span }));
  const records: IrRecord[] = [];
  const byName = new Map(protocol.records.map((record) => [record.name, record] as const));
  const emitted = new Set<string>();
  // Dependencies first, whatever the declaration order.
  const visit = (record: RecordModel): void => {
    if (emitted.has(record.name)) return;
    emitted.add(record.name);
    const dependsOn = (type: FieldTypeModel): void => {
      if (type.kind === "record") {
        const dependency = byName.get(type.recordName);
        if (dependency !== undefined) visit(dependency);
      } else if (type.kind === "array") dependsOn(type.element);
    };
    for (const field of record.fields) dependsOn(field.type);
    try {
      records.push(...lowerRecord(protocol, model, record));
    } catch (error) {
      if (!(error instanceof UnsupportedConstruct)) throw error;
      diagnostics.push(createDiagnostic(codegenDiagnostics.PD6004, error.span, error.message));
    }
  };
  for (const record of protocol.records) visit(record);
  const stubsResult = lowerStubs(protocol, records);
  diagnostics.push(...stubsResult.diagnostics);
  const stubs = stubsResult.value;
  return {
    name: protocol.name,
    version: protocol.version,
    roles: protocol.roles.map((role) => role.name),
    abis,
    constants,
    enums,
    records,
    monitor: lowerMonitorObligations(protocol, records, sources),
    ...(stubs === undefined ? {} : { stubs }),
    span: protocol.span,
  };
}

/**
 * Lowers every protocol of the model; PD6004 marks constructs the back end cannot express, and
 * PD6006 warns of each exchange that gets no typed stubs.
 * `sources` (spec texts by path) lets monitor obligations carry "file:line:col" locations.
 */
export function lowerToIr(model: SemanticModel, sources: SpecSources = new Map()): PhaseResult<readonly IrProtocol[]> {
  const diagnostics: Diagnostic[] = [];
  const protocols = model.protocols.map((protocol) => lowerProtocol(model, protocol, sources, diagnostics));
  return { value: protocols, diagnostics };
}
