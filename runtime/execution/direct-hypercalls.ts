// Hypercalls of one domain performed directly on the hypervisor (same thread): what the
// in-process execution uses, and what serves a worker's hypercall requests.

import type { DomainId, GrantCopyEndpoint, Hypervisor } from "../hypervisor/index.js";
import type { DomainHypercalls } from "./domain-hypercalls.js";

export function createDirectHypercalls(hypervisor: Hypervisor, domainId: DomainId): DomainHypercalls {
  return {
    allocatePages: async (count: number) => hypervisor.allocatePages(domainId, count),
    freePages: async (firstFrame: number, count: number) => hypervisor.freePages(domainId, firstFrame, count),
    grantAccess: async (granteeId: DomainId, frame: number, readonly: boolean) => hypervisor.grantAccess(domainId, granteeId, frame, readonly),
    endAccess: async (reference: number) => hypervisor.endAccess(domainId, reference),
    endAccessDeferred: async (reference: number) => hypervisor.endAccessDeferred(domainId, reference),
    mapGrant: async (granterId: DomainId, reference: number, writable: boolean) => hypervisor.mapGrant(domainId, granterId, reference, writable),
    mapGrants: async (granterId: DomainId, references: readonly number[], writable: boolean) => hypervisor.mapGrants(domainId, granterId, references, writable),
    unmapGrant: async (handle: number) => hypervisor.unmapGrant(domainId, handle),
    copyGrant: async (source: GrantCopyEndpoint, destination: GrantCopyEndpoint, length: number) => hypervisor.copyGrant(domainId, source, destination, length),
    allocateUnboundPort: async (remoteId: DomainId) => hypervisor.allocateUnboundPort(domainId, remoteId),
    bindInterdomain: async (remoteId: DomainId, remotePort: number) => hypervisor.bindInterdomain(domainId, remoteId, remotePort),
    closePort: async (port: number) => hypervisor.closePort(domainId, port),
    sendEvent: async (port: number) => hypervisor.sendEvent(domainId, port),
  };
}
