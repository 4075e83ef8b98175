// The xenstore interface page shared by a domain and the store (2080 bytes of a 4 KiB page):
// two 1024-byte byte-stream rings and their free-running indices, plus the connection and
// error fields, with index access through Atomics so the page may live in shared memory.

export const xenstoreRingBytes = 1024;
export const xenstoreInterfacePageBytes = 2080;

/** Byte offsets inside the page (reference/xen-abi.md §8). */
export const XenstoreInterfaceOffset = {
  requestRing: 0,
  responseRing: 1024,
  requestConsumer: 2048,
  requestProducer: 2052,
  responseConsumer: 2056,
  responseProducer: 2060,
  serverFeatures: 2064,
  connection: 2068,
  error: 2072,
  eventChannelPort: 2076,
} as const;

/** Bits of server_features: the server honours the reconnection handshake and reports errors. */
export const XenstoreServerFeature = { reconnection: 1, error: 2 } as const;
/** Values of the connection field. */
export const XenstoreConnectionState = { connected: 0, reconnect: 1 } as const;
/** Values of the error field, set by the server before it stops serving the ring. */
export const XenstoreRingError = { none: 0, communication: 1, ringIndex: 2, protocol: 3 } as const;

/** The index and control words of the page, read and written with Atomics. */
export type XenstoreInterfaceWord = Exclude<keyof typeof XenstoreInterfaceOffset, "requestRing" | "responseRing">;

const hostIsLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A view of one interface page: byte rings and atomically accessed 32-bit words. */
export class XenstoreInterfacePage {
  readonly requestRing: Uint8Array;
  readonly responseRing: Uint8Array;
  private readonly words: Uint32Array;

  /** `page` must hold at least 2080 bytes and start at a 4-byte aligned offset. */
  constructor(page: Uint8Array) {
    if (page.length < xenstoreInterfacePageBytes) {
      throw new RangeError(`a xenstore interface page needs ${xenstoreInterfacePageBytes} bytes (got ${page.length})`);
    }
    if (page.byteOffset % 4 !== 0) throw new RangeError("a xenstore interface page must start at a 4-byte aligned offset");
    // Xen's page layout is little-endian; the 32-bit words are accessed in host order.
    if (!hostIsLittleEndian) throw new RangeError("the xenstore interface page needs a little-endian host");
    this.requestRing = page.subarray(XenstoreInterfaceOffset.requestRing, XenstoreInterfaceOffset.requestRing + xenstoreRingBytes);
    this.responseRing = page.subarray(XenstoreInterfaceOffset.responseRing, XenstoreInterfaceOffset.responseRing + xenstoreRingBytes);
    this.words = new Uint32Array(page.buffer, page.byteOffset, xenstoreInterfacePageBytes / 4);
  }

  load(word: XenstoreInterfaceWord): number {
    return Atomics.load(this.words, XenstoreInterfaceOffset[word] / 4);
  }

  store(word: XenstoreInterfaceWord, value: number): void {
    Atomics.store(this.words, XenstoreInterfaceOffset[word] / 4, value >>> 0);
  }
}
