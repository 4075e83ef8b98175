// The IR's small expression language for `where` clauses and guards: fully resolved (constants
// and enum members carry their values), typed only as far as emitters need, kind-tagged.

export type IrBinaryOperator =
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "<<"
  | ">>"
  | "&"
  | "|"
  | "^"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "&&"
  | "||";

export type IrUnaryOperator = "!" | "-";

export interface IrIntegerLiteral {
  readonly kind: "integer-literal";
  readonly value: number;
}

export interface IrBooleanLiteral {
  readonly kind: "boolean-literal";
  readonly value: boolean;
}

/** A field of the record the clause belongs to; `path` descends through nested records and union arms. */
export interface IrFieldReference {
  readonly kind: "field";
  readonly path: readonly string[];
}

/** A named constant, already folded to its value; the name is kept so generated code reads well. */
export interface IrConstantReference {
  readonly kind: "constant";
  readonly name: string;
  readonly value: number;
}

export interface IrEnumMemberReference {
  readonly kind: "enum-member";
  readonly enumName: string;
  readonly memberName: string;
  readonly value: number;
}

export interface IrUnaryExpression {
  readonly kind: "unary";
  readonly operator: IrUnaryOperator;
  readonly operand: IrExpression;
}

export interface IrBinaryExpression {
  readonly kind: "binary";
  readonly operator: IrBinaryOperator;
  readonly left: IrExpression;
  readonly right: IrExpression;
}

export type IrExpression =
  | IrIntegerLiteral
  | IrBooleanLiteral
  | IrFieldReference
  | IrConstantReference
  | IrEnumMemberReference
  | IrUnaryExpression
  | IrBinaryExpression;

/** Every field path an expression reads, in first-occurrence order (used to name a failed clause's field). */
export function collectFieldPaths(expression: IrExpression): readonly (readonly string[])[] {
  const found: (readonly string[])[] = [];
  const seen = new Set<string>();
  const visit = (node: IrExpression): void => {
    switch (node.kind) {
      case "field": {
        const key = node.path.join(".");
        if (!seen.has(key)) {
          seen.add(key);
          found.push(node.path);
        }
        return;
      }
      case "unary":
        visit(node.operand);
        return;
      case "binary":
        visit(node.left);
        visit(node.right);
        return;
      case "integer-literal":
      case "boolean-literal":
      case "constant":
      case "enum-member":
        return;
      default:
        assertNever(node);
    }
  };
  visit(expression);
  return found;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected IR node: ${JSON.stringify(value)}`);
}
