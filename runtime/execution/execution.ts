// What both executions offer the code that hosts domains (tests, the demo, the policer): the
// hypervisor they drive, a DomainContext per domain, and destroy/reset that also stop the
// domain's running code.

import type { DomainId, DomainTeardown, Hypervisor } from "../hypervisor/index.js";
import type { DomainContext, ExecutionKind } from "./domain-context.js";

export interface Execution {
  readonly kind: ExecutionKind;
  readonly hypervisor: Hypervisor;
  /** A context for running the domain's code on the calling thread. */
  contextFor(domainId: DomainId): DomainContext;
  destroyDomain(domainId: DomainId): Promise<DomainTeardown | undefined>;
  resetDomain(domainId: DomainId): Promise<DomainTeardown | undefined>;
}
