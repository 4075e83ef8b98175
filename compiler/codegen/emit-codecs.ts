// Emits one decoder and one encoder per record and layout ABI. Decoders read a private copy
// through a DataView into a value allocated once by `create` (nothing is allocated unless the
// message is refused); encoders write every field and zero every padding byte, unused union
// tail and array slot past the live count.
import { StructureKind, type FunctionDeclarationStructure, type StatementStructures } from "ts-morph";
import { assertNever, type IrExpression } from "../ir/expression.js";
import type {
  IrArrayType,
  IrEnum,
  IrField,
  IrFieldLayout,
  IrLayoutAbi,
  IrRecord,
  IrScalarType,
  IrUnionArm,
  IrUnionType,
  IrValidationClause,
} from "../ir/protocol.js";
import { enumMemberNameForValue, type EmitContext } from "./emit-context.js";
import { appendToPathExpression, isScalarOnlyRecord, writeClauseCheck } from "./emit-checks.js";
import { writeFieldAccess, writeNamedLiteral, type FieldValueResolver } from "./emit-expression.js";
import {
  decodeFunctionNameOf,
  decodeValidatedFunctionNameOf,
  encodeFunctionNameOf,
  enumGuardNameOf,
  propertyNameOf,
  typeNameOf,
  unionArmTagProperty,
} from "./names.js";

/** A loop over the live elements; a body that is already a block is not wrapped again. */
function writeLoop(count: string, body: string): string {
  const block = body.startsWith("{") ? body : `{\n${body}\n}`;
  return `for (let index = 0; index < ${count}; index++) ${block}`;
}

/** Hands out local variable names that cannot clash with parameters or with each other. */
class LocalNames {
  private next = 0;
  fresh(stem: string): string {
    return `${stem}${this.next++}`;
  }
}

export function emitCodecs(context: EmitContext): StatementStructures[] {
  const statements: StatementStructures[] = [];
  for (const abi of context.layoutAbis) {
    for (const record of context.protocol.records) {
      statements.push(emitDecoder(context, record, abi, "decode"), emitDecoder(context, record, abi, "decode-validated"), emitEncoder(context, record, abi));
    }
  }
  return statements;
}

function fieldLayoutOf(record: IrRecord, abi: IrLayoutAbi, fieldIndex: number): IrFieldLayout {
  const layout = record.layouts[abi].fields[fieldIndex];
  if (layout === undefined) throw new Error(`IR record '${record.name}' has no ${abi} layout for field ${fieldIndex}`);
  return layout;
}

/** Scalars and nested records first, so counts and discriminants are known before arrays and unions. */
function fieldsInCodecOrder(record: IrRecord): readonly { readonly field: IrField; readonly index: number }[] {
  const indexed = record.fields.map((field, index) => ({ field, index }));
  const early = indexed.filter(({ field }) => field.type.kind !== "array" && field.type.kind !== "union");
  const late = indexed.filter(({ field }) => field.type.kind === "array" || field.type.kind === "union");
  return [...early, ...late];
}

function writeSizeGuard(context: EmitContext, size: number): string {
  context.imports.useValue("CodecError");
  return `if (offset < 0 || offset + ${size} > view.byteLength) return new CodecError("slot-too-small", "", view.byteLength - offset);`;
}

function at(offset: number, extra = ""): string {
  return `offset + ${offset}${extra}`;
}

/**
 * `decode` only refuses what cannot be represented; `decode-validated` also checks every
 * `where` clause while the bytes are read (one pass, which is what keeps it as fast as a
 * hand-written decoder), returning the first CodecError or ValidationError.
 */
type DecoderMode = "decode" | "decode-validated";

function decoderNameOf(recordName: string, abi: IrLayoutAbi, mode: DecoderMode): string {
  return mode === "decode" ? decodeFunctionNameOf(recordName, abi) : decodeValidatedFunctionNameOf(recordName, abi);
}

