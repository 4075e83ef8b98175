// Pieces shared by the decoder and validator emitters: which records are inlined, how field
// paths grow, and how `where` clauses are written as checks that build a ValidationError.
import type { IrExpression } from "../ir/expression.js";
import type { IrRecord, IrValidationClause } from "../ir/protocol.js";
import type { EmitContext } from "./emit-context.js";
import { writeExpression, writeFieldAccess, type FieldValueResolver } from "./emit-expression.js";

/** Records of scalars only are decoded and checked inline by the records that contain them. */
export function isScalarOnlyRecord(record: IrRecord): boolean {
  return record.fields.every((field) => field.type.kind !== "record" && field.type.kind !== "array" && field.type.kind !== "union");
}

/** Extends a path expression (a string literal or a template literal) by one field name. */
export function appendToPathExpression(path: string, fieldName: string): string {
  if (path.startsWith("`")) return `${path.slice(0, -1)}.${fieldName}\``;
  const prefix = JSON.parse(path) as string;
  return JSON.stringify(prefix === "" ? fieldName : `${prefix}.${fieldName}`);
}

/**
 * One `if` per clause of `record`, over the value in `valueExpression`. `pathPrefix` is a path
 * expression (string or template literal) for nested values, undefined at the top level.
 */
export function writeClauseChecks(context: EmitContext, record: IrRecord, valueExpression: string, pathPrefix: string | undefined, resolveField?: FieldValueResolver): string[] {
  return record.clauses.map((clause) => writeClauseCheck(context, clause, clause.expression, valueExpression, pathPrefix, resolveField));
}

/**
 * The `if` for one clause, testing `condition` (the clause's expression, or what is left of it
 * once a decoder has established the guard) and reporting the clause when it is false.
 */
export function writeClauseCheck(
  context: EmitContext,
  clause: IrValidationClause,
  condition: IrExpression,
  valueExpression: string,
  pathPrefix: string | undefined,
  resolveField?: FieldValueResolver,
): string {
  context.imports.useValue("ValidationError");
  const span = `{ file: ${JSON.stringify(clause.span.file)}, start: ${clause.span.start}, end: ${clause.span.end} }`;
  const relativePath = clause.fieldPath.join(".");
  const path = pathPrefix === undefined ? JSON.stringify(relativePath) : relativePath === "" ? pathPrefix : appendToPathExpression(pathPrefix, relativePath);
  const value = clause.fieldPath.length === 0 ? "false" : (resolveField?.(clause.fieldPath) ?? writeFieldAccess(valueExpression, clause.fieldPath));
  return (
    `if (!(${writeExpression(condition, valueExpression, context.imports, resolveField)})) {\n` +
    `return new ValidationError(${JSON.stringify(clause.clauseId)}, ${path}, ${value}, ${span});\n}`
  );
}

