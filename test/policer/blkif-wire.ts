// The blkif wire as the policer's tests drive it, per ABI, taken entirely from the generated
// module (drivers/blk/generated/blkif.ts): the generated MonitorSpec, field offsets from its
// layout tables, and honest requests and responses built by its encoders.

import {
  codecsByAbi,
  createRequest,
  createResponse,
  layoutTables,
  monitorSpecX86_32,
  monitorSpecX86_64,
  type Request,
  type Response,
} from "../../drivers/blk/generated/blkif.js";
import type { MonitorRingChannel, MonitorSpec } from "../../runtime/monitor/index.js";

export type BlkifAbi = "x86_64" | "x86_32";

export const XenbusState = { initialising: 1, initWait: 2, initialised: 3, connected: 4, closing: 5, closed: 6 } as const;

/** Byte offsets inside a request slot and a response, for the ABI's layout. */
export interface BlkifFieldOffsets {
  readonly operation: number;
  readonly segmentCount: number;
  readonly handle: number;
  readonly id: number;
  readonly sectorNumber: number;
  readonly firstSegment: number;
  readonly segmentBytes: number;
  readonly segmentReference: number;
  readonly segmentFirstSector: number;
  readonly segmentLastSector: number;
  readonly discardSectorCount: number;
  readonly indirectOperation: number;
  readonly indirectSegmentCount: number;
  readonly responseId: number;
  readonly responseOperation: number;
  readonly responseStatus: number;
  /** The response's padding runs as [offset, bytes] (XSA-216 says they stay zero). */
  readonly responsePadding: readonly (readonly [number, number])[];
}

export interface BlkifWire {
  readonly abi: BlkifAbi;
  readonly spec: MonitorSpec;
  readonly ring: MonitorRingChannel;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly entries: number;
  readonly offsets: BlkifFieldOffsets;
  /** An honest read/write request through the generated encoder (first sector 0, last 7). */
  encodeRequest(operation: number, id: number, grantReferences: readonly number[], sectorNumber?: number): Uint8Array;
  /** An honest response through the generated encoder (padding zeroed). */
  encodeResponse(id: number, operation: number, status: number): Uint8Array;
  /** Reads a request slot with the generated decoder (no `where` checks: an honest backend validates separately). */
  decodeRequest(slot: Uint8Array): Request;
  /** The byte offset of ring index `index`'s slot in the ring page. */
  slotOffset(index: number): number;
}

const monitorSpecs: Readonly<Record<BlkifAbi, MonitorSpec>> = { x86_64: monitorSpecX86_64, x86_32: monitorSpecX86_32 };

function describeOffsets(abi: BlkifAbi): BlkifFieldOffsets {
  const tables = layoutTables[abi];
  const variant = tables.Request.fields.operation_variant.offset;
  const read = tables.Request_read.fields;
  return {
    operation: tables.Request.fields.operation.offset,
    segmentCount: variant + read.nr_segments.offset,
    handle: variant + read.handle.offset,
    id: variant + read.id.offset,
    sectorNumber: variant + read.sector_number.offset,
    firstSegment: variant + read.seg.offset,
    segmentBytes: tables.Segment.size,
    segmentReference: tables.Segment.fields.gref.offset,
    segmentFirstSector: tables.Segment.fields.first_sect.offset,
    segmentLastSector: tables.Segment.fields.last_sect.offset,
    discardSectorCount: variant + tables.Request_discard.fields.nr_sectors.offset,
    indirectOperation: variant + tables.Request_indirect.fields.indirect_op.offset,
    indirectSegmentCount: variant + tables.Request_indirect.fields.nr_segments.offset,
    responseId: tables.Response.fields.id.offset,
    responseOperation: tables.Response.fields.operation.offset,
    responseStatus: tables.Response.fields.status.offset,
    responsePadding: tables.Response.padding,
  };
}

export function describeBlkifWire(abi: BlkifAbi): BlkifWire {
  const spec = monitorSpecs[abi];
  const ring = spec.rings[0];
  if (ring === undefined) throw new Error(`the generated blkif ${abi} monitor spec has no ring`);
  const codecs = codecsByAbi[abi];
  const requestBytes = layoutTables[abi].Request.size;
  const responseBytes = layoutTables[abi].Response.size;
  const scratchRequest = createRequest();
  return {
    abi,
    spec,
    ring,
    requestBytes,
    responseBytes,
    entries: ring.entries,
    offsets: describeOffsets(abi),
    encodeRequest(operation, id, grantReferences, sectorNumber = 0) {
      const request = createRequest();
      request.operation = operation as Request["operation"];
      request.operationVariant.arm = "read";
      const read = request.operationVariant.read;
      read.nrSegments = grantReferences.length;
      read.id = id;
      read.sectorNumber = sectorNumber;
      grantReferences.forEach((reference, index) => {
        const segment = read.seg[index];
        if (segment === undefined) throw new RangeError(`a request carries at most ${read.seg.length} segments`);
        segment.gref = reference;
        segment.firstSect = 0;
        segment.lastSect = 7;
      });
      const bytes = new Uint8Array(requestBytes);
      const error = codecs.Request.encode(request, new DataView(bytes.buffer), 0);
      if (error !== undefined) throw new Error(`the generated encoder refused an honest request: ${error.code} at ${error.fieldPath}`);
      return bytes;
    },
    encodeResponse(id, operation, status) {
      const response: Response = createResponse();
      response.id = id;
      response.operation = operation as Response["operation"];
      response.status = status as Response["status"];
      const bytes = new Uint8Array(responseBytes);
      const error = codecs.Response.encode(response, new DataView(bytes.buffer), 0);
      if (error !== undefined) throw new Error(`the generated encoder refused an honest response: ${error.code} at ${error.fieldPath}`);
      return bytes;
    },
    decodeRequest(slot) {
      const error = codecs.Request.decode(new DataView(slot.buffer, slot.byteOffset, slot.byteLength), 0, scratchRequest);
      if (error !== undefined) throw new Error(`an honest backend cannot read the request: ${error.code} at ${error.fieldPath}`);
      return scratchRequest;
    },
    slotOffset(index) {
      return 64 + (index & (ring.entries - 1)) * requestBytes;
    },
  };
}
