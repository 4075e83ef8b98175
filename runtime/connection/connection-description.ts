// The protocol-neutral facts a split-driver connection needs, as plain data: slot size, where
// the request and response ids sit, and the store keys carrying the transport. Generated stubs
// fill it from a protocol description; the connection library knows no protocol by name.

export interface SplitConnectionDescription {
  /** Bytes per ring slot: max(sizeof request, sizeof response) for the ABI in use. */
  readonly slotBytes: number;
  /** Byte offset of the id in a request and in a response (little-endian). */
  readonly requestIdOffset: number;
  readonly responseIdOffset: number;
  /** Width of the id field in bytes: 2, 4 or 8 (an 8-byte id carries values below 2^53). */
  readonly idBytes: 2 | 4 | 8;
  /** Highest ring page order either end accepts (0 = one 4 KiB page). */
  readonly maximumRingPageOrder: number;
  /** Frontend key naming the ring grant for one page ("ring-ref"); with more pages the key gets the page number appended. */
  readonly ringReferenceKey: string;
  /** Frontend key holding the page order when the ring has more than one page. */
  readonly ringPageOrderKey: string;
  /** Frontend key holding the event-channel port allocated for the backend. */
  readonly eventChannelKey: string;
}

/** Why a description cannot be used; undefined when it is fine. */
export function findConnectionDescriptionProblem(description: SplitConnectionDescription): string | undefined {
  const { slotBytes, requestIdOffset, responseIdOffset, idBytes, maximumRingPageOrder } = description;
  if (!Number.isInteger(slotBytes) || slotBytes <= 0 || slotBytes > 4096 - 64) return `slot size ${slotBytes} is not between 1 and 4032 bytes`;
  if (idBytes !== 2 && idBytes !== 4 && idBytes !== 8) return `id width ${String(idBytes)} is not 2, 4 or 8 bytes`;
  if (!Number.isInteger(requestIdOffset) || requestIdOffset < 0 || requestIdOffset + idBytes > slotBytes) return `request id at ${requestIdOffset} does not fit in a ${slotBytes}-byte slot`;
  if (!Number.isInteger(responseIdOffset) || responseIdOffset < 0 || responseIdOffset + idBytes > slotBytes) return `response id at ${responseIdOffset} does not fit in a ${slotBytes}-byte slot`;
  if (!Number.isInteger(maximumRingPageOrder) || maximumRingPageOrder < 0 || maximumRingPageOrder > 4) return `ring page order ${maximumRingPageOrder} is not between 0 and 4`;
  return undefined;
}

/** Reads a little-endian id of the description's width; values of 2^53 and above read as -1. */
export function readConnectionId(bytes: Uint8Array, offset: number, idBytes: 2 | 4 | 8): number {
  const low16 = bytes[offset]! | (bytes[offset + 1]! << 8);
  if (idBytes === 2) return low16;
  const low32 = (low16 | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
  if (idBytes === 4) return low32;
  const high32 = (bytes[offset + 4]! | (bytes[offset + 5]! << 8) | (bytes[offset + 6]! << 16) | (bytes[offset + 7]! << 24)) >>> 0;
  if (high32 > 0x1fffff) return -1;
  return high32 * 0x1_0000_0000 + low32;
}
