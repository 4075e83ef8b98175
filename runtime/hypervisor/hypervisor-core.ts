// What the grant and event-channel operations need from the hypervisor that owns them: domain
// lookup, the current policy hooks, the observation hub, and a callback for frames that a
// last unmap released (which may finish off a dying domain).

import type { Domain } from "./domain.js";
import type { DomainId } from "./domain-summary.js";
import type { HypervisorObservation } from "./observation.js";
import type { HypervisorPolicyHooks } from "./policy-hooks.js";

export interface HypervisorCore {
  findDomain(id: DomainId): Domain | undefined;
  currentPolicyHooks(): HypervisorPolicyHooks;
  readonly observation: HypervisorObservation;
  /** Called after an unmap released one of `owner`'s parked frames. */
  noteForeignFrameReleased(owner: Domain): void;
}
