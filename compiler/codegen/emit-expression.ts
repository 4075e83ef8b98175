// Writes an IR expression as TypeScript source. Integer operators that JavaScript would
// truncate to 32 bits (bitwise, shifts) or round (division) go through runtime helpers.
import { assertNever, type IrExpression } from "../ir/expression.js";
import { constantNameOf, propertyNameOf, typeNameOf } from "./names.js";
import type { RuntimeImports } from "./runtime-imports.js";

const helperOfOperator: Readonly<Partial<Record<string, string>>> = {
  "/": "integerDivide",
  "%": "integerRemainder",
  "&": "bitwiseAnd",
  "|": "bitwiseOr",
  "^": "bitwiseXor",
  "<<": "shiftLeft",
  ">>": "shiftRight",
};

const javaScriptOperatorOf: Readonly<Partial<Record<string, string>>> = {
  "==": "===",
  "!=": "!==",
};

/**
 * Where a field path already has a value in a local: decoders pass one so that a clause checked
 * during decoding reads the local it just decoded instead of loading the property back.
 */
export type FieldValueResolver = (path: readonly string[]) => string | undefined;

/**
 * A constant or enum member written as its value with its name in a comment. V8 reads a
 * module-level binding through a context load and a hole check (and an enum member through a
 * further property load) every time, where a literal costs nothing and lets a `switch` over
 * the values become a jump table; the comment keeps the generated code readable.
 */
export function writeNamedLiteral(value: number, name: string): string {
  return `${value} /* ${name} */`;
}

/** `valueExpression` is the TypeScript expression holding the record the field paths start from. */
export function writeExpression(expression: IrExpression, valueExpression: string, imports: RuntimeImports, resolveField?: FieldValueResolver): string {
  switch (expression.kind) {
    case "integer-literal":
      return String(expression.value);
    case "boolean-literal":
      return expression.value ? "true" : "false";
    case "field":
      return resolveField?.(expression.path) ?? writeFieldAccess(valueExpression, expression.path);
    case "constant":
      return writeNamedLiteral(expression.value, constantNameOf(expression.name));
    case "enum-member":
      return writeNamedLiteral(expression.value, `${typeNameOf(expression.enumName)}.${propertyNameOf(expression.memberName)}`);
    case "unary":
      return `${expression.operator}(${writeExpression(expression.operand, valueExpression, imports, resolveField)})`;
    case "binary": {
      const left = writeExpression(expression.left, valueExpression, imports, resolveField);
      const right = writeExpression(expression.right, valueExpression, imports, resolveField);
      const helper = helperOfOperator[expression.operator];
      if (helper !== undefined) {
        imports.useValue(helper);
        return `${helper}(${left}, ${right})`;
      }
      const operator = javaScriptOperatorOf[expression.operator] ?? expression.operator;
      return `(${left}) ${operator} (${right})`;
    }
    default:
      return assertNever(expression);
  }
}

/** `value.body.rw.nrSegments` for the spec path `body.rw.nr_segments`. */
export function writeFieldAccess(valueExpression: string, path: readonly string[]): string {
  return [valueExpression, ...path.map(propertyNameOf)].join(".");
}
