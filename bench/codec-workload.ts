// The shared workload of the codec benchmark: a batch of block requests encoded into one
// buffer, plus the two baselines it is compared with (a hand-written DataView decoder doing
// the same decoding and checks as the generated one, and protobufjs decoding an equivalent message).
import protobuf from "protobufjs";

export const requestSlotSize = 112;
export const maximumSegments = 11;

export interface HandDecodedSegment {
  gref: number;
  firstSect: number;
  lastSect: number;
}

export interface HandDecodedReadWrite {
  nrSegments: number;
  handle: number;
  id: number;
  sectorNumber: number;
  readonly seg: HandDecodedSegment[];
}

export interface HandDecodedDiscard {
  flag: number;
  handle: number;
  id: number;
  sectorNumber: number;
  nrSectors: number;
}

export interface HandDecodedIndirect {
  indirectOp: number;
  nrSegments: number;
  id: number;
  sectorNumber: number;
  handle: number;
  readonly indirectGrefs: number[];
}

/** One reusable target with a slot per request shape, as a driver author would keep it. */
export interface HandDecodedRequest {
  operation: number;
  readonly readWrite: HandDecodedReadWrite;
  readonly discard: HandDecodedDiscard;
  readonly indirect: HandDecodedIndirect;
}

export function createHandDecodedRequest(): HandDecodedRequest {
  return {
    operation: 0,
    readWrite: {
      nrSegments: 0,
      handle: 0,
      id: 0,
      sectorNumber: 0,
      seg: Array.from({ length: maximumSegments }, () => ({ gref: 0, firstSect: 0, lastSect: 0 })),
    },
    discard: { flag: 0, handle: 0, id: 0, sectorNumber: 0, nrSectors: 0 },
    indirect: { indirectOp: 0, nrSegments: 0, id: 0, sectorNumber: 0, handle: 0, indirectGrefs: Array.from({ length: 8 }, () => 0) },
  };
}

/** The failures the hand-written decoder tells apart (a number, where generated code returns an error object). */
export const handDecodeFailure = {
  slotTooSmall: 1,
  unknownOperation: 2,
  countAboveCapacity: 3,
  aboveSafeInteger: 4,
  segmentOutsideFrame: 5,
  dataWithoutSegments: 6,
  unknownDiscardFlag: 7,
  emptyDiscard: 8,
  indirectOperationNotReadOrWrite: 9,
} as const;

/**
 * What a careful driver author would write by hand for blkif's x86_64 request: the same work
 * as the generated decodeValidated, arm for arm. It decodes every field of whichever shape the
 * operation selects (read/write/barrier/flush, discard, indirect) and checks what the generated
 * code checks: a known operation with an arm, the segment-count bound, data requests carry
 * segments, every u64 below 2^53, live segments within their frame, discard flags known and a
 * discard not empty, an indirect operation of read or write. It returns a number instead of an
 * error object, which is the only thing it does not do.
 */
export function decodeRequestByHand(view: DataView, offset: number, into: HandDecodedRequest): number {
  if (offset < 0 || offset + requestSlotSize > view.byteLength) return handDecodeFailure.slotTooSmall;
  const operation = view.getUint8(offset);
  into.operation = operation;
  if (operation <= 3) {
    const request = into.readWrite;
    const count = view.getUint8(offset + 1);
    if (count > maximumSegments) return handDecodeFailure.countAboveCapacity;
    if (count === 0 && operation !== 3) return handDecodeFailure.dataWithoutSegments;
    request.nrSegments = count;
    request.handle = view.getUint16(offset + 2, true);
    const idHigh = view.getUint32(offset + 12, true);
    const sectorHigh = view.getUint32(offset + 20, true);
    if (idHigh > 0x1fffff || sectorHigh > 0x1fffff) return handDecodeFailure.aboveSafeInteger;
    request.id = idHigh * 4294967296 + view.getUint32(offset + 8, true);
    request.sectorNumber = sectorHigh * 4294967296 + view.getUint32(offset + 16, true);
    const segments = request.seg;
    for (let index = 0; index < count; index++) {
      const at = offset + 24 + index * 8;
      const segment = segments[index]!;
      segment.gref = view.getUint32(at, true);
      const first = view.getUint8(at + 4);
      const last = view.getUint8(at + 5);
      if (first > last || last >= 8) return handDecodeFailure.segmentOutsideFrame;
      segment.firstSect = first;
      segment.lastSect = last;
    }
    return 0;
  }
  if (operation === 5) {
    const request = into.discard;
    const flag = view.getUint8(offset + 1);
    if ((flag & ~1) !== 0) return handDecodeFailure.unknownDiscardFlag;
    request.flag = flag;
    request.handle = view.getUint16(offset + 2, true);
    const idHigh = view.getUint32(offset + 12, true);
    const sectorHigh = view.getUint32(offset + 20, true);
    const sectorsHigh = view.getUint32(offset + 28, true);
    if (idHigh > 0x1fffff || sectorHigh > 0x1fffff || sectorsHigh > 0x1fffff) return handDecodeFailure.aboveSafeInteger;
    request.id = idHigh * 4294967296 + view.getUint32(offset + 8, true);
    request.sectorNumber = sectorHigh * 4294967296 + view.getUint32(offset + 16, true);
    request.nrSectors = sectorsHigh * 4294967296 + view.getUint32(offset + 24, true);
    if (request.nrSectors < 1) return handDecodeFailure.emptyDiscard;
    return 0;
  }
  if (operation === 6) {
    const request = into.indirect;
    const indirectOperation = view.getUint8(offset + 1);
    if (indirectOperation > 6) return handDecodeFailure.unknownOperation;
    request.indirectOp = indirectOperation;
    request.nrSegments = view.getUint16(offset + 2, true);
    const idHigh = view.getUint32(offset + 12, true);
    const sectorHigh = view.getUint32(offset + 20, true);
    if (idHigh > 0x1fffff || sectorHigh > 0x1fffff) return handDecodeFailure.aboveSafeInteger;
    request.id = idHigh * 4294967296 + view.getUint32(offset + 8, true);
    request.sectorNumber = sectorHigh * 4294967296 + view.getUint32(offset + 16, true);
    request.handle = view.getUint16(offset + 24, true);
    const grants = request.indirectGrefs;
    for (let index = 0; index < 8; index++) grants[index] = view.getUint32(offset + 28 + index * 4, true);
    if (indirectOperation > 1) return handDecodeFailure.indirectOperationNotReadOrWrite;
    return 0;
  }
  return handDecodeFailure.unknownOperation;
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
