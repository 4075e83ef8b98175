// Resource classes shared by the broker tests, shaped like the compiler's output for blkif.
import type { ResourceClass } from "../../runtime/broker/resource-class.js";

export const virtualBlockDeviceClass: ResourceClass = {
  name: "vbd",
  protocol: { name: "blkif", version: 1, specHash: "0123456789abcdef0123456789abcdef" },
  providerRole: "backend",
  consumerRole: "frontend",
  frontendPath: "device/{class}/{devid}",
  backendPath: "backend/{class}/{frontend-domid}/{devid}",
  labels: [],
  limits: { perFrontendDomain: 2, perBackendDomain: 3 },
  frontendParameterKeys: ["virtual-device"],
  backendParameterKeys: ["params", "mode", "type"],
};

export const virtualNetworkInterfaceClass: ResourceClass = {
  name: "vif",
  protocol: { name: "netif", version: 1, specHash: "fedcba9876543210" },
  providerRole: "backend",
  consumerRole: "frontend",
  frontendPath: "device/vif/{devid}",
  backendPath: "backend/vif/{frontend-domid}/{devid}",
  labels: ["disk_plain"],
  limits: {},
  frontendParameterKeys: ["mac"],
  backendParameterKeys: ["mac", "bridge"],
};
