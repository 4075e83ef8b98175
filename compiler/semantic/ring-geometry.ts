// Shared-ring geometry (Xen io/ring.h): the slot is a union of request and response, and the
// number of entries is the largest power of two that fits after the 64-byte ring header.

/** Bytes of the shared ring header (producer/consumer/event indices and reserved space). */
export const ringHeaderBytes = 64;
/** Ring pages are always 4 KiB, whatever the guest's page size. */
export const ringPageBytes = 4096;

export interface RingOrderGeometry {
  readonly pageOrder: number;
  readonly ringBytes: number;
  /** 0 when not even one slot fits (the analyzer reports that). */
  readonly entries: number;
}

export interface RingGeometry {
  readonly slotSize: number;
  readonly byOrder: readonly RingOrderGeometry[];
}

/** Largest power of two not above `value`, or 0 when `value` < 1. */
export function largestPowerOfTwoAtMost(value: number): number {
  if (value < 1) return 0;
  let power = 1;
  while (power * 2 <= value) power *= 2;
  return power;
}

export function computeRingEntries(slotSize: number, pageOrder: number): number {
  const ringBytes = ringPageBytes * 2 ** pageOrder;
  return largestPowerOfTwoAtMost(Math.floor((ringBytes - ringHeaderBytes) / slotSize));
}

export function computeRingGeometry(requestSize: number, responseSize: number, pageOrders: readonly number[]): RingGeometry {
  const slotSize = Math.max(requestSize, responseSize, 1);
  const byOrder = pageOrders.map((pageOrder) =>
    Object.freeze({ pageOrder, ringBytes: ringPageBytes * 2 ** pageOrder, entries: computeRingEntries(slotSize, pageOrder) }),
  );
  return Object.freeze({ slotSize, byOrder: Object.freeze(byOrder) });
}
