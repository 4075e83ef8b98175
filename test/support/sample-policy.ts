// A small but complete compiled policy shared by the policy, hook and broker tests: a
// toolstack, a driver domain, guests of two competing banks, a public web guest, and colours
// that keep the banks' colour apart from the public one.
import type { CompiledPolicy } from "../../runtime/policy/policy-model.js";

export function createSamplePolicy(): CompiledPolicy {
  return {
    formatVersion: 1,
    name: "sample-host",
    enforce: ["rbac", "types", "chinese-wall", "colours"],
    types: [{ name: "system" }, { name: "blk" }, { name: "net" }, { name: "bank_a" }, { name: "bank_b" }, { name: "public" }],
    labels: [
      { name: "dom0", types: ["system", "blk", "net"] },
      { name: "storage_driver", types: ["blk"] },
      { name: "guest_a", types: ["bank_a", "blk"] },
      { name: "guest_b", types: ["bank_b", "blk"] },
      { name: "isolated", types: ["public"] },
      { name: "web", types: ["public", "blk"] },
      { name: "disk_plain", types: ["blk"] },
    ],
    roles: [
      { name: "toolstack", permissions: [{ resourceClass: "*", operations: ["create", "connect", "disconnect", "inspect", "reset"] }] },
      { name: "block_operator", permissions: [{ resourceClass: "vbd", operations: ["connect", "disconnect", "inspect"] }] },
      { name: "storage_provider", permissions: [{ resourceClass: "vbd", operations: ["provide"] }] },
      { name: "guest", permissions: [{ resourceClass: "vbd", operations: ["consume"] }, { resourceClass: "vif", operations: ["consume"] }] },
      { name: "auditor", permissions: [{ resourceClass: "vbd", operations: ["inspect"] }, { resourceClass: "vif", operations: ["inspect"] }] },
    ],
    principals: [
      { name: "xl", kind: "tool", roles: ["toolstack"] },
      { name: "Domain-0", kind: "domain", roles: [], privileged: true },
      { name: "driver", kind: "domain", roles: ["block_operator", "storage_provider"] },
      { name: "guests", kind: "domain", roles: ["guest"], matches: "guest-*" },
      { name: "sandbox", kind: "domain", roles: ["guest"] },
      { name: "web-guests", kind: "domain", roles: ["guest"], matches: "web-*" },
      { name: "watcher", kind: "tool", roles: ["auditor"] },
      { name: "nobody", kind: "domain", roles: [] },
    ],
    domains: [
      { domain: "Domain-0", labels: ["dom0"] },
      { domain: "driver", labels: ["storage_driver"] },
      { domain: "guest-a", labels: ["guest_a"] },
      { domain: "guest-b", labels: ["guest_b"] },
      { domain: "sandbox", labels: ["isolated"] },
      { domain: "web-*", labels: ["web"] },
    ],
    resources: [{ resourceClass: "vbd", labels: ["disk_plain"] }],
    conflictSets: [{ name: "banks", types: ["bank_a", "bank_b"] }],
    colourGroups: [
      { name: "confidential", types: ["bank_a", "bank_b"] },
      { name: "open", types: ["public"] },
    ],
  };
}
