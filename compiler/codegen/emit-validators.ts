// Emits one validator per record: every `where` clause in spec order, then the nested records,
// live array elements and the live union arm. The first failed clause is returned as a
// ValidationError with its clause id, field path, value and spec span.
import { StructureKind, type FunctionDeclarationStructure, type StatementStructures } from "ts-morph";
import type { IrRecord } from "../ir/protocol.js";
import type { EmitContext } from "./emit-context.js";
import { writeFieldAccess } from "./emit-expression.js";
import { isScalarOnlyRecord, writeClauseChecks } from "./emit-checks.js";
import { propertyNameOf, typeNameOf, unionArmTagProperty, validateFunctionNameOf } from "./names.js";

export function emitValidators(context: EmitContext): StatementStructures[] {
  return context.protocol.records.map((record) => emitValidator(context, record));
}

/** Whether a record or anything it contains has a clause; validators skip containers that have none. */
function needsValidation(context: EmitContext, record: IrRecord): boolean {
  if (record.clauses.length > 0) return true;
  return record.fields.some((field) => {
    const type = field.type;
    if (type.kind === "record") return needsValidation(context, context.record(type.recordName));
    if (type.kind === "array" && type.element.kind === "record") return needsValidation(context, context.record(type.element.recordName));
    if (type.kind === "union") return type.arms.some((arm) => needsValidation(context, context.record(arm.recordName)));
    return false;
  });
}

function emitValidator(context: EmitContext, record: IrRecord): FunctionDeclarationStructure {
  context.imports.useType("ValidationError");
  const body: string[] = writeClauseChecks(context, record, "value", undefined);
  let elementCounter = 0;
  const writeNested = (recordName: string, access: string, path: string): string => {
    const nested = context.record(recordName);
    if (isScalarOnlyRecord(nested)) {
      // Checked inline for the same reason decoders inline scalar records: the call is not reliably inlined.
      const local = `element${elementCounter++}`;
      return `{\nconst ${local} = ${access};\n${writeClauseChecks(context, nested, local, path).join("\n")}\n}`;
    }
    return writeNestedValidation(validateFunctionNameOf(recordName), access, path);
  };
  for (const field of record.fields) {
    const access = writeFieldAccess("value", [field.name]);
    const type = field.type;
    if (type.kind === "record") {
      if (needsValidation(context, context.record(type.recordName))) body.push(writeNested(type.recordName, access, JSON.stringify(field.name)));
    } else if (type.kind === "array" && type.element.kind === "record") {
      if (!needsValidation(context, context.record(type.element.recordName))) continue;
      const count = type.countField === undefined ? String(type.capacity) : `Math.min(${writeFieldAccess("value", [type.countField])}, ${type.capacity})`;
      const element = writeNested(type.element.recordName, `${access}[index]!`, `\`${field.name}[\${index}]\``);
      body.push(`for (let index = 0; index < ${count}; index++) ${element}`);
    } else if (type.kind === "union") {
      const cases = type.arms
        .filter((arm) => needsValidation(context, context.record(arm.recordName)))
        .map((arm) => {
          const armProperty = propertyNameOf(arm.armName);
          return `case ${JSON.stringify(armProperty)}:\n${writeNested(arm.recordName, `${access}.${armProperty}`, JSON.stringify(`${field.name}.${arm.armName}`))}\nbreak;`;
        });
      if (cases.length > 0) body.push(`switch (${access}.${unionArmTagProperty}) {\n${cases.join("\n")}\n}`);
    }
  }
  body.push("return undefined;");
  const readsValue = body.length > 1;
  return {
    kind: StructureKind.Function,
    name: validateFunctionNameOf(record.name),
    isExported: true,
    docs: [`Checks every \`where\` clause of \`${record.name}\` and of what it contains; returns the first that fails.`],
    parameters: [{ name: readsValue ? "value" : "_value", type: typeNameOf(record.name) }],
    returnType: "ValidationError | undefined",
    statements: [body.join("\n")],
  };
}

function writeNestedValidation(validator: string, access: string, path: string): string {
  return `{\nconst error = ${validator}(${access});\nif (error !== undefined) return error.withPathPrefix(${path});\n}`;
}
