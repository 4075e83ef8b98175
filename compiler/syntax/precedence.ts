// The binary operator table of the expression language (docs/language.md §3): precedence,
// associativity and the AST operator each token stands for. Lowering applies it.
import type { BinaryOperator } from "./ast.js";

export type Associativity = "left" | "right" | "none";

export interface OperatorInfo {
  /** Higher binds tighter. */
  readonly precedence: number;
  readonly associativity: Associativity;
  /** `..` and `..=` lower to RangeExpression, everything else to BinaryExpression. */
  readonly result: { readonly kind: "binary"; readonly operator: BinaryOperator } | { readonly kind: "range"; readonly inclusive: boolean };
}

function binary(precedence: number, associativity: Associativity, operator: BinaryOperator): OperatorInfo {
  return { precedence, associativity, result: { kind: "binary", operator } };
}

/** Keyed by the operator's source text. */
export const binaryOperators: ReadonlyMap<string, OperatorInfo> = new Map<string, OperatorInfo>([
  ["==>", binary(1, "right", "==>")],
  ["||", binary(2, "left", "||")],
  ["&&", binary(3, "left", "&&")],
  ["==", binary(4, "none", "==")],
  ["!=", binary(4, "none", "!=")],
  ["<", binary(4, "none", "<")],
  ["<=", binary(4, "none", "<=")],
  [">", binary(4, "none", ">")],
  [">=", binary(4, "none", ">=")],
  ["in", binary(4, "none", "in")],
  ["..", { precedence: 5, associativity: "none", result: { kind: "range", inclusive: false } }],
  ["..=", { precedence: 5, associativity: "none", result: { kind: "range", inclusive: true } }],
  ["|", binary(6, "left", "|")],
  ["^", binary(7, "left", "^")],
  ["&", binary(8, "left", "&")],
  ["<<", binary(9, "left", "<<")],
  [">>", binary(9, "left", ">>")],
  ["+", binary(10, "left", "+")],
  ["-", binary(10, "left", "-")],
  ["*", binary(11, "left", "*")],
  ["/", binary(11, "left", "/")],
  ["%", binary(11, "left", "%")],
]);
