// Policies: RBAC roles with permissions on visible resource classes, principals with roles
// and type labels, resource labels, enforcement mechanisms, Chinese-wall conflict sets and
// colour groups — every name checked, duplicates reported.
import type { Identifier, PolicyDeclaration } from "../syntax/ast.js";
import type { DiagnosticSink } from "./diagnostic-sink.js";
import type { PolicyModel, ResourceClassModel } from "./model.js";
import { didYouMean } from "./suggest-names.js";

const mechanisms = ["rbac", "types", "chinese-wall", "colours"] as const;
const permissions = ["provide", "consume"] as const;

export function checkPolicy(sink: DiagnosticSink, file: string, policy: PolicyDeclaration, visibleClasses: ReadonlyMap<string, ResourceClassModel>, declaredClassNames: ReadonlySet<string>): PolicyModel | undefined {
  const errorsBefore = sink.errorCount;
  const requireClass = (identifier: Identifier): string | undefined => {
    if (visibleClasses.has(identifier.text)) return identifier.text;
    // A class declared but broken has its own diagnostics.
    if (declaredClassNames.has(identifier.text)) return undefined;
    sink.report("PD5011", identifier.span, `unknown resource class '${identifier.text}'${didYouMean(identifier.text, visibleClasses.keys())}`);
    return undefined;
  };
  const unique = (names: Map<string, Identifier>, identifier: Identifier, what: string): boolean => {
    const previous = names.get(identifier.text);
    if (previous !== undefined) {
      sink.report("PD5015", identifier.span, `${what} '${identifier.text}' is declared twice in policy ${policy.name.text}`, { related: [{ span: previous.span, message: "first declared here" }] });
      return false;
    }
    names.set(identifier.text, identifier);
    return true;
  };
  const roleNames = new Map<string, Identifier>();
  for (const member of policy.members) if (member.kind === "PolicyRoleDeclaration") unique(roleNames, member.name, "role");
  const model: {
    enforce: PolicyModel["enforce"][number][];
    roles: { name: string; permissions: { permission: "provide" | "consume"; resourceClass: string }[] }[];
    principals: PolicyModel["principals"][number][];
    resourceLabels: { resourceClass: string; types: string[] }[];
    conflictSets: { name: string; types: string[] }[];
    colourGroups: { name: string; types: string[] }[];
  } = { enforce: [], roles: [], principals: [], resourceLabels: [], conflictSets: [], colourGroups: [] };
  const knownTypes = new Set<string>();
  for (const resourceClass of visibleClasses.values()) for (const label of resourceClass.labels) knownTypes.add(label);
  for (const member of policy.members) {
    if (member.kind === "PrincipalDeclaration") for (const type of member.types) knownTypes.add(type.text);
    if (member.kind === "ResourceLabelDeclaration") for (const type of member.types) knownTypes.add(type.text);
  }
  const principalNames = new Map<string, Identifier>();
  const groupNames = new Map<string, Identifier>();
  const requireTypes = (types: readonly Identifier[]): string[] => {
    const known: string[] = [];
    for (const type of types) {
      if (knownTypes.has(type.text)) known.push(type.text);
      else sink.report("PD5012", type.span, `no principal, label rule or resource class carries type '${type.text}'${didYouMean(type.text, knownTypes)}`);
    }
    return known;
  };
  for (const member of policy.members) {
    switch (member.kind) {
      case "EnforceDeclaration":
        for (const mechanism of member.mechanisms) {
          const found = mechanisms.find((candidate) => candidate === mechanism.text);
          if (found === undefined) sink.report("PD5014", mechanism.span, `unknown enforcement mechanism '${mechanism.text}'${didYouMean(mechanism.text, mechanisms)}; known: ${mechanisms.join(", ")}`);
          else if (!model.enforce.includes(found)) model.enforce.push(found);
        }
        break;
      case "PolicyRoleDeclaration": {
        const role: { name: string; permissions: { permission: "provide" | "consume"; resourceClass: string }[] } = { name: member.name.text, permissions: [] };
        for (const permission of member.permissions) {
          const kind = permissions.find((candidate) => candidate === permission.permission.text);
          if (kind === undefined) sink.report("PD5013", permission.permission.span, `unknown permission '${permission.permission.text}'${didYouMean(permission.permission.text, permissions)}; permissions are provide and consume`);
          for (const resourceClass of permission.resourceClasses) {
            const name = requireClass(resourceClass);
            if (name !== undefined && kind !== undefined) role.permissions.push({ permission: kind, resourceClass: name });
          }
        }
        if (roleNames.get(member.name.text) === member.name) model.roles.push(role);
        break;
      }
      case "PrincipalDeclaration": {
        if (!unique(principalNames, member.name, "principal")) break;
        const roles: string[] = [];
        for (const role of member.roles) {
          if (roleNames.has(role.text)) roles.push(role.text);
          else sink.report("PD5010", role.span, `policy ${policy.name.text} declares no role '${role.text}'${didYouMean(role.text, roleNames.keys())}`);
        }
        model.principals.push({ name: member.name.text, pattern: member.pattern?.value, roles, types: member.types.map((type) => type.text), privileged: member.privileged });
        break;
      }
      case "ResourceLabelDeclaration": {
        const name = requireClass(member.resourceClass);
        if (name !== undefined) model.resourceLabels.push({ resourceClass: name, types: member.types.map((type) => type.text) });
        break;
      }
      case "ConflictSetDeclaration":
      case "ColourGroupDeclaration": {
        const isConflict = member.kind === "ConflictSetDeclaration";
        if (!unique(groupNames, member.name, isConflict ? "conflict set" : "colour")) break;
        const types = requireTypes(member.types);
        if (isConflict && member.types.length < 2) sink.report("PD5016", member.name.span, `conflict set ${member.name.text} lists fewer than two types, so it forbids nothing`);
        if (!isConflict && member.types.length === 0) sink.report("PD5016", member.name.span, `colour ${member.name.text} lists no types`);
        (isConflict ? model.conflictSets : model.colourGroups).push({ name: member.name.text, types });
        break;
      }
    }
  }
  if (sink.errorCount > errorsBefore) return undefined;
  return { name: policy.name.text, span: policy.name.span, file, ...model, doc: policy.doc?.text };
}
