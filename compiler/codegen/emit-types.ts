// Emits the declarations drivers program against: constants, enums (a const object, a type
// and a guard), one interface per record, one arm-holder interface per union field, and a
// `create` function that allocates a zeroed value once so decoders can reuse it.
import {
  StructureKind,
  VariableDeclarationKind,
  type FunctionDeclarationStructure,
  type InterfaceDeclarationStructure,
  type StatementStructures,
  type TypeAliasDeclarationStructure,
  type VariableStatementStructure,
} from "ts-morph";
import { assertNever } from "../ir/expression.js";
import type { IrEnum, IrField, IrFieldType, IrRecord } from "../ir/protocol.js";
import { enumMemberNameForValue, type EmitContext } from "./emit-context.js";
import {
  constantNameOf,
  createFunctionNameOf,
  enumGuardNameOf,
  propertyNameOf,
  typeNameOf,
  unionArmTagProperty,
  unionHolderNameOf,
} from "./names.js";

/** The protocol's name and version, and the hash of the spec it was generated from (`sha256:<hex>`). */
export function emitProtocolIdentity(context: EmitContext, specHashConstant: string): StatementStructures[] {
  const identity: VariableStatementStructure[] = [
    exportedConstant("protocolName", JSON.stringify(context.protocol.name)),
    exportedConstant("protocolVersion", String(context.protocol.version)),
    exportedConstant("specHash", JSON.stringify(specHashConstant)),
  ];
  return identity;
}

export function emitConstants(context: EmitContext): StatementStructures[] {
  return context.protocol.constants.map((constant) => exportedConstant(constantNameOf(constant.name), String(constant.value)));
}

export function emitEnums(context: EmitContext): StatementStructures[] {
  return context.protocol.enums.flatMap((enumeration) => emitEnum(context, enumeration));
}

function emitEnum(context: EmitContext, enumeration: IrEnum): StatementStructures[] {
  if (enumeration.isFlags) context.imports.useValue("bitwiseAnd");
  const name = typeNameOf(enumeration.name);
  const members = enumeration.members.map((member) => `${propertyNameOf(member.name)}: ${member.value},`).join("\n");
  const object = exportedConstant(name, `{\n${members}\n} as const`);
  const type: TypeAliasDeclarationStructure = {
    kind: StructureKind.TypeAlias,
    name,
    isExported: true,
    // A flags value is any combination of member bits, so it is a number, not a union of members.
    type: enumeration.isFlags ? "number" : enumeration.members.length === 0 ? "never" : `(typeof ${name})[keyof typeof ${name}]`,
  };
  if (enumeration.isFlags) {
    const mask = enumeration.members.reduce((combined, member) => combined | BigInt(member.value), 0n);
    const flagsGuard: FunctionDeclarationStructure = {
      kind: StructureKind.Function,
      name: enumGuardNameOf(enumeration.name),
      isExported: true,
      docs: [`Whether \`value\` sets no bits outside the members of ${enumeration.name}.`],
      parameters: [{ name: "value", type: "number" }],
      returnType: `value is ${name}`,
      statements: [`return bitwiseAnd(value, ${mask.toString()}) === value;`],
    };
    return [object, type, flagsGuard];
  }
  // A switch over literal cases compiles to a jump table, so decoders check membership in fixed time.
  const distinctValues = [...new Set(enumeration.members.map((member) => member.value))].sort((left, right) => left - right);
  const guard: FunctionDeclarationStructure = {
    kind: StructureKind.Function,
    name: enumGuardNameOf(enumeration.name),
    isExported: true,
    parameters: [{ name: "value", type: "number" }],
    returnType: `value is ${name}`,
    statements:
      distinctValues.length === 0
        ? ["return false;"]
        : [`switch (value) {\n${distinctValues.map((value) => `case ${value}:`).join("\n")}\nreturn true;\ndefault:\nreturn false;\n}`],
  };
  return [object, type, guard];
}

export function emitRecordTypes(context: EmitContext): StatementStructures[] {
  return context.protocol.records.flatMap((record) => emitRecordType(context, record));
}

