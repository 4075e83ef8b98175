// The blkif codecs the block drivers use, per ABI, as a thin adapter over the generated module
// (drivers/blk/generated/blkif.ts): the drivers keep one flat request shape, the generated
// code does every byte of layout, validation of the `where` clauses and padding zeroing.

import {
  Operation,
  codecsByAbi,
  createRequest,
  createResponse,
  layoutTables,
  type Request as GeneratedRequest,
  type Response as GeneratedResponse,
} from "./generated/blkif.js";
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

/**
 * A refusal to decode or encode: the generated code's error code (or `clause:<id>` for a
 * failed `where` clause), the field path and the offending value.
 */
export interface BlockCodecError {
  readonly code: string;
  readonly field: string;
  readonly value: number | string | boolean;
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

const codecsByBlockAbi = new Map<BlockAbiName, BlockRingCodec>();

export function blockRingCodecFor(abi: BlockAbiName): BlockRingCodec {
  let codec = codecsByBlockAbi.get(abi);
  if (codec === undefined) {
    codec = createGeneratedCodecAdapter(abi);
    codecsByBlockAbi.set(abi, codec);
  }
  return codec;
}

/** One DataView per byte view, kept for the view's lifetime: slots and private copies are long-lived, so this allocates once each. */
const dataViews = new WeakMap<Uint8Array, DataView>();

function dataViewOf(bytes: Uint8Array): DataView {
  let view = dataViews.get(bytes);
  if (view === undefined) {
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    dataViews.set(bytes, view);
  }
  return view;
}

function toBlockCodecError(error: { readonly fieldPath: string; readonly value: number | string | boolean } & ({ readonly code: string } | { readonly clauseId: string })): BlockCodecError {
  return { code: "code" in error ? error.code : `clause:${error.clauseId}`, field: error.fieldPath, value: error.value };
}

function createGeneratedCodecAdapter(abi: BlockAbiName): BlockRingCodec {
  const generatedAbi = abi === "x86_32-abi" ? "x86_32" : abi === "arm-abi" ? "arm" : "x86_64";
  const codecs = codecsByAbi[generatedAbi];
  const layout = layoutTables[generatedAbi === "x86_32" ? "x86_32" : "x86_64"];
  // The id of a read request sits after the one-byte operation that selects the variant.
  const requestIdOffset = 1 + layout.Request_read.fields.id.offset;
  const slotBytes = Math.max(codecs.Request.size, codecs.Response.size);
  const scratchRequest: GeneratedRequest = createRequest();
  const scratchResponse: GeneratedResponse = createResponse();

  return {
    abi,
    slotBytes,
    requestIdOffset,
    responseIdOffset: layout.Response.fields.id.offset,
    decodeRequest(bytes, offset, into) {
      const view = dataViewOf(bytes);
      // The id is taken first so that even a refused request can be answered with its id.
      const idLow = view.getUint32(offset + requestIdOffset, true);
      const idHigh = view.getUint32(offset + requestIdOffset + 4, true);
      into.id = idHigh > 0x1fffff ? -1 : idHigh * 0x1_0000_0000 + idLow;
      into.operation = bytes[offset]!;
      into.segmentCount = 0;
      into.discardFlags = 0;
      into.discardSectorCount = 0;
      const error = codecs.Request.decodeValidated(view, offset, scratchRequest);
      if (error !== undefined) return toBlockCodecError(error);
      const variant = scratchRequest.operationVariant;
      switch (variant.arm) {
        case "read": {
          const read = variant.read;
          into.handle = read.handle;
          into.sectorNumber = read.sectorNumber;
          into.segmentCount = read.nrSegments;
          for (let index = 0; index < read.nrSegments; index++) {
            const source = read.seg[index]!;
            const target = into.segments[index]!;
            target.grantReference = source.gref;
            target.firstSector = source.firstSect;
            target.lastSector = source.lastSect;
          }
          return undefined;
        }
        case "discard": {
          const discard = variant.discard;
          into.handle = discard.handle;
          into.sectorNumber = discard.sectorNumber;
          into.discardFlags = discard.flag;
          into.discardSectorCount = discard.nrSectors;
          return undefined;
        }
        case "indirect":
          into.handle = variant.indirect.handle;
          into.sectorNumber = variant.indirect.sectorNumber;
          return undefined;
      }
    },
    encodeRequest(value, bytes, offset) {
      const view = dataViewOf(bytes);
      if (value.operation === BlockOperation.discard) {
        scratchRequest.operation = Operation.discard;
        scratchRequest.operationVariant.arm = "discard";
        const discard = scratchRequest.operationVariant.discard;
        discard.flag = value.discardFlags;
        discard.handle = value.handle;
        discard.id = value.id;
        discard.sectorNumber = value.sectorNumber;
        discard.nrSectors = value.discardSectorCount;
      } else {
        scratchRequest.operation = value.operation as Operation;
        scratchRequest.operationVariant.arm = "read";
        const read = scratchRequest.operationVariant.read;
        read.nrSegments = value.segmentCount;
        read.handle = value.handle;
        read.id = value.id;
        read.sectorNumber = value.sectorNumber;
        const count = Math.min(value.segmentCount, blockMaximumSegmentsPerRequest);
        for (let index = 0; index < count; index++) {
          const source = value.segments[index]!;
          const target = read.seg[index]!;
          target.gref = source.grantReference;
          target.firstSect = source.firstSector;
          target.lastSect = source.lastSector;
        }
      }
      bytes.fill(0, offset, offset + codecs.Request.size);
      const error = codecs.Request.encode(scratchRequest, view, offset);
      return error === undefined ? undefined : toBlockCodecError(error);
    },
    decodeResponse(bytes, offset, into) {
      const error = codecs.Response.decodeValidated(dataViewOf(bytes), offset, scratchResponse);
      if (error !== undefined) return toBlockCodecError(error);
      into.id = scratchResponse.id;
      into.operation = scratchResponse.operation;
      into.status = scratchResponse.status;
      return undefined;
    },
    encodeResponse(value, bytes, offset) {
      scratchResponse.id = value.id;
      scratchResponse.operation = value.operation as GeneratedResponse["operation"];
      scratchResponse.status = value.status as GeneratedResponse["status"];
      // The generated encoder zeroes the padding (XSA-216).
      const error = codecs.Response.encode(scratchResponse, dataViewOf(bytes), offset);
      return error === undefined ? undefined : toBlockCodecError(error);
    },
  };
}
