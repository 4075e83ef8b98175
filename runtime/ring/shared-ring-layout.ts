// The Xen request/response shared ring's fixed layout (io/ring.h, xen-abi.md §1): a 64-byte
// header, then 2^k slots, each big enough for a request or a response.

export const sharedRingPageBytes = 4096;
export const sharedRingHeaderBytes = 64;

/** Byte offsets of the header fields. */
export const sharedRingHeaderOffsets = {
  requestProducer: 0,
  requestEvent: 4,
  responseProducer: 8,
  responseEvent: 12,
  /** Four protocol-private bytes (netif and blkif use them for feature flags). */
  protocolPrivate: 16,
  /** 44 reserved bytes that the frontend zeroes. */
  reserved: 20,
  slots: 64,
} as const;

/** Ring bytes for a page order: always 4 KiB pages, whatever the host's page size. */
export function computeSharedRingBytes(pageOrder: number): number {
  return sharedRingPageBytes << pageOrder;
}

/**
 * Xen's entries formula: the largest power of two not above (ring bytes - 64) / slot bytes.
 * Returns 0 when not even one slot fits.
 */
export function computeSharedRingEntryCount(ringBytes: number, slotBytes: number): number {
  if (!Number.isInteger(slotBytes) || slotBytes <= 0 || ringBytes <= sharedRingHeaderBytes) {
    return 0;
  }
  const fitting = Math.floor((ringBytes - sharedRingHeaderBytes) / slotBytes);
  if (fitting < 1) {
    return 0;
  }
  let entries = 1;
  while (entries * 2 <= fitting) {
    entries *= 2;
  }
  return entries;
}

/** Byte offset of slot `index` (an already-masked slot number). */
export function computeSharedRingSlotOffset(slotIndex: number, slotBytes: number): number {
  return sharedRingHeaderBytes + slotIndex * slotBytes;
}

/** A ring's geometry, checked once when an end is constructed. */
export interface SharedRingGeometry {
  readonly ringBytes: number;
  readonly slotBytes: number;
  readonly entryCount: number;
}

/**
 * Checks that `ringBytes` is 4096 << order and that at least one slot fits; throws a
 * RangeError naming the problem otherwise (a caller's mistake, not a peer's).
 */
export function describeSharedRingGeometry(ringBytes: number, slotBytes: number): SharedRingGeometry {
  const pages = ringBytes / sharedRingPageBytes;
  if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) {
    throw new RangeError(`shared ring memory must be 4096 << order bytes, got ${ringBytes}`);
  }
  const entryCount = computeSharedRingEntryCount(ringBytes, slotBytes);
  if (entryCount === 0) {
    throw new RangeError(`slot of ${slotBytes} bytes does not fit a ${ringBytes}-byte shared ring`);
  }
  return { ringBytes, slotBytes, entryCount };
}