/** What one decoder function is written with: the emit context, the layout, the mode and fresh local names. */
interface DecoderWriter {
  readonly context: EmitContext;
  readonly abi: IrLayoutAbi;
  readonly mode: DecoderMode;
  readonly locals: LocalNames;
}

/**
 * The field values a decoder holds in locals, keyed by their path from the decoded record, so
 * that counts, discriminants and clauses read the local instead of loading the property back.
 * A child is opened for every block (loop body, switch case) whose locals end with the block.
 */
class DecodedLocals {
  private readonly byPath: Map<string, string>;

  constructor(parent?: DecodedLocals) {
    this.byPath = new Map(parent?.byPath);
  }

  remember(path: readonly string[], expression: string): void {
    this.byPath.set(path.join("."), expression);
  }

  lookup(path: readonly string[]): string | undefined {
    return this.byPath.get(path.join("."));
  }

  openBlock(): DecodedLocals {
    return new DecodedLocals(this);
  }

  /** Resolves clause field paths of the record decoded at `prefix`. */
  resolverAt(prefix: readonly string[]): FieldValueResolver {
    return (path) => this.lookup([...prefix, ...path]);
  }
}

/** Where one record is being decoded: its first byte, the object it fills, its error path and its key prefix. */
interface RecordSite {
  readonly record: IrRecord;
  /** The offset of the record's first byte: an expression plus a constant folded at emit time. */
  readonly base: string;
  readonly constantOffset: number;
  /** An expression for the object the record's fields are stored into. */
  readonly target: string;
  /** A path expression (string or template literal) for errors, or undefined for the decoded record itself. */
  readonly path: string | undefined;
  /** The record's field path from the decoded record, the key prefix in DecodedLocals. */
  readonly keyPrefix: readonly string[];
}

function offsetPlus(base: string, byteOffset: number): string {
  return byteOffset === 0 ? base : `${base} + ${byteOffset}`;
}

function pathOfField(path: string | undefined, fieldName: string): string {
  return path === undefined ? JSON.stringify(fieldName) : appendToPathExpression(path, fieldName);
}

