// The shared workload of the codec benchmark: a batch of block requests encoded into one
// buffer, plus the two baselines it is compared with (a hand-written DataView decoder with
// the same checks, and protobufjs decoding an equivalent message).
import protobuf from "protobufjs";

export const requestSlotSize = 112;
export const maximumSegments = 11;

export interface HandDecodedSegment {
  gref: number;
  firstSect: number;
  lastSect: number;
}

export interface HandDecodedRequest {
  operation: number;
  nrSegments: number;
  handle: number;
  id: number;
  sectorNumber: number;
  readonly seg: HandDecodedSegment[];
}

export function createHandDecodedRequest(): HandDecodedRequest {
  return {
    operation: 0,
    nrSegments: 0,
    handle: 0,
    id: 0,
    sectorNumber: 0,
    seg: Array.from({ length: maximumSegments }, () => ({ gref: 0, firstSect: 0, lastSect: 0 })),
  };
}

/**
 * What a careful driver author would write by hand for blkif's x86_64 read/write request: the
 * same checks as the generated decodeValidated (known operation, count bound, data requests
 * carry segments, u64 range, segments within their frame), returning a number instead of an
 * error object.
 */
export function decodeRequestByHand(view: DataView, offset: number, into: HandDecodedRequest): number {
  if (offset + requestSlotSize > view.byteLength) return 1;
  // This decoder handles the read/write/barrier/flush layout, which is all the workload sends.
  const operation = view.getUint8(offset);
  if (operation > 3) return 2;
  into.operation = operation;
  const count = view.getUint8(offset + 1);
  if (count > maximumSegments) return 3;
  if (count === 0 && operation !== 3) return 6;
  into.nrSegments = count;
  into.handle = view.getUint16(offset + 2, true);
  const idHigh = view.getUint32(offset + 12, true);
  const sectorHigh = view.getUint32(offset + 20, true);
  if (idHigh > 0x1fffff || sectorHigh > 0x1fffff) return 4;
  into.id = idHigh * 4294967296 + view.getUint32(offset + 8, true);
  into.sectorNumber = sectorHigh * 4294967296 + view.getUint32(offset + 16, true);
  for (let index = 0; index < count; index++) {
    const at = offset + 24 + index * 8;
    const segment = into.seg[index]!;
    segment.gref = view.getUint32(at, true);
    const first = view.getUint8(at + 4);
    const last = view.getUint8(at + 5);
    if (first > last || last >= 8) return 5;
    segment.firstSect = first;
    segment.lastSect = last;
  }
  return 0;
}

/** The protobufjs type equivalent to a blkif request, built programmatically. */
export function buildProtobufRequestType(): protobuf.Type {
  const segment = new protobuf.Type("Segment")
    .add(new protobuf.Field("gref", 1, "uint32"))
    .add(new protobuf.Field("first_sect", 2, "uint32"))
    .add(new protobuf.Field("last_sect", 3, "uint32"));
  const request = new protobuf.Type("Request")
    .add(new protobuf.Field("operation", 1, "uint32"))
    .add(new protobuf.Field("handle", 2, "uint32"))
    .add(new protobuf.Field("id", 3, "uint64"))
    .add(new protobuf.Field("sector_number", 4, "uint64"))
    .add(new protobuf.Field("seg", 5, "Segment", "repeated"));
  new protobuf.Root().add(segment).add(request);
  return request;
}

/** A deterministic pseudo-random sequence (xorshift32), so every run measures the same batch. */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}
