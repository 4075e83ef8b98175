// Limits that belong to the transports rather than to the store's semantics: how much a
// client may leave unread before the daemon stops reading from it or drops it, and how many
// requests an unprivileged domain may have outstanding on its ring.

export interface StoreTransportLimits {
  /**
   * Encoded bytes waiting to be sent to one client above which the daemon stops reading that
   * client's requests until the backlog drains. Replies are produced only by reading
   * requests, so this bounds the replies queued for a client that does not read.
   */
  readonly outboundPauseBytes: number;
  /**
   * Encoded bytes waiting to be sent to one client above which a further watch event
   * disconnects that client. Watch events are caused by other clients, so back-pressure
   * cannot bound them; dropping single events would silently corrupt the client's view of
   * the store, so the daemon drops the connection instead, which the client can observe.
   */
  readonly outboundDisconnectBytes: number;
  /**
   * Requests an unprivileged domain may have outstanding on its ring (read but with the
   * reply not yet copied into the response ring); the ring transport stops consuming
   * requests at this count. Xen's default is 20.
   */
  readonly outstandingRequestsPerDomain: number;
  /**
   * Watch events queued for a domain ring that is not consuming its responses above which
   * the domain's connection is dropped, for the same reason as outboundDisconnectBytes.
   */
  readonly pendingWatchEventsPerDomain: number;
}

export const defaultStoreTransportLimits: StoreTransportLimits = {
  outboundPauseBytes: 64 * 1024,
  outboundDisconnectBytes: 4 * 1024 * 1024,
  outstandingRequestsPerDomain: 20,
  pendingWatchEventsPerDomain: 256,
};

/** Fills in defaults and rejects limits that would make a transport unusable. */
export function resolveStoreTransportLimits(overrides: Partial<StoreTransportLimits> = {}): StoreTransportLimits {
  const limits = { ...defaultStoreTransportLimits, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`store transport limit '${name}' must be a positive integer (got ${String(value)})`);
    }
  }
  return limits;
}