/** `seg[${index3}]` from the path expression of the array and the loop variable. */
function pathOfElement(arrayPath: string, indexName: string): string {
  const prefix = arrayPath.startsWith("`") ? arrayPath.slice(1, -1) : (JSON.parse(arrayPath) as string).replace(/[`\\]|\$\{/g, (match) => `\\${match}`);
  return `\`${prefix}[\${${indexName}}]\``;
}

function emitDecoder(context: EmitContext, record: IrRecord, abi: IrLayoutAbi, mode: DecoderMode): FunctionDeclarationStructure {
  const writer: DecoderWriter = { context, abi, mode, locals: new LocalNames() };
  // One size guard covers the whole message: nested records, arrays and arms are decoded inline
  // in this function, because V8 does not reliably inline the calls and each call would repeat
  // the guard and hand its error back through withPathPrefix.
  const body: string[] = [writeSizeGuard(context, record.layouts[abi].size)];
  body.push(...writeRecordDecode(writer, { record, base: "offset", constantOffset: 0, target: "into", path: undefined, keyPrefix: [] }, new DecodedLocals()));
  body.push("return undefined;");
  if (mode === "decode-validated") context.imports.useType("ValidationError");
  const purpose = mode === "decode" ? "Decodes" : "Decodes and checks every `where` clause of";
  return {
    kind: StructureKind.Function,
    name: decoderNameOf(record.name, abi, mode),
    isExported: true,
    docs: [
      `${purpose} \`${record.name}\` (${abi} layout, ${record.layouts[abi].size} bytes) from \`view\` at \`offset\` into \`into\`; returns why it was refused, if it was.`,
    ],
    parameters: [
      { name: "view", type: "DataView" },
      { name: "offset", type: "number" },
      { name: "into", type: typeNameOf(record.name) },
    ],
    returnType: mode === "decode" ? "CodecError | undefined" : "CodecError | ValidationError | undefined",
    statements: [body.join("\n")],
  };
}

/** The statements decoding every field of `site.record`, then (validated) the clauses not already checked inside a union arm. */
function writeRecordDecode(writer: DecoderWriter, site: RecordSite, decoded: DecodedLocals): string[] {
  const { context, abi } = writer;
  const lines: string[] = [];
  const checkedInArms = new Set<IrValidationClause>();
  const ordered = fieldsInCodecOrder(site.record);
  ordered.forEach(({ field, index }, position) => {
    const layout = fieldLayoutOf(site.record, abi, index);
    const target = writeFieldAccess(site.target, [field.name]);
    const path = pathOfField(site.path, field.name);
    const key = [...site.keyPrefix, field.name];
    const type = field.type;
    switch (type.kind) {
      case "integer":
      case "bool":
      case "enum":
      case "resource": {
        const decodedValue = writeScalarDecode(writer, type, site.base, site.constantOffset + layout.offset, path, lines);
        lines.push(`${target} = ${decodedValue.stored};`);
        decoded.remember(key, decodedValue.value);
        break;
      }
      case "record": {
        if (callsNestedDecoder(writer, type.recordName)) {
          lines.push(writeNestedDecoderCall(writer, type.recordName, offsetPlus(site.base, site.constantOffset + layout.offset), target, path));
          break;
        }
        const nested = writer.locals.fresh("nested");
        lines.push(`const ${nested} = ${target};`);
        const nestedSite: RecordSite = {
          record: context.record(type.recordName),
          base: site.base,
          constantOffset: site.constantOffset + layout.offset,
          target: nested,
          path,
          keyPrefix: key,
        };
        lines.push(...writeRecordDecode(writer, nestedSite, decoded));
        break;
      }
      case "array":
        lines.push(...writeArrayDecode(writer, site, field, type, layout, decoded));
        break;
      case "union": {
        // Clauses guarded by an arm are checked inside that arm's case, where the guard is known
        // to hold; only when nothing is decoded after the union, so that every CodecError is still
        // found before any ValidationError.
        const foldClauses = writer.mode === "decode-validated" && position === ordered.length - 1;
        lines.push(writeUnionDecode(writer, site, field, type, layout, decoded, foldClauses ? checkedInArms : undefined));
        break;
      }
      default:
        assertNever(type);
    }
  });
  if (writer.mode === "decode-validated") {
    const resolveField = decoded.resolverAt(site.keyPrefix);
    for (const clause of site.record.clauses) {
      if (!checkedInArms.has(clause)) lines.push(writeClauseCheck(context, clause, clause.expression, site.target, site.path, resolveField));
    }
  }
  return lines;
}

/**
 * Plain `decode` calls the nested record's own decoder for anything but a record of scalars:
 * inlining everything is what makes `decode-validated` as fast as hand-written code, and the
 * plain decoder does not need to repeat that code (every generated line costs formatting time).
 */
function callsNestedDecoder(writer: DecoderWriter, recordName: string): boolean {
  return writer.mode === "decode" && !isScalarOnlyRecord(writer.context.record(recordName));
}

function writeNestedDecoderCall(writer: DecoderWriter, recordName: string, offset: string, target: string, path: string): string {
  const decoder = decoderNameOf(recordName, writer.abi, writer.mode);
  return `{\nconst error = ${decoder}(view, ${offset}, ${target});\nif (error !== undefined) return error.withPathPrefix(${path});\n}`;
}

function writeArrayDecode(writer: DecoderWriter, site: RecordSite, field: IrField, type: IrArrayType, layout: IrFieldLayout, decoded: DecodedLocals): string[] {
  const { context } = writer;
  const path = pathOfField(site.path, field.name);
  const count = writer.locals.fresh("count");
  const elements = writer.locals.fresh("elements");
  const index = writer.locals.fresh("index");
  const stride = layout.stride ?? 0;
  const lines: string[] = [];
  if (type.countField === undefined) {
    lines.push(`const ${count} = ${type.capacity};`);
  } else {
    const countValue = decoded.lookup([...site.keyPrefix, type.countField]) ?? writeFieldAccess(site.target, [type.countField]);
    lines.push(`const ${count} = ${countValue};`, `if (${count} > ${type.capacity}) return new CodecError("count-exceeds-capacity", ${path}, ${count});`);
  }
  lines.push(`const ${elements} = ${writeFieldAccess(site.target, [field.name])};`);
  // The element's first byte is a second loop variable advanced by the stride, rather than
  // `offset + k + index * stride` per element: one add and overflow check per element instead
  // of two adds, a multiply and two overflow checks, and the loop keeps fewer live values.
  const base = writer.locals.fresh("base");
  const firstElementAt = offsetPlus(site.base, site.constantOffset + layout.offset);
  const elementPath = pathOfElement(path, index);
  const body: string[] = [];
  if (type.element.kind === "record" && callsNestedDecoder(writer, type.element.recordName)) {
    body.push(writeNestedDecoderCall(writer, type.element.recordName, base, `${elements}[${index}]!`, elementPath));
  } else if (type.element.kind === "record") {
    const element = writer.locals.fresh("element");
    body.push(`const ${element} = ${elements}[${index}]!;`);
    const elementSite: RecordSite = {
      record: context.record(type.element.recordName),
      base,
      constantOffset: 0,
      target: element,
      path: elementPath,
      keyPrefix: [...site.keyPrefix, field.name, "[]"],
    };
    body.push(...writeRecordDecode(writer, elementSite, decoded.openBlock()));
  } else {
    const decodedValue = writeScalarDecode(writer, type.element, base, 0, elementPath, body);
    body.push(`${elements}[${index}] = ${decodedValue.stored};`);
  }
  lines.push(`for (let ${index} = 0, ${base} = ${firstElementAt}; ${index} < ${count}; ${index}++, ${base} += ${stride}) {\n${body.join("\n")}\n}`);
  return lines;
}

function integerAccessorOf(width: 1 | 2 | 4, signed: boolean): string {
  return `${signed ? "Int" : "Uint"}${width * 8}`;
}

/** A decoded scalar: what to store in the property, and the expression clauses read it as. */
interface DecodedScalar {
  readonly stored: string;
  readonly value: string;
}

/**
 * Reads a scalar into a local and checks it, pushing the statements onto `lines`; errors carry
 * the path expression. Nothing is allocated unless the value is refused.
 */
function writeScalarDecode(writer: DecoderWriter, type: IrScalarType, base: string, byteOffset: number, path: string, lines: string[]): DecodedScalar {
  const { context } = writer;
  const local = writer.locals.fresh("raw");
  const at = offsetPlus(base, byteOffset);
  switch (type.kind) {
    case "resource":
      lines.push(`const ${local} = view.getUint32(${at}, true);`);
      return { stored: local, value: local };
    case "bool":
      lines.push(`const ${local} = view.getUint8(${at});`, `if (${local} > 1) return new CodecError("bool-not-zero-or-one", ${path}, ${local});`);
      return { stored: `${local} === 1`, value: `(${local} === 1)` };
    case "integer":
      if (type.width === 8) writeWideRead(writer, local, type.signed, base, byteOffset, path, lines);
      else lines.push(`const ${local} = view.get${integerAccessorOf(type.width, type.signed)}(${at}${type.width === 1 ? "" : ", true"});`);
      return { stored: local, value: local };
    case "enum": {
      const enumeration = context.enumeration(type.enumName);
      if (enumeration.width === 8) writeWideRead(writer, local, enumeration.signed, base, byteOffset, path, lines);
      else lines.push(`const ${local} = view.get${integerAccessorOf(enumeration.width, enumeration.signed)}(${at}${enumeration.width === 1 ? "" : ", true"});`);
      lines.push(`if (${writeEnumRefusal(enumeration, local)}) return new CodecError("enum-value-unknown", ${path}, ${local});`);
      // The membership test is written out (not a type guard call) so the local stays a plain
      // number that clauses and union cases may compare with any member.
      return { stored: `${local} as ${typeNameOf(type.enumName)}`, value: local };
    }
    default:
      return assertNever(type);
  }
}

/**
 * The condition under which a decoded enum value is refused, written inline: a range test when
 * the members are contiguous, comparisons otherwise, and a mask test for flags.
 */
function writeEnumRefusal(enumeration: IrEnum, local: string): string {
  if (enumeration.isFlags) {
    const mask = enumeration.members.reduce((combined, member) => combined | BigInt(member.value), 0n);
    if (enumeration.width <= 4 && !enumeration.signed) {
      const outside = ((1n << BigInt(enumeration.width * 8)) - 1n) & ~mask;
      return outside === 0n ? "false" : `(${local} & ${outside}) !== 0`;
    }
    return `!${enumGuardNameOf(enumeration.name)}(${local})`;
  }
  const values = [...new Set(enumeration.members.map((member) => member.value))].sort((left, right) => left - right);
  const lowest = values[0];
  const highest = values[values.length - 1];
  if (lowest === undefined || highest === undefined) return "true";
  if (highest - lowest + 1 === values.length) {
    const belowLowest = lowest === 0 && !enumeration.signed ? [] : [`${local} < ${lowest}`];
    return [...belowLowest, `${local} > ${highest}`].join(" || ");
  }
  return values.map((value) => `${local} !== ${value}`).join(" && ");
}

/**
 * A u64 is read as two u32 halves and refused when the high half puts it above 2^53 - 1, written
 * inline because the helper call kept the decoder from being optimised as one unit; an i64 goes
 * through readSigned64.
 */
function writeWideRead(writer: DecoderWriter, local: string, signed: boolean, base: string, byteOffset: number, path: string, lines: string[]): void {
  const { context } = writer;
  const at = offsetPlus(base, byteOffset);
  if (signed) {
    context.imports.useValue("readSigned64");
    context.imports.useValue("describeSigned64");
    lines.push(
      `const ${local} = readSigned64(view, ${at});`,
      `if (Number.isNaN(${local})) return new CodecError("u64-above-safe-integer", ${path}, describeSigned64(view, ${at}));`,
    );
    return;
  }
  context.imports.useValue("unsignedAboveSafeIntegerError");
  const high = writer.locals.fresh("high");
  lines.push(
    `const ${high} = view.getUint32(${offsetPlus(base, byteOffset + 4)}, true);`,
    `if (${high} > 0x1fffff) return unsignedAboveSafeIntegerError(${path}, view, ${at});`,
    `const ${local} = ${high} * 4294967296 + view.getUint32(${at}, true);`,
  );
}

function writeDiscriminantCase(context: EmitContext, record: IrRecord, union: IrUnionType, value: number): string {
  const discriminant = record.fields.find((field) => field.name === union.discriminantField);
  if (discriminant?.type.kind === "enum") {
    const member = enumMemberNameForValue(context.enumeration(discriminant.type.enumName), value);
    if (member !== undefined) return writeNamedLiteral(value, `${typeNameOf(discriminant.type.enumName)}.${propertyNameOf(member)}`);
  }
  return String(value);
}

/**
 * The discriminant values a guard `d == v1 || d == v2 || ...` over `discriminantPath` tests, or
 * undefined when the expression is anything else.
 */
function discriminantValuesTestedBy(expression: IrExpression, discriminantPath: readonly string[]): Set<number> | undefined {
  if (expression.kind === "binary" && expression.operator === "||") {
    const left = discriminantValuesTestedBy(expression.left, discriminantPath);
    const right = discriminantValuesTestedBy(expression.right, discriminantPath);
    return left === undefined || right === undefined ? undefined : new Set([...left, ...right]);
  }
  if (expression.kind !== "binary" || expression.operator !== "==") return undefined;
  const { left, right } = expression;
  if (left.kind !== "field" || left.path.join(".") !== discriminantPath.join(".")) return undefined;
  if (right.kind !== "enum-member" && right.kind !== "integer-literal") return undefined;
  return new Set([right.value]);
}

function sameValues(left: ReadonlySet<number>, right: readonly number[]): boolean {
  const distinct = new Set(right);
  return left.size === distinct.size && [...left].every((value) => distinct.has(value));
}

/**
 * What remains of a clause once `arm` is known to be live: the IR writes a clause from inside
 * a switch case as `!(d == v...) || condition` (or `d == others... || condition` for a default
 * case), and inside that case only `condition` needs testing. Undefined when the clause has
 * another shape.
 */
function conditionUnderArm(expression: IrExpression, discriminantPath: readonly string[], union: IrUnionType, arm: IrUnionArm): IrExpression | undefined {
  if (expression.kind !== "binary" || expression.operator !== "||") return undefined;
  const guard = expression.left;
  if (arm.isDefault) {
    const tested = discriminantValuesTestedBy(guard, discriminantPath);
    const othersValues = union.arms.filter((other) => !other.isDefault).flatMap((other) => other.discriminantValues);
    return tested !== undefined && sameValues(tested, othersValues) ? expression.right : undefined;
  }
  if (guard.kind !== "unary" || guard.operator !== "!") return undefined;
  const tested = discriminantValuesTestedBy(guard.operand, discriminantPath);
  return tested !== undefined && sameValues(tested, arm.discriminantValues) ? expression.right : undefined;
}

function writeUnionDecode(
  writer: DecoderWriter,
  site: RecordSite,
  field: IrField,
  union: IrUnionType,
  layout: IrFieldLayout,
  decoded: DecodedLocals,
  checkedInArms: Set<IrValidationClause> | undefined,
): string {
  const { context } = writer;
  const holder = writer.locals.fresh("variant");
  const discriminantKey = [...site.keyPrefix, union.discriminantField];
  const discriminant = decoded.lookup(discriminantKey) ?? writeFieldAccess(site.target, [union.discriminantField]);
  const path = pathOfField(site.path, field.name);
  const cases = union.arms.map((arm) => {
    const labels = arm.isDefault ? "default:" : arm.discriminantValues.map((value) => `case ${writeDiscriminantCase(context, site.record, union, value)}:`).join("\n");
    const armProperty = propertyNameOf(arm.armName);
    const armTarget = writer.locals.fresh("arm");
    const armDecoded = decoded.openBlock();
    const armSite: RecordSite = {
      record: context.record(arm.recordName),
      base: site.base,
      constantOffset: site.constantOffset + layout.offset,
      target: armTarget,
      path: appendToPathExpression(path, arm.armName),
      keyPrefix: [...site.keyPrefix, field.name, arm.armName],
    };
    const lines = [labels + " {", `${holder}.${unionArmTagProperty} = ${JSON.stringify(armProperty)};`];
    if (callsNestedDecoder(writer, arm.recordName)) {
      lines.push(writeNestedDecoderCall(writer, arm.recordName, offsetPlus(site.base, site.constantOffset + layout.offset), `${holder}.${armProperty}`, armSite.path ?? path));
    } else {
      lines.push(`const ${armTarget} = ${holder}.${armProperty};`, ...writeRecordDecode(writer, armSite, armDecoded));
    }
    if (checkedInArms !== undefined) {
      const resolveField = armDecoded.resolverAt(site.keyPrefix);
      for (const clause of site.record.clauses) {
        const condition = conditionUnderArm(clause.expression, [union.discriminantField], union, arm);
        if (condition === undefined) continue;
        lines.push(writeClauseCheck(context, clause, condition, site.target, site.path, resolveField));
        checkedInArms.add(clause);
      }
    }
    lines.push("break;", "}");
    return lines.join("\n");
  });
  const hasDefault = union.arms.some((arm) => arm.isDefault);
  const fallback = hasDefault ? "" : `default:\nreturn new CodecError("discriminant-unknown", ${JSON.stringify(union.discriminantField)}, ${discriminant});`;
  return `const ${holder} = ${writeFieldAccess(site.target, [field.name])};\nswitch (${discriminant}) {\n${cases.join("\n")}\n${fallback}\n}`;
}

function emitEncoder(context: EmitContext, record: IrRecord, abi: IrLayoutAbi): FunctionDeclarationStructure {
  const locals = new LocalNames();
  const recordLayout = record.layouts[abi];
  const body: string[] = [writeSizeGuard(context, recordLayout.size)];
  for (const { field, index } of fieldsInCodecOrder(record)) {
    const layout = fieldLayoutOf(record, abi, index);
    const source = writeFieldAccess("value", [field.name]);
    const path = JSON.stringify(field.name);
    const type = field.type;
    switch (type.kind) {
      case "integer":
      case "bool":
      case "enum":
      case "resource":
        body.push(writeScalarEncode(context, type, source, at(layout.offset), path));
        break;
      case "record":
        body.push(writeNestedEncode(type.recordName, abi, source, at(layout.offset), path));
        break;
      case "array": {
        const count = locals.fresh("count");
        const elements = locals.fresh("elements");
        const stride = layout.stride ?? 0;
        const elementAt = at(layout.offset, ` + index * ${stride}`);
        const elementPath = `\`${field.name}[\${index}]\``;
        const element =
          type.element.kind === "record"
            ? writeNestedEncode(type.element.recordName, abi, `${elements}[index]!`, elementAt, elementPath)
            : writeScalarEncode(context, type.element, `${elements}[index]!`, elementAt, elementPath);
        const lines = [
          `const ${count} = ${type.countField === undefined ? String(type.capacity) : writeFieldAccess("value", [type.countField])};`,
          `const ${elements} = ${source};`,
        ];
        if (type.countField !== undefined) {
          lines.push(`if (${count} > ${type.capacity}) return new CodecError("count-exceeds-capacity", ${path}, ${count});`);
        }
        lines.push(writeLoop(count, element));
        if (type.countField !== undefined) {
          context.imports.useValue("zeroBytes");
          lines.push(`zeroBytes(view, ${at(layout.offset, ` + ${count} * ${stride}`)}, (${type.capacity} - ${count}) * ${stride});`);
        }
        body.push(lines.join("\n"));
        break;
      }
      case "union":
        body.push(writeUnionEncode(context, record, field, type, abi, layout));
        break;
      default:
        assertNever(type);
    }
  }
  for (const padding of recordLayout.padding) {
    context.imports.useValue("zeroBytes");
    body.push(`zeroBytes(view, ${at(padding.offset)}, ${padding.length});`);
  }
  body.push("return undefined;");
  return {
    kind: StructureKind.Function,
    name: encodeFunctionNameOf(record.name, abi),
    isExported: true,
    docs: [
      `Encodes \`${record.name}\` (${abi} layout, ${recordLayout.size} bytes) into \`view\` at \`offset\`, padding zeroed; returns why it was refused, if it was.`,
    ],
    parameters: [
      { name: "value", type: typeNameOf(record.name) },
      { name: "view", type: "DataView" },
      { name: "offset", type: "number" },
    ],
    returnType: "CodecError | undefined",
    statements: [body.join("\n")],
  };
}

function writeScalarEncode(context: EmitContext, type: IrScalarType, source: string, offset: string, path: string): string {
  switch (type.kind) {
    case "resource":
      context.imports.useValue("fitsUnsigned");
      return [
        `if (!fitsUnsigned(${source}, 4)) return new CodecError("integer-out-of-range", ${path}, ${source});`,
        `view.setUint32(${offset}, ${source}, true);`,
      ].join("\n");
    case "bool":
      return `view.setUint8(${offset}, ${source} ? 1 : 0);`;
    case "integer":
      return writeIntegerEncode(context, type.width, type.signed, source, offset, path);
    case "enum": {
      const enumeration = context.enumeration(type.enumName);
      // Every member of an enum fits its width (the analyzer checks that), so the guard is the range check.
      const write =
        enumeration.width === 8
          ? `${useWideWriter(context, enumeration.signed)}(view, ${offset}, ${source});`
          : `view.set${integerAccessorOf(enumeration.width, enumeration.signed)}(${offset}, ${source}${enumeration.width === 1 ? "" : ", true"});`;
      return [`if (!${enumGuardNameOf(type.enumName)}(${source})) return new CodecError("enum-value-unknown", ${path}, ${source});`, write].join("\n");
    }
    default:
      return assertNever(type);
  }
}

function writeIntegerEncode(context: EmitContext, width: 1 | 2 | 4 | 8, signed: boolean, source: string, offset: string, path: string): string {
  if (width === 8) {
    const check = signed ? "fitsSigned64" : "fitsUnsigned64";
    const writer = signed ? "writeSigned64" : "writeUnsigned64";
    context.imports.useValue(check);
    context.imports.useValue(writer);
    return [
      `if (!${check}(${source})) return new CodecError("integer-out-of-range", ${path}, ${source});`,
      `${writer}(view, ${offset}, ${source});`,
    ].join("\n");
  }
  const check = signed ? "fitsSigned" : "fitsUnsigned";
  context.imports.useValue(check);
  const littleEndian = width === 1 ? "" : ", true";
  return [
    `if (!${check}(${source}, ${width})) return new CodecError("integer-out-of-range", ${path}, ${source});`,
    `view.set${integerAccessorOf(width, signed)}(${offset}, ${source}${littleEndian});`,
  ].join("\n");
}

function useWideWriter(context: EmitContext, signed: boolean): string {
  const writer = signed ? "writeSigned64" : "writeUnsigned64";
  context.imports.useValue(writer);
  return writer;
}

function writeNestedEncode(recordName: string, abi: IrLayoutAbi, source: string, offset: string, path: string): string {
  const encoder = encodeFunctionNameOf(recordName, abi);
  return `{\nconst error = ${encoder}(${source}, view, ${offset});\nif (error !== undefined) return error.withPathPrefix(${path});\n}`;
}

function writeUnionEncode(context: EmitContext, record: IrRecord, field: IrField, union: IrUnionType, abi: IrLayoutAbi, layout: IrFieldLayout): string {
  const holder = writeFieldAccess("value", [field.name]);
  const discriminant = writeFieldAccess("value", [union.discriminantField]);
  const cases = union.arms.map((arm) => {
    const armProperty = propertyNameOf(arm.armName);
    const armSize = context.record(arm.recordName).layouts[abi].size;
    // The default arm is right for every value the other arms do not claim.
    const claimedValues = arm.isDefault ? union.arms.filter((other) => !other.isDefault).flatMap((other) => other.discriminantValues) : arm.discriminantValues;
    const comparisons = claimedValues.map((value) => `${discriminant} === ${writeDiscriminantCase(context, record, union, value)}`).join(" || ");
    const mismatch = arm.isDefault ? comparisons : comparisons === "" ? "true" : `!(${comparisons})`;
    const lines = [`case ${JSON.stringify(armProperty)}: {`];
    if (mismatch !== "") {
      lines.push(`if (${mismatch}) return new CodecError("discriminant-mismatch", ${JSON.stringify(union.discriminantField)}, ${discriminant});`);
    }
    lines.push(
      writeNestedEncode(arm.recordName, abi, `${holder}.${armProperty}`, at(layout.offset), JSON.stringify(`${field.name}.${arm.armName}`)),
    );
    if (layout.size > armSize) {
      context.imports.useValue("zeroBytes");
      lines.push(`zeroBytes(view, ${at(layout.offset + armSize)}, ${layout.size - armSize});`);
    }
    lines.push("break;", "}");
    return lines.join("\n");
  });
  // The default is unreachable for well-typed callers; it keeps a stale union area from being sent.
  const fallback = `default:\nreturn new CodecError("discriminant-mismatch", ${JSON.stringify(field.name)}, ${holder}.${unionArmTagProperty});`;
  return `switch (${holder}.${unionArmTagProperty}) {\n${cases.join("\n")}\n${fallback}\n}`;
}
