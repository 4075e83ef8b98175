// Lowers the analyzed `policy` and `resource` declarations into the runtime's compiled forms
// (runtime/policy/policy-model.ts, runtime/broker/resource-class.ts), following the rules in
// docs/policing.md §1. It reads only the fields it needs of the semantic model's PolicyModel
// and ResourceClassModel, so tests can hand it small literals.
import type { ResourceClass } from "../../runtime/broker/resource-class.js";
import type { CompiledPolicy, PolicyOperation, PolicySourceLocation } from "../../runtime/policy/policy-model.js";
import type { Span } from "../diagnostics/diagnostic.js";
import type { PolicyModel, ResourceClassModel } from "../semantic/model.js";

export type PolicySourceSpan = Span;

/** What lowering reads of an analyzed `policy` declaration. */
export type PolicyDeclarationInput = Pick<PolicyModel, "name" | "span" | "enforce" | "roles" | "principals" | "resourceLabels" | "conflictSets" | "colourGroups">;

/** What lowering reads of an analyzed `resource` declaration (`labels`: types every instance carries). */
export type ResourceDeclarationInput = Pick<
  ResourceClassModel,
  "name" | "protocol" | "protocolVersion" | "providerRole" | "consumerRole" | "paths" | "labels" | "perDomainLimit"
>;

export interface LoweredPolicy {
  readonly policy: CompiledPolicy;
  readonly resourceClasses: readonly ResourceClass[];
}

export interface LowerPolicyContext {
  /** The hash of each protocol's source, by protocol name (the generated files' header hash). */
  readonly specHashes: ReadonlyMap<string, string>;
  /** Turns a span into a line and column, when the caller has the source text. */
  readonly locate?: (span: PolicySourceSpan) => PolicySourceLocation;
}

/** The label holding a resource declaration's own types. */
export function resourceDeclarationLabelName(resourceClass: string): string {
  return `${resourceClass}.resource`;
}

export function lowerPolicy(context: LowerPolicyContext, policy: PolicyDeclarationInput, resources: readonly ResourceDeclarationInput[]): LoweredPolicy {
  const origin = context.locate === undefined ? {} : { origin: context.locate(policy.span) };
  const typeNames = new Set<string>();
  const noteTypes = (types: readonly string[]): readonly string[] => {
    for (const type of types) typeNames.add(type);
    return types;
  };
  const principalLabels = policy.principals.map((principal) => ({ name: principal.name, types: noteTypes(principal.types) }));
  const policyResourceLabels = policy.resourceLabels.map((label) => ({ name: label.resourceClass, types: noteTypes(label.types) }));
  const declarationLabels = resources.filter((resource) => resource.labels.length > 0).map((resource) => ({ name: resourceDeclarationLabelName(resource.name), types: noteTypes(resource.labels) }));
  for (const set of [...policy.conflictSets, ...policy.colourGroups]) noteTypes(set.types);

  const compiled: CompiledPolicy = {
    formatVersion: 1,
    name: policy.name,
    enforce: [...policy.enforce],
    types: [...typeNames].map((name) => ({ name })),
    labels: [...principalLabels, ...policyResourceLabels, ...declarationLabels],
    roles: policy.roles.map((role) => {
      const operationsByClass = new Map<string, PolicyOperation[]>();
      for (const permission of role.permissions) {
        const operations = operationsByClass.get(permission.resourceClass) ?? [];
        if (!operations.includes(permission.permission)) operations.push(permission.permission);
        operationsByClass.set(permission.resourceClass, operations);
      }
      return { name: role.name, permissions: [...operationsByClass].map(([resourceClass, operations]) => ({ resourceClass, operations })), ...origin };
    }),
    principals: policy.principals.map((principal) => ({
      name: principal.name,
      kind: "domain" as const,
      roles: [...principal.roles],
      ...(principal.pattern === undefined ? {} : { matches: principal.pattern }),
      ...(principal.privileged ? { privileged: true } : {}),
      ...origin,
    })),
    domains: policy.principals.map((principal) => ({ domain: principal.pattern ?? principal.name, labels: [principal.name] })),
    resources: policy.resourceLabels.map((label) => ({ resourceClass: label.resourceClass, labels: [label.resourceClass] })),
    conflictSets: policy.conflictSets.map((set) => ({ name: set.name, types: [...set.types], ...origin })),
    colourGroups: policy.colourGroups.map((group) => ({ name: group.name, types: [...group.types], ...origin })),
  };

  const resourceClasses = resources.map((resource): ResourceClass => {
    const specHash = context.specHashes.get(resource.protocol);
    // Analysis has resolved every resource's protocol; a missing hash is a compiler bug.
    if (specHash === undefined) throw new Error(`lowerPolicy: no spec hash for protocol '${resource.protocol}' of resource '${resource.name}'`);
    const pathOf = (role: string): string => resource.paths.find((path) => path.role === role)?.template ?? "";
    return {
      name: resource.name,
      protocol: { name: resource.protocol, version: resource.protocolVersion, specHash },
      providerRole: resource.providerRole,
      consumerRole: resource.consumerRole,
      frontendPath: pathOf(resource.consumerRole),
      backendPath: pathOf(resource.providerRole),
      labels: resource.labels.length > 0 ? [resourceDeclarationLabelName(resource.name)] : [],
      limits: resource.perDomainLimit === undefined ? {} : { perFrontendDomain: Number(resource.perDomainLimit) },
      frontendParameterKeys: [],
      backendParameterKeys: [],
    };
  });
  return { policy: compiled, resourceClasses };
}
