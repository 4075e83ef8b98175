// Emits one validator per record: every `where` clause in spec order, then the nested records,
// live array elements and the live union arm. The first failed clause is returned as a
// ValidationError with its clause id, field path, value and spec span.
import { StructureKind, type FunctionDeclarationStructure, type StatementStructures } from "ts-morph";
import type { IrRecord } from "../ir/protocol.js";
import type { EmitContext } from "./emit-context.js";
import { writeExpression, writeFieldAccess } from "./emit-expression.js";
import { propertyNameOf, typeNameOf, unionArmTagProperty, validateFunctionNameOf } from "./names.js";

export function emitValidators(context: EmitContext): StatementStructures[] {
  return context.protocol.records.map((record) => emitValidator(context, record));
}

function emitValidator(context: EmitContext, record: IrRecord): FunctionDeclarationStructure {
  context.imports.useType("ValidationError");
  const body: string[] = [];
  for (const clause of record.clauses) {
    context.imports.useValue("ValidationError");
    const span = `{ file: ${JSON.stringify(clause.span.file)}, start: ${clause.span.start}, end: ${clause.span.end} }`;
    body.push(
      `if (!(${writeExpression(clause.expression, "value", context.imports)})) {\n` +
        `return new ValidationError(${JSON.stringify(clause.clauseId)}, ${JSON.stringify(clause.fieldPath.join("."))}, ${clause.fieldPath.length === 0 ? "false" : writeFieldAccess("value", clause.fieldPath)}, ${span});\n}`,
    );
  }
  for (const field of record.fields) {
    const access = writeFieldAccess("value", [field.name]);
    const type = field.type;
    if (type.kind === "record") {
      body.push(writeNestedValidation(validateFunctionNameOf(type.recordName), access, JSON.stringify(field.name)));
    } else if (type.kind === "array" && type.element.kind === "record") {
      const count = type.countField === undefined ? String(type.capacity) : `Math.min(${writeFieldAccess("value", [type.countField])}, ${type.capacity})`;
      const element = writeNestedValidation(validateFunctionNameOf(type.element.recordName), `${access}[index]!`, `\`${field.name}[\${index}]\``);
      body.push(`for (let index = 0; index < ${count}; index++) ${element}`);
    } else if (type.kind === "union") {
      const cases = type.arms.map((arm) => {
        const armProperty = propertyNameOf(arm.armName);
        return `case ${JSON.stringify(armProperty)}:\n${writeNestedValidation(validateFunctionNameOf(arm.recordName), `${access}.${armProperty}`, JSON.stringify(`${field.name}.${arm.armName}`))}\nbreak;`;
      });
      body.push(`switch (${access}.${unionArmTagProperty}) {\n${cases.join("\n")}\n}`);
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
