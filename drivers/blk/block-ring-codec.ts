// Interim blkif codecs over a private slot copy, one per ABI, behind the small interface the
// block drivers use (decodeRequest/encodeRequest/decodeResponse/encodeResponse over bytes and
// an offset). Layouts are reference/xen-abi.md §2. When the generated blkif module is checked
// in, `blockRingCodecFor` returns adapters over it and this file's layout code goes away.

import { BlockOperation, blockMaximumSegmentsPerRequest, type BlockAbiName } from "./block-protocol-constants.js";

export interface BlockSegment {
  grantReference: number;
  firstSector: number;
  lastSector: number;
}

/** One decoded request; read/write/barrier/flush use the segments, discard the sector count. */
export interface BlockRequest {
  operation: number;
  segmentCount: number;
  handle: number;
  id: number;
  sectorNumber: number;
  readonly segments: BlockSegment[];
  discardFlags: number;
  discardSectorCount: number;
}

export interface BlockResponse {
  id: number;
  operation: number;
  status: number;
}

/** A refusal to decode or encode, with the field and the offending value. */
export interface BlockCodecError {
  readonly code: "blkif-segment-count" | "blkif-segment-range" | "blkif-u64-too-large" | "blkif-unknown-operation";
  readonly field: string;
  readonly value: number;
}

export interface BlockRingCodec {
  readonly abi: BlockAbiName;
  readonly slotBytes: number;
  readonly requestIdOffset: number;
  readonly responseIdOffset: number;
  decodeRequest(bytes: Uint8Array, offset: number, into: BlockRequest): BlockCodecError | undefined;
  encodeRequest(value: BlockRequest, bytes: Uint8Array, offset: number): BlockCodecError | undefined;
  decodeResponse(bytes: Uint8Array, offset: number, into: BlockResponse): BlockCodecError | undefined;
  encodeResponse(value: BlockResponse, bytes: Uint8Array, offset: number): BlockCodecError | undefined;
}

export function createBlockRequest(): BlockRequest {
  return {
    operation: BlockOperation.read,
    segmentCount: 0,
    handle: 0,
    id: 0,
    sectorNumber: 0,
    segments: Array.from({ length: blockMaximumSegmentsPerRequest }, () => ({ grantReference: 0, firstSector: 0, lastSector: 0 })),
    discardFlags: 0,
    discardSectorCount: 0,
  };
}

export function createBlockResponse(): BlockResponse {
  return { id: 0, operation: 0, status: 0 };
}

interface BlockAbiLayout {
  readonly abi: BlockAbiName;
  /** Offset of id; sector_number follows at +8, then segments or nr_sectors at +16. */
  readonly requestIdOffset: number;
  readonly responseBytes: number;
  readonly slotBytes: number;
}

const x86_64Layout: BlockAbiLayout = { abi: "x86_64-abi", requestIdOffset: 8, responseBytes: 16, slotBytes: 112 };
const x86_32Layout: BlockAbiLayout = { abi: "x86_32-abi", requestIdOffset: 4, responseBytes: 12, slotBytes: 108 };

const codecsByAbi = new Map<BlockAbiName, BlockRingCodec>();

export function blockRingCodecFor(abi: BlockAbiName): BlockRingCodec {
  let codec = codecsByAbi.get(abi);
  if (codec === undefined) {
    codec = createLayoutCodec(abi === "x86_32-abi" ? x86_32Layout : { ...x86_64Layout, abi });
    codecsByAbi.set(abi, codec);
  }
  return codec;
}

const twoToThe32 = 0x1_0000_0000;

function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

/** A u64 as a number, or -1 when it is 2^53 or more (numbers stop being exact there). */
function readU64(bytes: Uint8Array, offset: number): number {
  const high = readU32(bytes, offset + 4);
  if (high > 0x1fffff) return -1;
  return high * twoToThe32 + readU32(bytes, offset);
}

function writeU64(bytes: Uint8Array, offset: number, value: number): boolean {
  if (!Number.isSafeInteger(value) || value < 0) return false;
  writeU32(bytes, offset, value % twoToThe32);
  writeU32(bytes, offset + 4, Math.floor(value / twoToThe32));
  return true;
}

