// Precomputes, once at load, everything the decision engine needs: dense indices for types
// and colours, per-label bit sets, conflict masks, and per-principal RBAC tables holding the
// allow decisions, so that queries only look up and AND bits.
import { createPolicyDecision, type PolicyDecision } from "./policy-decision.js";
import { policyOperations, type CompiledPolicy, type PolicyMechanism, type PolicyOperation } from "./policy-model.js";
import { compileDomainPattern } from "./policy-validation.js";
import { createTypeBitset, setBit, type TypeBitset } from "./type-bitset.js";

export const anyResourceClassKey = "*";

/** For one principal: for each resource class (or "*"), the allow decision per operation. */
export interface PrincipalPermissionTable {
  readonly principal: string;
  readonly roles: readonly string[];
  /** Indexed by the operation's position in `policyOperations`; undefined means not granted. */
  readonly byResourceClass: ReadonlyMap<string, readonly (PolicyDecision | undefined)[]>;
}

export interface LabelIndexEntry {
  readonly typeMask: TypeBitset;
}

/** A domain-name matcher: an exact name or a compiled glob, in declaration order. */
export interface DomainNameMatcher<T> {
  readonly exact: ReadonlyMap<string, T>;
  readonly patterns: readonly { readonly pattern: RegExp; readonly value: T }[];
}

export interface PolicyIndex {
  readonly policy: CompiledPolicy;
  readonly typeNames: readonly string[];
  readonly typeIndexByName: ReadonlyMap<string, number>;
  /** Colour-group names, indexed like the bits of a subject's colour mask. */
  readonly colourNames: readonly string[];
  readonly labels: ReadonlyMap<string, LabelIndexEntry>;
  /** For each type index: the colour groups that list it. */
  readonly colourMaskByType: readonly TypeBitset[];
  readonly permissionsByPrincipal: ReadonlyMap<string, PrincipalPermissionTable>;
  /** Domain principals by the domain names they stand for. */
  readonly principalsByDomainName: DomainNameMatcher<string>;
  readonly labelsByDomain: DomainNameMatcher<readonly string[]>;
  readonly labelsByResourceClass: ReadonlyMap<string, readonly string[]>;
  readonly enforced: ReadonlySet<PolicyMechanism>;
}

/** The first exact match, else the first matching glob in declaration order. */
export function matchDomainName<T>(matcher: DomainNameMatcher<T>, domainName: string): T | undefined {
  const exact = matcher.exact.get(domainName);
  if (exact !== undefined) return exact;
  for (const entry of matcher.patterns) if (entry.pattern.test(domainName)) return entry.value;
  return undefined;
}

function buildDomainNameMatcher<T>(entries: readonly { readonly pattern: string; readonly value: T }[]): DomainNameMatcher<T> {
  const exact = new Map<string, T>();
  const patterns: { readonly pattern: RegExp; readonly value: T }[] = [];
  for (const entry of entries) {
    if (entry.pattern.includes("*")) patterns.push({ pattern: compileDomainPattern(entry.pattern), value: entry.value });
    else if (!exact.has(entry.pattern)) exact.set(entry.pattern, entry.value);
  }
  return { exact, patterns };
}

export function operationIndex(operation: PolicyOperation): number {
  return policyOperations.indexOf(operation);
}

function buildPermissionTables(policy: CompiledPolicy): Map<string, PrincipalPermissionTable> {
  const rolesByName = new Map(policy.roles.map((role) => [role.name, role] as const));
  const tables = new Map<string, PrincipalPermissionTable>();
  for (const principal of policy.principals) {
    const byResourceClass = new Map<string, (PolicyDecision | undefined)[]>();
    if (principal.privileged === true) {
      byResourceClass.set(
        anyResourceClassKey,
        policyOperations.map((operation) => createPolicyDecision(true, "rbac-permission", `privileged/*/${operation}`, `principal '${principal.name}' is privileged and holds every operation`)),
      );
    }
    // Roles are consulted in the principal's declared order, so the first role granting an
    // operation is the one the decision names; later grants of the same operation are redundant.
    for (const roleName of principal.roles) {
      const role = rolesByName.get(roleName);
      if (role === undefined) continue;
      for (const permission of role.permissions) {
        let row = byResourceClass.get(permission.resourceClass);
        if (row === undefined) {
          row = policyOperations.map(() => undefined);
          byResourceClass.set(permission.resourceClass, row);
        }
        for (const operation of permission.operations) {
          const index = operationIndex(operation);
          if (row[index] !== undefined) continue;
          row[index] = createPolicyDecision(
            true,
            "rbac-permission",
            `${role.name}/${permission.resourceClass}/${operation}`,
            `principal '${principal.name}' holds role '${role.name}', which permits '${operation}' on ${permission.resourceClass === anyResourceClassKey ? "every resource class" : `resource class '${permission.resourceClass}'`}`,
          );
        }
      }
    }
    tables.set(principal.name, { principal: principal.name, roles: principal.roles, byResourceClass });
  }
  return tables;
}

/** Builds the index of a policy that has already passed validation. */
export function indexPolicy(policy: CompiledPolicy): PolicyIndex {
  const typeNames = policy.types.map((type) => type.name);
  const typeIndexByName = new Map(typeNames.map((name, index) => [name, index] as const));
  const colourNames = policy.colourGroups.map((group) => group.name);
  const labels = new Map<string, LabelIndexEntry>();
  for (const label of policy.labels) {
    const typeMask = createTypeBitset(typeNames.length);
    for (const type of label.types) {
      const index = typeIndexByName.get(type);
      if (index !== undefined) setBit(typeMask, index);
    }
    labels.set(label.name, { typeMask });
  }
  const colourMaskByType = typeNames.map(() => createTypeBitset(colourNames.length));
  policy.colourGroups.forEach((group, colourIndex) => {
    for (const type of group.types) {
      const mask = colourMaskByType[typeIndexByName.get(type) ?? -1];
      if (mask !== undefined) setBit(mask, colourIndex);
    }
  });
  return {
    policy,
    typeNames,
    typeIndexByName,
    colourNames,
    labels,
    colourMaskByType,
    permissionsByPrincipal: buildPermissionTables(policy),
    principalsByDomainName: buildDomainNameMatcher(
      policy.principals.filter((principal) => principal.kind === "domain").map((principal) => ({ pattern: principal.matches ?? principal.name, value: principal.name })),
    ),
    labelsByDomain: buildDomainNameMatcher(policy.domains.map((domain) => ({ pattern: domain.domain, value: domain.labels }))),
    labelsByResourceClass: new Map(policy.resources.map((resource) => [resource.resourceClass, resource.labels] as const)),
    enforced: new Set(policy.enforce),
  };
}
