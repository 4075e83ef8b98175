// The facts about a domain that policy hooks and observers may see: identity, labels and the
// privileged flag. A plain readonly value so that hooks cannot reach hypervisor internals.

/** A Xen domain id (u16, below DOMID_FIRST_RESERVED). */
export type DomainId = number;

export interface DomainSummary {
  readonly id: DomainId;
  /** Security labels (types) used by access-control policies, e.g. sHype type enforcement. */
  readonly labels: readonly string[];
  /** A privileged domain (dom0, the store's domain) bypasses store permission checks. */
  readonly privileged: boolean;
}
