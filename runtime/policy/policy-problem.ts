// Stable codes for everything that can be wrong with a compiled policy when it is loaded,
// and the problem record that names the code, the JSON path and the source declaration.
import type { PolicySourceLocation } from "./policy-model.js";

/**
 * Runtime policy-load codes. They live in the runtime (which may not import the compiler's
 * registry) and use their own "PDP" prefix so they never collide with compiler codes.
 */
export const policyProblemCodes = {
  malformed: { code: "PDP100", slug: "policy-malformed" },
  formatVersion: { code: "PDP101", slug: "policy-format-version" },
  duplicateName: { code: "PDP102", slug: "policy-duplicate-name" },
  unknownType: { code: "PDP103", slug: "policy-unknown-type" },
  unknownLabel: { code: "PDP104", slug: "policy-unknown-label" },
  unknownRole: { code: "PDP105", slug: "policy-unknown-role" },
  unknownOperation: { code: "PDP106", slug: "policy-unknown-operation" },
  invalidName: { code: "PDP107", slug: "policy-invalid-name" },
  conflictSetTooSmall: { code: "PDP108", slug: "policy-conflict-set-too-small" },
  emptyColourGroup: { code: "PDP111", slug: "policy-empty-colour-group" },
  emptyOperations: { code: "PDP113", slug: "policy-empty-operations" },
  unknownMechanism: { code: "PDP114", slug: "policy-unknown-mechanism" },
  invalidPattern: { code: "PDP115", slug: "policy-invalid-pattern" },
} as const;
export type PolicyProblemKind = keyof typeof policyProblemCodes;

export interface PolicyProblem {
  readonly code: string;
  readonly slug: string;
  /** Where in the compiled data, e.g. `roles[1].permissions[0].operations[2]`. */
  readonly path: string;
  /** The declaration in the .proto-desc file, when the compiler recorded it. */
  readonly origin?: PolicySourceLocation;
  readonly message: string;
}

/** Renders one problem as a single line: `file:line:col: CODE message (at path)`. */
export function formatPolicyProblem(problem: PolicyProblem): string {
  const where = problem.origin === undefined ? "policy" : `${problem.origin.file}:${problem.origin.line}:${problem.origin.column}`;
  return `${where}: ${problem.code} ${problem.message} (at ${problem.path})`;
}

/** Thrown only by the convenience loader; carries every problem, not just the first. */
export class PolicyLoadError extends Error {
  readonly problems: readonly PolicyProblem[];
  constructor(problems: readonly PolicyProblem[]) {
    super(`policy rejected with ${problems.length} problem(s): ${problems.map(formatPolicyProblem).join("; ")}`);
    this.name = "PolicyLoadError";
    this.problems = problems;
  }
}
