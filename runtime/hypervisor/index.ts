// Public entry of the hypervisor primitives: domains, pages, grant tables, event channels,
// policy hooks and observation. Other parts of the runtime import from here only.

export { pageSizeBytes, reservedGrantReferenceCount, consoleGrantReference, xenstoreGrantReference, GrantEntryFlag, firstReservedDomainId, firstEventChannelPort } from "./constants.js";
export type { DomainId, DomainSummary } from "./domain-summary.js";
export { Domain, type DomainLifecycleState, type GrantMapping } from "./domain.js";
export { DomainMemory, type FrameRelease } from "./domain-memory.js";
export { GrantTable } from "./grant-table.js";
export { GrantStatus, describeGrantStatus, isGrantFailure, type GrantStatusCode, type GrantFailureCode, type GrantFailure, type GrantResult } from "./grant-status.js";
export type { GrantAccessGranted, GrantMapped, GrantsMapped, GrantEndAccess, GrantCopyEndpoint } from "./grant-operations.js";
export { eventChannelFailure, eventChannelOkay, type EventChannelErrorName, type EventChannelFailure, type EventChannelResult } from "./event-channel-status.js";
export { EventChannelTable, PortState, SendOutcome, type EventChannelTableLayout, type PortStateCode, type SendOutcomeCode } from "./event-channel-table.js";
export { microtaskDeliveryScheduler, type EventDeliveryScheduler, type EventHandler, type EventSent, type PortAllocated } from "./event-channels.js";
export {
  allowAllPolicyHooks,
  policyAllowed,
  policyDenied,
  type HypervisorPolicyHooks,
  type PolicyDecision,
  type EventChannelCreateRequest,
  type EventChannelBindRequest,
  type EventChannelSendRequest,
  type GrantMapRequest,
  type GrantCopyRequest,
} from "./policy-hooks.js";
export { HypervisorObservation, type HypervisorOperation, type HypervisorOperationKind, type HypervisorObserver } from "./observation.js";
export {
  Hypervisor,
  defaultHypervisorLimits,
  type HypervisorLimits,
  type HypervisorOptions,
  type CreateDomainOptions,
  type DomainOperationResult,
  type DomainTeardown,
} from "./hypervisor.js";
