// Per-domain resource limits applied to unprivileged connections, with Xen's defaults.

export interface StoreQuotas {
  /** Nodes a domain may own. */
  readonly nodesPerDomain: number;
  /** Watches a domain may hold across its connections. */
  readonly watchesPerDomain: number;
  /** Transactions a connection may have open at once. */
  readonly transactionsPerConnection: number;
  /** Bytes of a node's value. */
  readonly nodeValueBytes: number;
  /** Entries of a node's permission list. */
  readonly permissionsPerNode: number;
  /** Requests a domain's connection may have outstanding; enforced by the transports. */
  readonly outstandingRequestsPerConnection: number;
}

export const defaultStoreQuotas: StoreQuotas = {
  nodesPerDomain: 1000,
  watchesPerDomain: 128,
  transactionsPerConnection: 10,
  nodeValueBytes: 2048,
  permissionsPerNode: 5,
  outstandingRequestsPerConnection: 20,
};

/** Xen's defaults overridden by whatever the caller configured. */
export function resolveStoreQuotas(overrides: Partial<StoreQuotas> | undefined): StoreQuotas {
  return { ...defaultStoreQuotas, ...overrides };
}
