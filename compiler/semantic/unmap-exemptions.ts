// Splits an invariant that requires unmapping (`... || unmapped_all(request)`) into the unmap
// requirement and its exemptions: every other disjunct must be a conjunction of boolean store
// keys (`role.key`, `!role.key`), the only form a monitor can evaluate from the store it watches.
import type { Span } from "../diagnostics/diagnostic.js";
import type { CallExpression, Expression } from "../syntax/ast.js";
import type { StoreKeyModel } from "./model.js";

/** One boolean store key of one role that must read `expected` for its exemption to hold. */
export interface UnmapExemptionKey {
  readonly role: string;
  readonly key: string;
  /** False for `!role.key`. */
  readonly expected: boolean;
  /** What the key reads as while it is absent: its declared default, false without one. */
  readonly valueWhenAbsent: boolean;
  readonly span: Span;
}

/**
 * What an invariant says about unmapping: nothing (`none`), an `unmapped_all(...)` requirement
 * relaxed while any one of `exemptions` (each a conjunction) holds, or a form the monitor cannot
 * evaluate (`unsupported`, with the span and sentence of the diagnostic).
 */
export type UnmapInvariantShape =
  | { readonly kind: "none" }
  | { readonly kind: "exempted"; readonly unmapCall: CallExpression; readonly exemptions: readonly (readonly UnmapExemptionKey[])[] }
  | { readonly kind: "unsupported"; readonly span: Span; readonly message: string };

/** What the split needs to know about roles and their store keys (the checker's context or the finished model). */
export interface UnmapStoreKeyLookup {
  isRole(name: string): boolean;
  findStoreKey(role: string, key: string): StoreKeyModel | undefined;
}

function unwrapParentheses(expression: Expression): Expression {
  let current = expression;
  while (current.kind === "ParenthesizedExpression") current = current.expression;
  return current;
}

function collectOperands(expression: Expression, operator: "||" | "&&", into: Expression[]): Expression[] {
  const unwrapped = unwrapParentheses(expression);
  if (unwrapped.kind === "BinaryExpression" && unwrapped.operator === operator) {
    collectOperands(unwrapped.left, operator, into);
    return collectOperands(unwrapped.right, operator, into);
  }
  into.push(unwrapped);
  return into;
}

function containsUnmappedAll(node: unknown): boolean {
  if (node === null || typeof node !== "object") return false;
  if (Array.isArray(node)) return node.some(containsUnmappedAll);
  const expression = node as Expression;
  if (expression.kind === "CallExpression" && expression.callee.text === "unmapped_all") return true;
  return Object.entries(node).some(([key, value]) => key !== "span" && containsUnmappedAll(value));
}

/** A declared boolean default (`= false`, `= true`, `= 0`, `= 1`); false when there is none. */
function readDefaultBoolean(key: StoreKeyModel): boolean {
  const value = key.defaultValue === undefined ? undefined : unwrapParentheses(key.defaultValue);
  if (value?.kind === "BooleanLiteral") return value.value;
  if (value?.kind === "IntegerLiteral") return value.value !== 0n;
  return false;
}

const supportedForm = "each disjunct beside `unmapped_all(...)` must be a conjunction of boolean store keys such as `frontend.feature-persistent` or `!backend.feature-x`";

function readExemptionKey(atom: Expression, lookup: UnmapStoreKeyLookup): UnmapExemptionKey | { readonly span: Span; readonly message: string } {
  let expected = true;
  let operand = atom;
  while (operand.kind === "UnaryExpression" && operand.operator === "!") {
    expected = !expected;
    operand = unwrapParentheses(operand.operand);
  }
  if (operand.kind !== "MemberExpression") return { span: atom.span, message: `the monitor cannot evaluate this exemption from unmapping: ${supportedForm}` };
  const object = unwrapParentheses(operand.object);
  if (object.kind !== "NameExpression" || !lookup.isRole(object.name.text)) {
    return { span: atom.span, message: `the monitor cannot evaluate this exemption from unmapping: ${supportedForm}` };
  }
  const role = object.name.text;
  const key = lookup.findStoreKey(role, operand.member.text);
  if (key === undefined || key.familyRange !== undefined || key.type.kind !== "scalar" || key.type.scalar !== "bool") {
    return { span: operand.span, message: `${role}.${operand.member.text} is not a boolean store key of ${role}, so the monitor cannot read it as an exemption from unmapping` };
  }
  return { role, key: key.name, expected, valueWhenAbsent: readDefaultBoolean(key), span: atom.span };
}

/** The unmap requirement of one invariant condition and the store-key exemptions that relax it. */
export function splitUnmapInvariant(condition: Expression, lookup: UnmapStoreKeyLookup): UnmapInvariantShape {
  if (!containsUnmappedAll(condition)) return { kind: "none" };
  const disjuncts = collectOperands(condition, "||", []);
  const calls = disjuncts.filter((disjunct): disjunct is CallExpression => disjunct.kind === "CallExpression" && disjunct.callee.text === "unmapped_all");
  const unmapCall = calls[0];
  if (unmapCall === undefined || calls.length > 1) {
    const misplaced = calls[1] ?? disjuncts.find(containsUnmappedAll) ?? condition;
    return {
      kind: "unsupported",
      span: misplaced.span,
      message: calls.length > 1 ? "`unmapped_all(...)` may be required only once in an invariant" : "`unmapped_all(...)` must be one whole disjunct of the invariant (`exemption || unmapped_all(request)`) for a monitor to check it",
    };
  }
  const exemptions: UnmapExemptionKey[][] = [];
  for (const disjunct of disjuncts) {
    if (disjunct === unmapCall) continue;
    const conjunction: UnmapExemptionKey[] = [];
    for (const atom of collectOperands(disjunct, "&&", [])) {
      const read = readExemptionKey(atom, lookup);
      if (!("role" in read)) return { kind: "unsupported", span: read.span, message: read.message };
      conjunction.push(read);
    }
    exemptions.push(conjunction);
  }
  return { kind: "exempted", unmapCall, exemptions };
}