function emitRecordType(context: EmitContext, record: IrRecord): StatementStructures[] {
  const statements: StatementStructures[] = [];
  for (const field of record.fields) {
    if (field.type.kind !== "union") continue;
    const arms = field.type.arms;
    const holder: InterfaceDeclarationStructure = {
      kind: StructureKind.Interface,
      name: unionHolderNameOf(record.name, field.name),
      isExported: true,
      docs: [`The arms of union \`${record.name}.${field.name}\`; \`${unionArmTagProperty}\` names the live one, selected by \`${field.type.discriminantField}\`.`],
      properties: [
        { name: unionArmTagProperty, type: arms.map((arm) => JSON.stringify(propertyNameOf(arm.armName))).join(" | ") || "never" },
        ...arms.map((arm) => ({ name: propertyNameOf(arm.armName), type: typeNameOf(arm.recordName), isReadonly: true })),
      ],
    };
    statements.push(holder);
  }
  const recordInterface: InterfaceDeclarationStructure = {
    kind: StructureKind.Interface,
    name: typeNameOf(record.name),
    isExported: true,
    properties: record.fields.map((field) => ({
      name: propertyNameOf(field.name),
      type: writeFieldType(context, record, field),
      // Containers are allocated once by `create`; only their contents change.
      isReadonly: field.type.kind === "array" || field.type.kind === "union" || field.type.kind === "record",
    })),
  };
  statements.push(recordInterface);
  const create: FunctionDeclarationStructure = {
    kind: StructureKind.Function,
    name: createFunctionNameOf(record.name),
    isExported: true,
    docs: ["Allocates a zeroed value; decoders fill it in place, so allocate once and reuse it."],
    returnType: typeNameOf(record.name),
    statements: [
      `return {\n${record.fields.map((field) => `${propertyNameOf(field.name)}: ${writeInitialValue(context, record, field)},`).join("\n")}\n};`,
    ],
  };
  statements.push(create);
  return statements;
}

function writeFieldType(context: EmitContext, record: IrRecord, field: IrField): string {
  if (field.type.kind === "union") return unionHolderNameOf(record.name, field.name);
  return writeValueType(context, field.type);
}

function writeValueType(context: EmitContext, type: Exclude<IrFieldType, { kind: "union" }>): string {
  switch (type.kind) {
    case "integer":
      return "number";
    case "bool":
      return "boolean";
    case "enum":
      return typeNameOf(type.enumName);
    case "resource": {
      const name = type.resource === "grant" ? "GrantReference" : "EventChannelPort";
      context.imports.useType(name);
      return name;
    }
    case "record":
      return typeNameOf(type.recordName);
    case "array":
      return `${writeValueType(context, type.element)}[]`;
    default:
      return assertNever(type);
  }
}

/** The discriminant value that selects a union's first arm, if `field` is some union's discriminant. */
function firstArmDiscriminantOf(record: IrRecord, field: IrField): number | undefined {
  for (const candidate of record.fields) {
    if (candidate.type.kind === "union" && candidate.type.discriminantField === field.name) {
      return candidate.type.arms[0]?.discriminantValues[0];
    }
  }
  return undefined;
}

function writeInitialValue(context: EmitContext, record: IrRecord, field: IrField): string {
  const type = field.type;
  if (type.kind === "union") {
    const first = type.arms[0];
    const arms = type.arms.map((arm) => `${propertyNameOf(arm.armName)}: ${createFunctionNameOf(arm.recordName)}(),`).join("\n");
    return `{\n${unionArmTagProperty}: ${first === undefined ? "undefined as never" : JSON.stringify(propertyNameOf(first.armName))},\n${arms}\n}`;
  }
  const discriminant = firstArmDiscriminantOf(record, field);
  if (discriminant !== undefined) return writeScalarLiteral(context, type, discriminant);
  return writeZeroValue(context, type);
}

function writeScalarLiteral(context: EmitContext, type: IrFieldType, value: number): string {
  if (type.kind === "enum") {
    const member = enumMemberNameForValue(context.enumeration(type.enumName), value);
    if (member !== undefined) return `${typeNameOf(type.enumName)}.${propertyNameOf(member)}`;
  }
  return String(value);
}

function writeZeroValue(context: EmitContext, type: Exclude<IrFieldType, { kind: "union" }>): string {
  switch (type.kind) {
    case "integer":
    case "resource":
      return "0";
    case "bool":
      return "false";
    case "enum": {
      const enumeration = context.enumeration(type.enumName);
      if (enumeration.isFlags) return "0";
      const zero = enumeration.members.find((member) => member.value === 0) ?? enumeration.members[0];
      return zero === undefined ? "undefined as never" : `${typeNameOf(type.enumName)}.${propertyNameOf(zero.name)}`;
    }
    case "record":
      return `${createFunctionNameOf(type.recordName)}()`;
    case "array": {
      const element = type.element;
      if (element.kind === "record") return `Array.from({ length: ${type.capacity} }, () => ${createFunctionNameOf(element.recordName)}())`;
      return `new Array<${writeValueType(context, element)}>(${type.capacity}).fill(${writeZeroValue(context, element)})`;
    }
    default:
      return assertNever(type);
  }
}

function exportedConstant(name: string, initializer: string): VariableStatementStructure {
  return {
    kind: StructureKind.VariableStatement,
    declarationKind: VariableDeclarationKind.Const,
    isExported: true,
    declarations: [{ name, initializer }],
  };
}

export { exportedConstant };
