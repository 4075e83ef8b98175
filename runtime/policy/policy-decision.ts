// The answer to every policy query: allowed or not, the rule that decided, and a sentence
// saying why. Decisions are immutable values; the engine precomputes the common ones.

/** The kinds of rule that can decide a query; the audit log and the docs use these names. */
export type PolicyRuleKind =
  | "rbac-permission"
  | "type-enforcement"
  | "chinese-wall"
  | "colour-group"
  | "domain-limit"
  | "default-deny";

export interface PolicyDecision {
  readonly allowed: boolean;
  /** Stable identifier of the deciding rule, e.g. `rbac-permission:toolstack/vbd/connect`. */
  readonly rule: string;
  readonly ruleKind: PolicyRuleKind;
  readonly reason: string;
}

export function createPolicyDecision(allowed: boolean, ruleKind: PolicyRuleKind, ruleName: string, reason: string): PolicyDecision {
  return Object.freeze({ allowed, rule: `${ruleKind}:${ruleName}`, ruleKind, reason });
}
