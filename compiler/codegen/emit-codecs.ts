// Emits one decoder and one encoder per record and layout ABI. Decoders read a private copy
// through a DataView into a value allocated once by `create` (nothing is allocated unless the
// message is refused); encoders write every field and zero every padding byte, unused union
// tail and array slot past the live count.
import { StructureKind, type FunctionDeclarationStructure, type StatementStructures } from "ts-morph";
import { assertNever } from "../ir/expression.js";
import type { IrField, IrFieldLayout, IrLayoutAbi, IrRecord, IrScalarType, IrUnionType } from "../ir/protocol.js";
import { enumMemberNameForValue, type EmitContext } from "./emit-context.js";
import { appendToPathExpression, isScalarOnlyRecord, writeClauseChecks } from "./emit-checks.js";
import { writeFieldAccess } from "./emit-expression.js";
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

function emitDecoder(context: EmitContext, record: IrRecord, abi: IrLayoutAbi, mode: DecoderMode): FunctionDeclarationStructure {
  const locals = new LocalNames();
  const body: string[] = [writeSizeGuard(context, record.layouts[abi].size)];
  for (const { field, index } of fieldsInCodecOrder(record)) {
    const layout = fieldLayoutOf(record, abi, index);
    const target = writeFieldAccess("into", [field.name]);
    const path = JSON.stringify(field.name);
    const type = field.type;
    switch (type.kind) {
      case "integer":
      case "bool":
      case "enum":
      case "resource":
        body.push(writeScalarDecode(context, locals, type, at(layout.offset), target, path));
        break;
      case "record":
        body.push(writeNestedDecode(context, locals, mode, type.recordName, abi, at(layout.offset), target, path));
        break;
      case "array": {
        const count = locals.fresh("count");
        const elements = locals.fresh("elements");
        const elementAt = at(layout.offset, ` + index * ${layout.stride ?? 0}`);
        const elementPath = `\`${field.name}[\${index}]\``;
        const element =
          type.element.kind === "record"
            ? writeNestedDecode(context, locals, mode, type.element.recordName, abi, elementAt, `${elements}[index]!`, elementPath)
            : writeScalarDecode(context, locals, type.element, elementAt, `${elements}[index]`, elementPath);
        body.push(
          [
            `const ${count} = ${type.countField === undefined ? String(type.capacity) : writeFieldAccess("into", [type.countField])};`,
            type.countField === undefined
              ? ""
              : `if (${count} > ${type.capacity}) return new CodecError("count-exceeds-capacity", ${path}, ${count});`,
            `const ${elements} = ${target};`,
            writeLoop(count, element),
          ]
            .filter((line) => line !== "")
            .join("\n"),
        );
        break;
      }
      case "union":
        body.push(writeUnionDecode(context, locals, mode, record, field, type, abi, layout));
        break;
      default:
        assertNever(type);
    }
  }
  if (mode === "decode-validated") body.push(...writeClauseChecks(context, record, "into", undefined));
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

function integerAccessorOf(width: 1 | 2 | 4, signed: boolean): string {
  return `${signed ? "Int" : "Uint"}${width * 8}`;
}

/** Reads a scalar into a local, checks it, then stores it; errors carry the path expression. */
function writeScalarDecode(context: EmitContext, locals: LocalNames, type: IrScalarType, offset: string, target: string, path: string): string {
  const local = locals.fresh("raw");
  switch (type.kind) {
    case "resource":
      return `${target} = view.getUint32(${offset}, true);`;
    case "bool":
      return [
        `const ${local} = view.getUint8(${offset});`,
        `if (${local} > 1) return new CodecError("bool-not-zero-or-one", ${path}, ${local});`,
        `${target} = ${local} === 1;`,
      ].join("\n");
    case "integer": {
      if (type.width !== 8) {
        const littleEndian = type.width === 1 ? "" : ", true";
        return `${target} = view.get${integerAccessorOf(type.width, type.signed)}(${offset}${littleEndian});`;
      }
      return [writeWideRead(context, local, type.signed, offset, path), `${target} = ${local};`].join("\n");
    }
    case "enum": {
      const enumeration = context.enumeration(type.enumName);
      const read =
        enumeration.width === 8
          ? writeWideRead(context, local, enumeration.signed, offset, path)
          : `const ${local} = view.get${integerAccessorOf(enumeration.width, enumeration.signed)}(${offset}${enumeration.width === 1 ? "" : ", true"});`;
      return [
        read,
        `if (!${enumGuardNameOf(type.enumName)}(${local})) return new CodecError("enum-value-unknown", ${path}, ${local});`,
        `${target} = ${local};`,
      ].join("\n");
    }
    default:
      return assertNever(type);
  }
}

function writeWideRead(context: EmitContext, local: string, signed: boolean, offset: string, path: string): string {
  const reader = signed ? "readSigned64" : "readUnsigned64";
  const describer = signed ? "describeSigned64" : "describeUnsigned64";
  context.imports.useValue(reader);
  context.imports.useValue(describer);
  return [
    `const ${local} = ${reader}(view, ${offset});`,
    `if (Number.isNaN(${local})) return new CodecError("u64-above-safe-integer", ${path}, ${describer}(view, ${offset}));`,
  ].join("\n");
}

/**
 * Decodes a nested record. A record of scalars only is decoded inline: V8 does not reliably
 * inline the call, and the enclosing record's size guard already covers the nested bytes.
 */
function writeNestedDecode(context: EmitContext, locals: LocalNames, mode: DecoderMode, recordName: string, abi: IrLayoutAbi, offset: string, target: string, path: string): string {
  const record = context.record(recordName);
  if (isScalarOnlyRecord(record)) {
    const base = locals.fresh("base");
    const nested = locals.fresh("nested");
    const lines = [`const ${base} = ${offset};`, `const ${nested} = ${target};`];
    record.fields.forEach((field, index) => {
      const fieldOffset = fieldLayoutOf(record, abi, index).offset;
      lines.push(
        writeScalarDecode(context, locals, field.type as IrScalarType, `${base} + ${fieldOffset}`, writeFieldAccess(nested, [field.name]), appendToPathExpression(path, field.name)),
      );
    });
    if (mode === "decode-validated") lines.push(...writeClauseChecks(context, record, nested, path));
    return `{\n${lines.join("\n")}\n}`;
  }
  const decoder = decoderNameOf(recordName, abi, mode);
  return `{\nconst error = ${decoder}(view, ${offset}, ${target});\nif (error !== undefined) return error.withPathPrefix(${path});\n}`;
}

function writeDiscriminantCase(context: EmitContext, record: IrRecord, union: IrUnionType, value: number): string {
  const discriminant = record.fields.find((field) => field.name === union.discriminantField);
  if (discriminant?.type.kind === "enum") {
    const member = enumMemberNameForValue(context.enumeration(discriminant.type.enumName), value);
    if (member !== undefined) return `${typeNameOf(discriminant.type.enumName)}.${propertyNameOf(member)}`;
  }
  return String(value);
}

function writeUnionDecode(context: EmitContext, locals: LocalNames, mode: DecoderMode, record: IrRecord, field: IrField, union: IrUnionType, abi: IrLayoutAbi, layout: IrFieldLayout): string {
  const holder = writeFieldAccess("into", [field.name]);
  const defaultArm = union.arms.find((arm) => arm.isDefault);
  const cases = union.arms.map((arm) => {
    const labels = arm.isDefault ? "default:" : arm.discriminantValues.map((value) => `case ${writeDiscriminantCase(context, record, union, value)}:`).join("\n");
    const armProperty = propertyNameOf(arm.armName);
    return [
      labels + " {",
      `${holder}.${unionArmTagProperty} = ${JSON.stringify(armProperty)};`,
      writeNestedDecode(context, locals, mode, arm.recordName, abi, at(layout.offset), `${holder}.${armProperty}`, JSON.stringify(`${field.name}.${arm.armName}`)),
      "break;",
      "}",
    ].join("\n");
  });
  const discriminantPath = JSON.stringify(union.discriminantField);
  const discriminant = writeFieldAccess("into", [union.discriminantField]);
  const fallback = defaultArm === undefined ? `default:\nreturn new CodecError("discriminant-unknown", ${discriminantPath}, ${discriminant});` : "";
  return `switch (${discriminant}) {\n${cases.join("\n")}\n${fallback}\n}`;
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
