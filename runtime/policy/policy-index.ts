// Precomputes, once at load, everything the decision engine needs: dense indices for types
// and colours, per-label bit sets, conflict masks, and per-principal RBAC tables holding the
// allow decisions, so that queries only look up and AND bits.
import { createPolicyDecision, type PolicyDecision } from "./policy-decision.js";
import { policyOperations, type CompiledPolicy, type PolicyOperation } from "./policy-model.js";
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
  /** The colour's index, or -1 when the label has no colour. */
  readonly colourIndex: number;
}

export interface PolicyIndex {
  readonly policy: CompiledPolicy;
  readonly typeNames: readonly string[];
  readonly typeIndexByName: ReadonlyMap<string, number>;
  readonly colourNames: readonly string[];
  readonly colourIndexByName: ReadonlyMap<string, number>;
  readonly labels: ReadonlyMap<string, LabelIndexEntry>;
  /** For each type index: the types that may not run beside it (Chinese wall). */
  readonly conflictMaskByType: readonly TypeBitset[];
  /** For each colour index: the colours that may not be held beside it (colour groups). */
  readonly conflictMaskByColour: readonly TypeBitset[];
  readonly permissionsByPrincipal: ReadonlyMap<string, PrincipalPermissionTable>;
  readonly labelsByDomain: ReadonlyMap<string, readonly string[]>;
  readonly labelsByResourceClass: ReadonlyMap<string, readonly string[]>;
}

export function operationIndex(operation: PolicyOperation): number {
  return policyOperations.indexOf(operation);
}

function buildPermissionTables(policy: CompiledPolicy): Map<string, PrincipalPermissionTable> {
  const rolesByName = new Map(policy.roles.map((role) => [role.name, role] as const));
  const tables = new Map<string, PrincipalPermissionTable>();
  for (const principal of policy.principals) {
    const byResourceClass = new Map<string, (PolicyDecision | undefined)[]>();
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

function buildConflictMasks(groups: readonly (readonly string[])[], indexByName: ReadonlyMap<string, number>, count: number): TypeBitset[] {
  const masks = Array.from({ length: count }, () => createTypeBitset(count));
  for (const members of groups) {
    for (const member of members) {
      const memberIndex = indexByName.get(member);
      if (memberIndex === undefined) continue;
      const mask = masks[memberIndex];
      if (mask === undefined) continue;
      for (const other of members) {
        const otherIndex = indexByName.get(other);
        if (otherIndex !== undefined && otherIndex !== memberIndex) setBit(mask, otherIndex);
      }
    }
  }
  return masks;
}

/** Builds the index of a policy that has already passed validation. */
export function indexPolicy(policy: CompiledPolicy): PolicyIndex {
  const typeNames = policy.types.map((type) => type.name);
  const typeIndexByName = new Map(typeNames.map((name, index) => [name, index] as const));
  const colourNames = [...new Set(policy.labels.flatMap((label) => label.colour ?? []))];
  const colourIndexByName = new Map(colourNames.map((name, index) => [name, index] as const));
  const labels = new Map<string, LabelIndexEntry>();
  for (const label of policy.labels) {
    const typeMask = createTypeBitset(typeNames.length);
    for (const type of label.types) {
      const index = typeIndexByName.get(type);
      if (index !== undefined) setBit(typeMask, index);
    }
    labels.set(label.name, { typeMask, colourIndex: label.colour === undefined ? -1 : (colourIndexByName.get(label.colour) ?? -1) });
  }
  return {
    policy,
    typeNames,
    typeIndexByName,
    colourNames,
    colourIndexByName,
    labels,
    conflictMaskByType: buildConflictMasks(policy.conflictSets.map((set) => set.types), typeIndexByName, typeNames.length),
    conflictMaskByColour: buildConflictMasks(policy.colourGroups.map((group) => group.colours), colourIndexByName, colourNames.length),
    permissionsByPrincipal: buildPermissionTables(policy),
    labelsByDomain: new Map(policy.domains.map((domain) => [domain.domain, domain.labels] as const)),
    labelsByResourceClass: new Map(policy.resources.map((resource) => [resource.resourceClass, resource.labels] as const)),
  };
}
