// The access-control hook interface the hypervisor consults before event-channel creation,
// binding and sending, and before grant mapping and copying (the points XSM/FLASK checks).
// The policy engine implements it; the hypervisor's default allows everything.

import type { DomainSummary } from "./domain-summary.js";

export type PolicyDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: string };

/** One shared object so that allowing allocates nothing on hot paths such as send. */
export const policyAllowed: PolicyDecision = Object.freeze({ allowed: true });

export function policyDenied(reason: string): PolicyDecision {
  return { allowed: false, reason };
}

export interface EventChannelCreateRequest {
  /** The domain calling alloc_unbound. */
  readonly creator: DomainSummary;
  /** The remote domain the new unbound port is reserved for. */
  readonly remote: DomainSummary;
}

export interface EventChannelBindRequest {
  /** The domain calling bind_interdomain. */
  readonly binder: DomainSummary;
  /** The domain owning the unbound port being bound to. */
  readonly remote: DomainSummary;
  readonly remotePort: number;
}

export interface EventChannelSendRequest {
  readonly sender: DomainSummary;
  readonly receiver: DomainSummary;
  /** The sender's local port. */
  readonly port: number;
}

export interface GrantMapRequest {
  readonly mapper: DomainSummary;
  readonly granter: DomainSummary;
  readonly grantReference: number;
  /** False for a read-only mapping; XSM checks read always and write unless read-only. */
  readonly writable: boolean;
}

export interface GrantCopyRequest {
  /** The domain issuing the copy hypercall. */
  readonly caller: DomainSummary;
  /** Owner of the source memory (the caller itself for a local frame). */
  readonly sourceOwner: DomainSummary;
  /** Owner of the destination memory (the caller itself for a local frame). */
  readonly destinationOwner: DomainSummary;
}

/**
 * Implemented by the policy engine. Every method must be synchronous and cheap: send is
 * checked on every notification. A denial carries a reason that the hypervisor reports
 * back to the caller (as permission_denied / EACCES) and to observers.
 */
export interface HypervisorPolicyHooks {
  checkEventChannelCreate(request: EventChannelCreateRequest): PolicyDecision;
  checkEventChannelBind(request: EventChannelBindRequest): PolicyDecision;
  checkEventChannelSend(request: EventChannelSendRequest): PolicyDecision;
  checkGrantMap(request: GrantMapRequest): PolicyDecision;
  checkGrantCopy(request: GrantCopyRequest): PolicyDecision;
}

/** The default: no access control, as on a Xen host without XSM. */
export const allowAllPolicyHooks: HypervisorPolicyHooks = Object.freeze({
  checkEventChannelCreate: () => policyAllowed,
  checkEventChannelBind: () => policyAllowed,
  checkEventChannelSend: () => policyAllowed,
  checkGrantMap: () => policyAllowed,
  checkGrantCopy: () => policyAllowed,
});
