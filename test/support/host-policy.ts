// protocols/host-policy.proto-desc lowered by hand into the compiled form, following the
// lowering rules in docs/policing.md §1, so tests check the runtime against the language's
// own example policy.
import type { CompiledPolicy } from "../../runtime/policy/policy-model.js";

export function createHostPolicy(): CompiledPolicy {
  const principals = [
    { name: "dom0", roles: ["console-driver"], types: ["system", "bank-a", "bank-b", "public"], privileged: true },
    { name: "storage-domain", roles: ["storage-driver"], types: ["storage", "bank-a", "bank-b", "public"] },
    { name: "network-domain", roles: ["network-driver"], types: ["network", "bank-a", "bank-b", "public"] },
    { name: "bank-a-guest", matches: "bank-a-*", roles: ["guest"], types: ["bank-a"] },
    { name: "bank-b-guest", matches: "bank-b-*", roles: ["guest"], types: ["bank-b"] },
    { name: "public-guest", matches: "web-*", roles: ["guest"], types: ["public"] },
  ];
  const resourceLabels = [
    { resourceClass: "vbd", types: ["bank-a", "bank-b", "public"] },
    { resourceClass: "vif", types: ["bank-a", "bank-b", "public"] },
    { resourceClass: "vcon", types: ["bank-a", "bank-b", "public"] },
  ];
  const types = [...new Set([...principals.flatMap((principal) => principal.types), ...resourceLabels.flatMap((label) => label.types), "storage", "network", "console"])];
  return {
    formatVersion: 1,
    name: "host",
    enforce: ["rbac", "types", "chinese-wall", "colours"],
    types: types.map((name) => ({ name })),
    labels: [...principals.map((principal) => ({ name: principal.name, types: principal.types })), ...resourceLabels.map((label) => ({ name: label.resourceClass, types: label.types }))],
    roles: [
      { name: "guest", permissions: [{ resourceClass: "vbd", operations: ["consume"] }, { resourceClass: "vif", operations: ["consume"] }, { resourceClass: "vcon", operations: ["consume"] }] },
      { name: "storage-driver", permissions: [{ resourceClass: "vbd", operations: ["provide"] }] },
      { name: "network-driver", permissions: [{ resourceClass: "vif", operations: ["provide"] }] },
      { name: "console-driver", permissions: [{ resourceClass: "vcon", operations: ["provide"] }] },
    ],
    principals: principals.map((principal) => ({
      name: principal.name,
      kind: "domain" as const,
      roles: principal.roles,
      ...(principal.matches === undefined ? {} : { matches: principal.matches }),
      ...(principal.privileged === true ? { privileged: true } : {}),
    })),
    domains: principals.map((principal) => ({ domain: principal.matches ?? principal.name, labels: [principal.name] })),
    resources: resourceLabels.map((label) => ({ resourceClass: label.resourceClass, labels: [label.resourceClass] })),
    conflictSets: [{ name: "banks", types: ["bank-a", "bank-b"] }],
    colourGroups: [
      { name: "confidential", types: ["bank-a", "bank-b"] },
      { name: "open", types: ["public"] },
    ],
  };
}
