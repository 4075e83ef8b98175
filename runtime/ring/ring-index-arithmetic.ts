// Decisions on free-running 32-bit ring indices: wrapped distances and the event-index
// notification rule. Pure functions, no memory access; both ring kinds use them.

/** The distance from `from` forward to `to`, modulo 2^32, as a non-negative number. */
export function distanceForwardU32(from: number, to: number): number {
  return (to - from) >>> 0;
}

/**
 * Xen's notify rule after publishing a producer index: the peer asked to be woken when the
 * index passes its event value, so notify iff `event` lies in the half-open window
 * (oldProducer, newProducer] — computed as `(u32)(new - event) < (u32)(new - old)`.
 */
export function isNotificationRequired(oldProducer: number, newProducer: number, peerEvent: number): boolean {
  return (newProducer - peerEvent) >>> 0 < (newProducer - oldProducer) >>> 0;
}
