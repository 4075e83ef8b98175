// The compiled form of a host's access-control policy: plain readonly data, produced by the
// compiler from `policy` declarations and loaded by the decision engine (policy-engine.ts).

/**
 * Operations a principal may be permitted on a resource class (RBAC). The first five are
 * management operations asked for by a tool or domain; `provide` and `consume` are what a
 * domain may be in a connection (the language's `provide vbd` / `consume vbd`).
 */
export const policyOperations = ["create", "connect", "disconnect", "inspect", "reset", "provide", "consume"] as const;
export type PolicyOperation = (typeof policyOperations)[number];

/** Mechanisms a policy can switch on (the language's `enforce`); those off always allow. */
export const policyMechanisms = ["rbac", "types", "chinese-wall", "colours"] as const;
export type PolicyMechanism = (typeof policyMechanisms)[number];

/** Bumped whenever the shape below changes incompatibly; the loader refuses other versions. */
export const compiledPolicyFormatVersion = 1;

/**
 * Where a policy element came from in its .proto-desc file, so that load errors and audit
 * records can point at the declaration. Optional: hand-written policies may omit it.
 */
export interface PolicySourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A type-enforcement type. Two subjects may share iff their type sets intersect. */
export interface PolicyType {
  readonly name: string;
  readonly origin?: PolicySourceLocation;
}

/**
 * A label names a set of types (for type enforcement, the Chinese wall and colours). Domains
 * and resources carry labels, never types directly: the compiler lowers a principal's or a
 * resource class's `types` into a label of the same name.
 */
export interface PolicyLabel {
  readonly name: string;
  readonly types: readonly string[];
  readonly origin?: PolicySourceLocation;
}

/** One RBAC grant: the listed operations on one resource class, or on every class with "*". */
export interface PolicyPermission {
  readonly resourceClass: string;
  readonly operations: readonly PolicyOperation[];
}

export interface PolicyRole {
  readonly name: string;
  readonly permissions: readonly PolicyPermission[];
  readonly origin?: PolicySourceLocation;
}

/** Who asks for an operation: a domain (by its policy name) or a management tool. */
export type PolicyPrincipalKind = "domain" | "tool";

export interface PolicyPrincipal {
  readonly name: string;
  readonly kind: PolicyPrincipalKind;
  readonly roles: readonly string[];
  /** For domain principals: a glob ("bank-a-*") of the domain names it stands for. */
  readonly matches?: string;
  /** Holds every operation on every resource class (the toolstack's domain). */
  readonly privileged?: boolean;
  readonly origin?: PolicySourceLocation;
}

/** The labels a domain receives when the toolstack starts it under a matching name. */
export interface PolicyDomainAssignment {
  /** A domain name, or a glob with '*' ("bank-a-*"); the first matching assignment wins. */
  readonly domain: string;
  readonly labels: readonly string[];
  readonly origin?: PolicySourceLocation;
}

/** Labels every instance of a resource class carries, in addition to the class's own labels. */
export interface PolicyResourceAssignment {
  readonly resourceClass: string;
  readonly labels: readonly string[];
  readonly origin?: PolicySourceLocation;
}

/**
 * Chinese wall: a domain may not start while a running domain holds a different type of the
 * same conflict set. Holding the same type is allowed.
 */
export interface PolicyConflictSet {
  readonly name: string;
  readonly types: readonly string[];
  readonly origin?: PolicySourceLocation;
}

/**
 * Colour group: a named set of types forming a colour. A subject has every colour one of
 * whose types it holds; two coloured subjects may share only within a common colour.
 */
export interface PolicyColourGroup {
  readonly name: string;
  readonly types: readonly string[];
  readonly origin?: PolicySourceLocation;
}

export interface CompiledPolicy {
  readonly formatVersion: typeof compiledPolicyFormatVersion;
  readonly name: string;
  readonly enforce: readonly PolicyMechanism[];
  readonly types: readonly PolicyType[];
  readonly labels: readonly PolicyLabel[];
  readonly roles: readonly PolicyRole[];
  readonly principals: readonly PolicyPrincipal[];
  readonly domains: readonly PolicyDomainAssignment[];
  readonly resources: readonly PolicyResourceAssignment[];
  readonly conflictSets: readonly PolicyConflictSet[];
  readonly colourGroups: readonly PolicyColourGroup[];
}
