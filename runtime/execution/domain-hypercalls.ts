// The control operations a domain may ask of the hypervisor, as one asynchronous interface:
// called directly in-process, or over a message port from a worker thread. The calling
// domain is implied (it is whoever holds the object), as in a real hypercall.

import type { DomainId, EventChannelResult, EventSent, FrameRelease, GrantAccessGranted, GrantCopyEndpoint, GrantEndAccess, GrantMapped, GrantResult, GrantsMapped, PortAllocated } from "../hypervisor/index.js";

export interface DomainHypercalls {
  allocatePages(count: number): Promise<number | undefined>;
  freePages(firstFrame: number, count: number): Promise<FrameRelease | undefined>;
  grantAccess(granteeId: DomainId, frame: number, readonly: boolean): Promise<GrantResult<GrantAccessGranted>>;
  endAccess(reference: number): Promise<GrantResult<GrantEndAccess>>;
  endAccessDeferred(reference: number): Promise<GrantResult<GrantEndAccess>>;
  mapGrant(granterId: DomainId, reference: number, writable: boolean): Promise<GrantResult<GrantMapped>>;
  mapGrants(granterId: DomainId, references: readonly number[], writable: boolean): Promise<GrantResult<GrantsMapped>>;
  unmapGrant(handle: number): Promise<GrantResult<object>>;
  copyGrant(source: GrantCopyEndpoint, destination: GrantCopyEndpoint, length: number): Promise<GrantResult<object>>;
  allocateUnboundPort(remoteId: DomainId): Promise<EventChannelResult<PortAllocated>>;
  bindInterdomain(remoteId: DomainId, remotePort: number): Promise<EventChannelResult<PortAllocated>>;
  closePort(port: number): Promise<EventChannelResult<object>>;
  /** A send through the hypervisor's thread: policy-checked and observed (notify() is the fast path). */
  sendEvent(port: number): Promise<EventChannelResult<EventSent>>;
}

export type DomainHypercallName = keyof DomainHypercalls;

/** Every hypercall name; a worker's request naming anything else is refused. */
export const domainHypercallNames: readonly DomainHypercallName[] = Object.freeze([
  "allocatePages",
  "freePages",
  "grantAccess",
  "endAccess",
  "endAccessDeferred",
  "mapGrant",
  "mapGrants",
  "unmapGrant",
  "copyGrant",
  "allocateUnboundPort",
  "bindInterdomain",
  "closePort",
  "sendEvent",
]);
