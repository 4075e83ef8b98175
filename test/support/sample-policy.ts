// A small but complete compiled policy shared by the policy, hook and broker tests: a
// toolstack, a driver domain, two guests of competing companies and coloured disks.
import type { CompiledPolicy } from "../../runtime/policy/policy-model.js";

export function createSamplePolicy(): CompiledPolicy {
  return {
    formatVersion: 1,
    name: "sample-host",
    types: [{ name: "system" }, { name: "blk" }, { name: "net" }, { name: "bank_a" }, { name: "bank_b" }, { name: "public" }],
    labels: [
      { name: "dom0", types: ["system", "blk", "net"] },
      { name: "storage_driver", types: ["blk"] },
      { name: "guest_a", types: ["bank_a", "blk"] },
      { name: "guest_b", types: ["bank_b", "blk"] },
      { name: "isolated", types: ["public"] },
      { name: "disk_red", types: ["blk"], colour: "red" },
      { name: "disk_blue", types: ["blk"], colour: "blue" },
      { name: "disk_plain", types: ["blk"] },
    ],
    roles: [
      { name: "toolstack", permissions: [{ resourceClass: "*", operations: ["create", "connect", "disconnect", "inspect", "reset"] }] },
      { name: "block_operator", permissions: [{ resourceClass: "vbd", operations: ["connect", "disconnect", "inspect"] }] },
      { name: "auditor", permissions: [{ resourceClass: "vbd", operations: ["inspect"] }, { resourceClass: "vif", operations: ["inspect"] }] },
    ],
    principals: [
      { name: "xl", kind: "tool", roles: ["toolstack"] },
      { name: "driver", kind: "domain", roles: ["block_operator"] },
      { name: "watcher", kind: "tool", roles: ["auditor"] },
      { name: "nobody", kind: "domain", roles: [] },
    ],
    domains: [
      { domain: "Domain-0", labels: ["dom0"] },
      { domain: "driver", labels: ["storage_driver"] },
      { domain: "guest-a", labels: ["guest_a"] },
      { domain: "guest-b", labels: ["guest_b"] },
      { domain: "sandbox", labels: ["isolated"] },
    ],
    resources: [{ resourceClass: "vbd", labels: ["disk_plain"] }],
    conflictSets: [{ name: "banks", types: ["bank_a", "bank_b"] }],
    colourGroups: [{ name: "classification", colours: ["red", "blue"] }],
  };
}
