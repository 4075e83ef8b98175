// The default value of a store key, as the stubs and the store key clause checks apply it when
// the key is absent: literals, constants and enum members only (anything else has no value at run time).
import type { ProtocolModel } from "../semantic/model.js";
import type { Expression } from "../syntax/ast.js";

/** A store key's default as a literal a run-time check can apply; defaults that are not literals, constants or enum members are left out. */
export function defaultValueOf(protocol: ProtocolModel, expression: Expression | undefined): number | boolean | string | undefined {
  if (expression === undefined) return undefined;
  switch (expression.kind) {
    case "BooleanLiteral":
      return expression.value;
    case "StringLiteral":
      return expression.value;
    case "IntegerLiteral":
      return expression.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(expression.value) : undefined;
    case "ParenthesizedExpression":
      return defaultValueOf(protocol, expression.expression);
    case "UnaryExpression": {
      const operand = defaultValueOf(protocol, expression.operand);
      return expression.operator === "-" && typeof operand === "number" ? -operand : undefined;
    }
    case "NameExpression": {
      const constant = protocol.constants.find((candidate) => candidate.name === expression.name.text && candidate.valueKind === "integer");
      return constant === undefined || constant.value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(constant.value);
    }
    case "MemberExpression": {
      if (expression.object.kind !== "NameExpression") return undefined;
      const enumName = expression.object.name.text;
      const member = protocol.enums.find((candidate) => candidate.name === enumName)?.members.find((candidate) => candidate.name === expression.member.text);
      return member === undefined ? undefined : Number(member.value);
    }
    default:
      return undefined;
  }
}
