// Status codes that ring operations return instead of throwing when the peer broke the ring.
// Counts are returned as non-negative numbers and faults as these negative codes, so the hot
// path allocates no result objects.

export const RingStatus = {
  /** Byte stream: the indices of one direction are more than the buffer length apart. */
  byteStreamIndicesOutOfRange: -1,
  /**
   * Request ring, seen by the backend: the frontend published a request producer index
   * more than `size` ahead of the backend's private response producer (Xen's
   * RING_REQUEST_PROD_OVERFLOW), or behind requests the backend already consumed.
   */
  frontendRequestOverflow: -2,
  /**
   * Response ring, seen by the frontend: the backend published a response producer index
   * more than `size` ahead of the frontend's response consumer (Xen's
   * RING_RESPONSE_PROD_OVERFLOW), or behind it.
   */
  backendResponseOverflow: -3,
  /**
   * Response ring, seen by the frontend: the backend published more responses than the
   * frontend has pushed requests. Xen's macros do not check this; a correct backend never
   * does it, so the frontend reports it instead of reading slots that hold its own requests.
   */
  backendResponsesWithoutRequests: -4,
} as const;
export type RingStatus = (typeof RingStatus)[keyof typeof RingStatus];

/** Names for the status codes, for messages and blame records. */
export function describeRingStatus(status: number): string {
  switch (status) {
    case RingStatus.byteStreamIndicesOutOfRange:
      return "byte-stream ring indices out of range (producer - consumer exceeds the buffer length)";
    case RingStatus.frontendRequestOverflow:
      return "frontend request producer index out of range (request overflow)";
    case RingStatus.backendResponseOverflow:
      return "backend response producer index out of range (response overflow)";
    case RingStatus.backendResponsesWithoutRequests:
      return "backend published more responses than requests were pushed";
    default:
      return status >= 0 ? `ok (${status})` : `unknown ring status ${status}`;
  }
}

/** True when a count-or-status result is a peer fault rather than a count. */
export function isRingFault(result: number): boolean {
  return result < 0;
}
