// The policy bundled with `proto-desc demo`, in compiled form (docs/policing.md §1): a
// toolstack, a storage driver domain, a bank guest allowed a disk, and a sandbox whose types
// do not meet the driver's, so its disk connection is denied by type enforcement.

import type { CompiledPolicy } from "../policy/policy-model.js";
import type { ResourceClass } from "../broker/resource-class.js";

export function createDemoPolicy(): CompiledPolicy {
  return {
    formatVersion: 1,
    name: "demo-host",
    enforce: ["rbac", "types", "chinese-wall", "colours"],
    types: [{ name: "system" }, { name: "blk" }, { name: "bank_a" }, { name: "public" }],
    labels: [
      { name: "dom0", types: ["system", "blk"] },
      { name: "storage_driver", types: ["blk"] },
      { name: "guest_a", types: ["bank_a", "blk"] },
      { name: "isolated", types: ["public"] },
      { name: "disk_plain", types: ["blk"] },
    ],
    roles: [
      { name: "toolstack", permissions: [{ resourceClass: "*", operations: ["create", "connect", "disconnect", "inspect", "reset"] }] },
      { name: "storage_provider", permissions: [{ resourceClass: "vbd", operations: ["provide"] }] },
      { name: "guest", permissions: [{ resourceClass: "vbd", operations: ["consume"] }] },
    ],
    principals: [
      { name: "xl", kind: "tool", roles: ["toolstack"] },
      { name: "Domain-0", kind: "domain", roles: [], privileged: true },
      { name: "driver", kind: "domain", roles: ["storage_provider"] },
      { name: "guest-a", kind: "domain", roles: ["guest"] },
      { name: "sandbox", kind: "domain", roles: ["guest"] },
    ],
    domains: [
      { domain: "Domain-0", labels: ["dom0"] },
      { domain: "driver", labels: ["storage_driver"] },
      { domain: "guest-a", labels: ["guest_a"] },
      { domain: "sandbox", labels: ["isolated"] },
    ],
    resources: [{ resourceClass: "vbd", labels: ["disk_plain"] }],
    conflictSets: [],
    colourGroups: [],
  };
}

/** The block-device resource class, as the compiler describes blkif's. */
export const demoBlockDeviceClass: ResourceClass = {
  name: "vbd",
  protocol: { name: "blkif", version: 1, specHash: "5f1d0c6e2b7a94d3e8c1a0b2f4d6e8a1" },
  providerRole: "backend",
  consumerRole: "frontend",
  frontendPath: "device/{class}/{devid}",
  backendPath: "backend/{class}/{frontend-domid}/{devid}",
  labels: [],
  limits: { perFrontendDomain: 2, perBackendDomain: 4 },
  frontendParameterKeys: ["virtual-device"],
  backendParameterKeys: ["params", "mode", "type"],
};
