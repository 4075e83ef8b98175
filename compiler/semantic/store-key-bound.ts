// The static upper bound of a store key's value, read off its constraint (`value <= N`,
// `value < N`, `value in a..b`, and conjunctions): quantifiers over such keys stay bounded.
import type { Expression } from "../syntax/ast.js";
import { constantFolderFor } from "./analyze-declarations.js";
import { DiagnosticSink } from "./diagnostic-sink.js";
import type { StoreKeyModel } from "./model.js";
import type { ProtocolContext } from "./protocol-context.js";

export function storeKeyUpperBound(context: ProtocolContext, key: StoreKeyModel): number | undefined {
  if (key.constraint === undefined) return undefined;
  return boundFromConstraint(context, key.constraint);
}

function boundFromConstraint(context: ProtocolContext, condition: Expression): number | undefined {
  let expression = condition;
  while (expression.kind === "ParenthesizedExpression") expression = expression.expression;
  if (expression.kind !== "BinaryExpression") return undefined;
  if (expression.operator === "&&") {
    const left = boundFromConstraint(context, expression.left);
    const right = boundFromConstraint(context, expression.right);
    if (left === undefined) return right;
    if (right === undefined) return left;
    return Math.min(left, right);
  }
  const isValue = (side: Expression): boolean => side.kind === "NameExpression" && side.name.text === "value";
  if (!isValue(expression.left)) return undefined;
  const fold = (side: Expression): number | undefined => {
    const scratch = new DiagnosticSink();
    const folded = constantFolderFor(context, scratch).fold(side);
    return folded === undefined || folded.kind !== "integer" || scratch.diagnostics.length > 0 ? undefined : Number(folded.value);
  };
  if (expression.operator === "<=") return fold(expression.right);
  if (expression.operator === "<") {
    const bound = fold(expression.right);
    return bound === undefined ? undefined : bound - 1;
  }
  if (expression.operator === "in" && expression.right.kind === "RangeExpression") {
    const bound = fold(expression.right.end);
    return bound === undefined ? undefined : expression.right.inclusive ? bound : bound - 1;
  }
  return undefined;
}
