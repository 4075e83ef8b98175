// Where the two byte streams and their indices live in a console page or a xenstore
// interface page (xen-abi.md §4 and §8). A layout is data, so new byte-stream rings need no code.

/** One direction of a byte-stream ring: a power-of-two buffer and its two u32 indices. */
export interface ByteStreamDirectionLayout {
  readonly dataOffset: number;
  /** Buffer length in bytes; a power of two, so `index & (dataBytes - 1)` selects a byte. */
  readonly dataBytes: number;
  readonly consumerIndexOffset: number;
  readonly producerIndexOffset: number;
}

export interface ByteStreamRingLayout {
  readonly name: string;
  /** Bytes of the shared structure, from offset 0 up to the end of its last field. */
  readonly totalBytes: number;
  /** The stream the guest (frontend) writes and the backend (or store daemon) reads. */
  readonly guestToBackend: ByteStreamDirectionLayout;
  /** The stream the backend (or store daemon) writes and the guest reads. */
  readonly backendToGuest: ByteStreamDirectionLayout;
}

/**
 * Xen's console page: in[1024] @0 (backend to guest), out[2048] @1024 (guest to backend),
 * in_cons @3072, in_prod @3076, out_cons @3080, out_prod @3084, connection u8 @3088; 3092 bytes.
 */
export const consoleRingLayout: ByteStreamRingLayout = {
  name: "console",
  totalBytes: 3092,
  guestToBackend: { dataOffset: 1024, dataBytes: 2048, consumerIndexOffset: 3080, producerIndexOffset: 3084 },
  backendToGuest: { dataOffset: 0, dataBytes: 1024, consumerIndexOffset: 3072, producerIndexOffset: 3076 },
};

/** Offsets of the console page's fields that are not part of either stream. */
export const consoleRingFieldOffsets = {
  connection: 3088,
} as const;

/**
 * Xen's xenstore domain interface: req[1024] @0 (guest to store), rsp[1024] @1024 (store to
 * guest), req_cons @2048, req_prod @2052, rsp_cons @2056, rsp_prod @2060, then
 * server_features @2064, connection @2068, error @2072, evtchn_port @2076; 2080 bytes.
 */
export const xenstoreRingLayout: ByteStreamRingLayout = {
  name: "xenstore",
  totalBytes: 2080,
  guestToBackend: { dataOffset: 0, dataBytes: 1024, consumerIndexOffset: 2048, producerIndexOffset: 2052 },
  backendToGuest: { dataOffset: 1024, dataBytes: 1024, consumerIndexOffset: 2056, producerIndexOffset: 2060 },
};

/** Offsets of the xenstore interface's u32 fields that follow the four stream indices. */
export const xenstoreRingFieldOffsets = {
  serverFeatures: 2064,
  connection: 2068,
  error: 2072,
  eventChannelPort: 2076,
} as const;

/** Checks that a layout is usable; returns a sentence naming the first problem, or null. */
export function findByteStreamLayoutProblem(layout: ByteStreamRingLayout): string | null {
  for (const [label, direction] of [
    ["guest-to-backend", layout.guestToBackend],
    ["backend-to-guest", layout.backendToGuest],
  ] as const) {
    const { dataOffset, dataBytes, consumerIndexOffset, producerIndexOffset } = direction;
    if (!Number.isInteger(dataBytes) || dataBytes <= 0 || (dataBytes & (dataBytes - 1)) !== 0) {
      return `${layout.name} ${label} buffer length ${dataBytes} is not a power of two`;
    }
    if (dataOffset < 0 || dataOffset + dataBytes > layout.totalBytes) {
      return `${layout.name} ${label} buffer [${dataOffset}, ${dataOffset + dataBytes}) lies outside the ${layout.totalBytes}-byte structure`;
    }
    for (const offset of [consumerIndexOffset, producerIndexOffset]) {
      if (offset % 4 !== 0 || offset < 0 || offset + 4 > layout.totalBytes) {
        return `${layout.name} ${label} index offset ${offset} is not a 4-aligned word inside the structure`;
      }
    }
  }
  return null;
}
