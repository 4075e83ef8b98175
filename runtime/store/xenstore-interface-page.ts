// The control words of the xenstore interface page that are not part of either byte stream
// (server_features, connection, error), their values, and atomic access to them. The two
// streams themselves are runtime/ring's byte-stream rings with the xenstore layout.
import { xenstoreRingFieldOffsets, xenstoreRingLayout } from "../ring/index.js";
import { RingIndexWords } from "../ring/ring-index-words.js";

/** Bits of server_features: the server honours the reconnection handshake and reports errors. */
export const XenstoreServerFeature = { reconnection: 1, error: 2 } as const;
/** Values of the connection field. */
export const XenstoreConnectionState = { connected: 0, reconnect: 1 } as const;
/** Values of the error field, set by the server before it stops serving the ring. */
export const XenstoreRingError = { none: 0, communication: 1, ringIndex: 2, protocol: 3 } as const;

export type XenstoreControlWord = keyof typeof xenstoreRingFieldOffsets;

/** Reads and writes the page's control words (atomically when the page is shared memory). */
export class XenstoreInterfaceControl {
  private readonly words: RingIndexWords;

  constructor(page: Uint8Array) {
    if (page.length < xenstoreRingLayout.totalBytes) {
      throw new RangeError(`a xenstore interface page needs ${xenstoreRingLayout.totalBytes} bytes (got ${page.length})`);
    }
    this.words = new RingIndexWords(page, xenstoreRingLayout.totalBytes);
  }

  load(word: XenstoreControlWord): number {
    return this.words.load(xenstoreRingFieldOffsets[word]) >>> 0;
  }

  store(word: XenstoreControlWord, value: number): void {
    this.words.store(xenstoreRingFieldOffsets[word], value);
  }

  /** Sets all four stream indices to 0 (the reconnection handshake restarts both streams). */
  resetStreamIndices(): void {
    for (const direction of [xenstoreRingLayout.guestToBackend, xenstoreRingLayout.backendToGuest]) {
      this.words.store(direction.consumerIndexOffset, 0);
      this.words.store(direction.producerIndexOffset, 0);
    }
  }
}