function createLayoutCodec(layout: BlockAbiLayout): BlockRingCodec {
  const idOffset = layout.requestIdOffset;
  const sectorOffset = idOffset + 8;
  const tailOffset = idOffset + 16;
  return {
    abi: layout.abi,
    slotBytes: layout.slotBytes,
    requestIdOffset: idOffset,
    responseIdOffset: 0,
    decodeRequest(bytes, offset, into) {
      into.operation = bytes[offset]!;
      into.handle = bytes[offset + 2]! | (bytes[offset + 3]! << 8);
      into.id = readU64(bytes, offset + idOffset);
      if (into.id < 0) return { code: "blkif-u64-too-large", field: "id", value: readU32(bytes, offset + idOffset + 4) };
      into.sectorNumber = readU64(bytes, offset + sectorOffset);
      if (into.sectorNumber < 0) return { code: "blkif-u64-too-large", field: "sector_number", value: readU32(bytes, offset + sectorOffset + 4) };
      into.segmentCount = 0;
      into.discardFlags = 0;
      into.discardSectorCount = 0;
      switch (into.operation) {
        case BlockOperation.read:
        case BlockOperation.write:
        case BlockOperation.writeBarrier:
        case BlockOperation.flushDiskCache: {
          const count = bytes[offset + 1]!;
          into.segmentCount = count;
          if (count > blockMaximumSegmentsPerRequest) return { code: "blkif-segment-count", field: "nr_segments", value: count };
          for (let index = 0; index < count; index++) {
            const segmentOffset = offset + tailOffset + index * 8;
            const segment = into.segments[index]!;
            segment.grantReference = readU32(bytes, segmentOffset);
            segment.firstSector = bytes[segmentOffset + 4]!;
            segment.lastSector = bytes[segmentOffset + 5]!;
            if (segment.firstSector > segment.lastSector || segment.lastSector > 7) {
              return { code: "blkif-segment-range", field: `seg[${index}]`, value: segment.firstSector * 256 + segment.lastSector };
            }
          }
          return undefined;
        }
        case BlockOperation.discard: {
          into.discardFlags = bytes[offset + 1]!;
          into.discardSectorCount = readU64(bytes, offset + tailOffset);
          if (into.discardSectorCount < 0) return { code: "blkif-u64-too-large", field: "nr_sectors", value: readU32(bytes, offset + tailOffset + 4) };
          return undefined;
        }
        default:
          return { code: "blkif-unknown-operation", field: "operation", value: into.operation };
      }
    },
    encodeRequest(value, bytes, offset) {
      bytes.fill(0, offset, offset + layout.slotBytes);
      bytes[offset] = value.operation;
      bytes[offset + 2] = value.handle & 0xff;
      bytes[offset + 3] = (value.handle >>> 8) & 0xff;
      if (!writeU64(bytes, offset + idOffset, value.id)) return { code: "blkif-u64-too-large", field: "id", value: value.id };
      if (!writeU64(bytes, offset + sectorOffset, value.sectorNumber)) return { code: "blkif-u64-too-large", field: "sector_number", value: value.sectorNumber };
      if (value.operation === BlockOperation.discard) {
        bytes[offset + 1] = value.discardFlags;
        if (!writeU64(bytes, offset + tailOffset, value.discardSectorCount)) return { code: "blkif-u64-too-large", field: "nr_sectors", value: value.discardSectorCount };
        return undefined;
      }
      if (value.segmentCount > blockMaximumSegmentsPerRequest) return { code: "blkif-segment-count", field: "nr_segments", value: value.segmentCount };
      bytes[offset + 1] = value.segmentCount;
      for (let index = 0; index < value.segmentCount; index++) {
        const segmentOffset = offset + tailOffset + index * 8;
        const segment = value.segments[index]!;
        writeU32(bytes, segmentOffset, segment.grantReference);
        bytes[segmentOffset + 4] = segment.firstSector;
        bytes[segmentOffset + 5] = segment.lastSector;
      }
      return undefined;
    },
    decodeResponse(bytes, offset, into) {
      into.id = readU64(bytes, offset);
      if (into.id < 0) return { code: "blkif-u64-too-large", field: "id", value: readU32(bytes, offset + 4) };
      into.operation = bytes[offset + 8]!;
      into.status = ((bytes[offset + 10]! | (bytes[offset + 11]! << 8)) << 16) >> 16;
      return undefined;
    },
    encodeResponse(value, bytes, offset) {
      // Every byte of the response, padding included, is written (XSA-216).
      bytes.fill(0, offset, offset + layout.responseBytes);
      if (!writeU64(bytes, offset, value.id)) return { code: "blkif-u64-too-large", field: "id", value: value.id };
      bytes[offset + 8] = value.operation;
      bytes[offset + 10] = value.status & 0xff;
      bytes[offset + 11] = (value.status >>> 8) & 0xff;
      return undefined;
    },
  };
}
