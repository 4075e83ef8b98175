// Constant folding: evaluates constant expressions exactly (bigint) and reports overflow past
// 64 bits, division by zero, bad shifts, and anything that is not a compile-time constant.
import type { Expression, Identifier } from "../syntax/ast.js";
import type { DiagnosticSink } from "./diagnostic-sink.js";

export interface FoldedValue {
  readonly kind: "integer" | "duration";
  readonly value: bigint;
}

/** The widest range any 64-bit C integer can hold: i64 minimum to u64 maximum. */
export const minimumSixtyFourBitValue = -(1n << 63n);
export const maximumSixtyFourBitValue = (1n << 64n) - 1n;

/** How the folder looks up names; `undefined` means "not a constant" (the caller reported why, or will). */
export interface ConstantNameResolver {
  /** A bare name: a constant. Returns "unknown" when nothing of that name exists. */
  resolveName(name: Identifier): FoldedValue | "unknown" | "not-constant" | "failed";
  /** `Enum.member` (or `Protocol.CONSTANT`). */
  resolveMember(objectName: Identifier, member: Identifier): FoldedValue | "unknown" | "not-constant" | "failed";
}

export class ConstantFolder {
  constructor(
    private readonly sink: DiagnosticSink,
    private readonly resolver: ConstantNameResolver,
    private readonly describeUnknown: (name: Identifier) => string,
  ) {}

  /** Folds `expression`; returns undefined after reporting a diagnostic (or when a dependency failed). */
  fold(expression: Expression): FoldedValue | undefined {
    switch (expression.kind) {
      case "IntegerLiteral":
        return this.checkRange({ kind: "integer", value: expression.value }, expression);
      case "DurationLiteral":
        return { kind: "duration", value: expression.nanoseconds };
      case "ParenthesizedExpression":
        return this.fold(expression.expression);
      case "NameExpression": {
        const resolved = this.resolver.resolveName(expression.name);
        return this.fromResolution(resolved, expression, expression.name);
      }
      case "MemberExpression": {
        if (expression.object.kind !== "NameExpression") return this.notConstant(expression);
        const resolved = this.resolver.resolveMember(expression.object.name, expression.member);
        return this.fromResolution(resolved, expression, expression.member);
      }
      case "UnaryExpression": {
        const operand = this.fold(expression.operand);
        if (operand === undefined) return undefined;
        if (expression.operator === "!") return this.notConstant(expression);
        if (operand.kind === "duration") return this.typeError(expression, `operator '${expression.operator}' does not apply to a duration`);
        const value = expression.operator === "-" ? -operand.value : ~operand.value;
        return this.checkRange({ kind: "integer", value }, expression);
      }
      case "BinaryExpression":
        return this.foldBinary(expression);
      default:
        return this.notConstant(expression);
    }
  }

  private fromResolution(resolved: FoldedValue | "unknown" | "not-constant" | "failed", expression: Expression, name: Identifier): FoldedValue | undefined {
    if (resolved === "failed") return undefined;
    if (resolved === "unknown") {
      this.sink.report("PD2001", name.span, this.describeUnknown(name));
      return undefined;
    }
    if (resolved === "not-constant") return this.notConstant(expression);
    return resolved;
  }

  private foldBinary(expression: Extract<Expression, { kind: "BinaryExpression" }>): FoldedValue | undefined {
    const left = this.fold(expression.left);
    const right = this.fold(expression.right);
    if (left === undefined || right === undefined) return undefined;
    const operator = expression.operator;
    const durations = left.kind === "duration" || right.kind === "duration";
    if (durations) {
      // Durations add and subtract with durations, and scale by integers; nothing else.
      if ((operator === "+" || operator === "-") && left.kind === "duration" && right.kind === "duration") {
        return this.checkRange({ kind: "duration", value: operator === "+" ? left.value + right.value : left.value - right.value }, expression);
      }
      if (operator === "*" && left.kind !== right.kind) return this.checkRange({ kind: "duration", value: left.value * right.value }, expression);
      if (operator === "/" && left.kind === "duration" && right.kind === "integer") {
        if (right.value === 0n) return this.divisionByZero(expression);
        return { kind: "duration", value: left.value / right.value };
      }
      return this.typeError(expression, `operator '${operator}' does not combine ${left.kind} and ${right.kind} in a constant`);
    }
    const a = left.value;
    const b = right.value;
    let value: bigint;
    switch (operator) {
      case "+": value = a + b; break;
      case "-": value = a - b; break;
      case "*": value = a * b; break;
      case "/":
        if (b === 0n) return this.divisionByZero(expression);
        value = a / b;
        break;
      case "%":
        if (b === 0n) return this.divisionByZero(expression);
        value = a % b;
        break;
      case "<<":
      case ">>":
        if (b < 0n || b >= 64n) {
          this.sink.report("PD2014", expression.right.span, `shift amount ${b} is outside 0 .. 63`);
          return undefined;
        }
        value = operator === "<<" ? a << b : a >> b;
        break;
      case "&": value = a & b; break;
      case "|": value = a | b; break;
      case "^": value = a ^ b; break;
      default:
        return this.notConstant(expression);
    }
    return this.checkRange({ kind: "integer", value }, expression);
  }

  private checkRange(value: FoldedValue, expression: Expression): FoldedValue | undefined {
    if (value.value < minimumSixtyFourBitValue || value.value > maximumSixtyFourBitValue) {
      this.sink.report("PD2010", expression.span, `constant value ${value.value} does not fit in 64 bits`, {
        notes: ["constants are exact but must stay within -2^63 .. 2^64-1 at every step"],
      });
      return undefined;
    }
    return value;
  }

  private divisionByZero(expression: Extract<Expression, { kind: "BinaryExpression" }>): undefined {
    this.sink.report("PD2011", expression.span, `constant expression ${expression.operator === "%" ? "takes a remainder" : "divides"} by zero`);
    return undefined;
  }

  private notConstant(expression: Expression): undefined {
    this.sink.report("PD2012", expression.span, "this expression must be a compile-time constant (literals, constants, enum members and arithmetic only)");
    return undefined;
  }

  private typeError(expression: Expression, message: string): undefined {
    this.sink.report("PD2030", expression.span, message);
    return undefined;
  }
}
