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

/** The names GET_QUOTA and SET_QUOTA use for each quota (Xen's, plus "outstanding"). */
export const storeQuotaNames: Readonly<Record<string, keyof StoreQuotas>> = {
  nodes: "nodesPerDomain",
  watches: "watchesPerDomain",
  transactions: "transactionsPerConnection",
  "node-size": "nodeValueBytes",
  permissions: "permissionsPerNode",
  outstanding: "outstandingRequestsPerConnection",
};

/** The limits to enforce: a quota of 0 means "no limit", as in Xen. */
export function toEnforcedQuotas(quotas: StoreQuotas): StoreQuotas {
  const unlimitedWhenZero = (value: number): number => (value === 0 ? Number.POSITIVE_INFINITY : value);
  return {
    nodesPerDomain: unlimitedWhenZero(quotas.nodesPerDomain),
    watchesPerDomain: unlimitedWhenZero(quotas.watchesPerDomain),
    transactionsPerConnection: unlimitedWhenZero(quotas.transactionsPerConnection),
    nodeValueBytes: unlimitedWhenZero(quotas.nodeValueBytes),
    permissionsPerNode: unlimitedWhenZero(quotas.permissionsPerNode),
    outstandingRequestsPerConnection: unlimitedWhenZero(quotas.outstandingRequestsPerConnection),
  };
}

/** The quota a GET_QUOTA / SET_QUOTA name refers to, or undefined for an unknown name. */
export function lookUpQuotaName(name: string): keyof StoreQuotas | undefined {
  return Object.hasOwn(storeQuotaNames, name) ? storeQuotaNames[name] : undefined;
}
