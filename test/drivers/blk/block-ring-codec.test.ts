// Tests of the drivers' blkif codec adapter over the generated module: byte offsets per ABI
// from reference/xen-abi.md §2, round trips for every operation, zeroed response padding, and
// hostile bytes.

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { BlockOperation, blockRingCodecFor, createBlockRequest, createBlockResponse, type BlockAbiName, type BlockRequest } from "../../../drivers/blk/index.js";

const abis: BlockAbiName[] = ["x86_64-abi", "x86_32-abi", "arm-abi"];

describe("blkif codec layout", () => {
  it.each<[BlockAbiName, number, number, number]>([
    ["x86_64-abi", 112, 8, 16],
    ["x86_32-abi", 108, 4, 12],
    ["arm-abi", 112, 8, 16],
  ])("%s: slot %d bytes, request id at %d, response %d bytes", (abi, slotBytes, idOffset, responseBytes) => {
    const codec = blockRingCodecFor(abi);
    expect(codec.slotBytes).toBe(slotBytes);
    expect(codec.requestIdOffset).toBe(idOffset);
    const request = createBlockRequest();
    Object.assign(request, { operation: BlockOperation.write, segmentCount: 2, handle: 0x1234, id: 0x0102030405, sectorNumber: 0x0a0b0c0d0e });
    request.segments[1]!.grantReference = 0xdeadbeef;
    request.segments[1]!.firstSector = 3;
    request.segments[1]!.lastSector = 7;
    const bytes = new Uint8Array(slotBytes).fill(0xee);
    expect(codec.encodeRequest(request, bytes, 0)).toBeUndefined();
    expect([bytes[0], bytes[1], bytes[2], bytes[3]]).toEqual([1, 2, 0x34, 0x12]);
    expect(Array.from(bytes.subarray(idOffset, idOffset + 8))).toEqual([5, 4, 3, 2, 1, 0, 0, 0]);
    expect(Array.from(bytes.subarray(idOffset + 8, idOffset + 16))).toEqual([0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0, 0, 0]);
    const secondSegment = idOffset + 16 + 8;
    expect(Array.from(bytes.subarray(secondSegment, secondSegment + 8))).toEqual([0xef, 0xbe, 0xad, 0xde, 3, 7, 0, 0]);
    const response = new Uint8Array(slotBytes).fill(0xee);
    expect(codec.encodeResponse({ id: 7, operation: 1, status: -2 }, response, 0)).toBeUndefined();
    expect(Array.from(response.subarray(0, responseBytes))).toEqual([7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xfe, 0xff, ...new Array<number>(responseBytes - 12).fill(0)]);
  });

  it("places the discard sector count right after the sector number", () => {
    for (const [abi, offset] of [["x86_64-abi", 24], ["x86_32-abi", 20]] as const) {
      const codec = blockRingCodecFor(abi);
      const request = createBlockRequest();
      Object.assign(request, { operation: BlockOperation.discard, discardFlags: 1, discardSectorCount: 99, id: 1, sectorNumber: 2 });
      const bytes = new Uint8Array(codec.slotBytes);
      codec.encodeRequest(request, bytes, 0);
      expect(bytes[1]).toBe(1);
      expect(bytes[offset]).toBe(99);
    }
  });
});

const segmentArbitrary = fc.record({
  grantReference: fc.integer({ min: 0, max: 0xffff_ffff }),
  firstSector: fc.integer({ min: 0, max: 7 }),
  span: fc.integer({ min: 0, max: 7 }),
});

const requestArbitrary = fc.oneof(
  fc.record({
    operation: fc.constantFrom(BlockOperation.read, BlockOperation.write, BlockOperation.writeBarrier),
    handle: fc.integer({ min: 0, max: 0xffff }),
    id: fc.maxSafeInteger().filter((value) => value >= 0),
    sectorNumber: fc.maxSafeInteger().filter((value) => value >= 0),
    segments: fc.array(segmentArbitrary, { minLength: 1, maxLength: 11 }),
    discardFlags: fc.constant(0),
    discardSectorCount: fc.constant(0),
  }),
  fc.record({
    operation: fc.constant(BlockOperation.flushDiskCache),
    handle: fc.integer({ min: 0, max: 0xffff }),
    id: fc.maxSafeInteger().filter((value) => value >= 0),
    sectorNumber: fc.maxSafeInteger().filter((value) => value >= 0),
    segments: fc.array(segmentArbitrary, { maxLength: 11 }),
    discardFlags: fc.constant(0),
    discardSectorCount: fc.constant(0),
  }),
  fc.record({
    operation: fc.constant(BlockOperation.discard),
    handle: fc.integer({ min: 0, max: 0xffff }),
    id: fc.maxSafeInteger().filter((value) => value >= 0),
    sectorNumber: fc.maxSafeInteger().filter((value) => value >= 0),
    segments: fc.constant([]),
    discardFlags: fc.integer({ min: 0, max: 1 }),
    discardSectorCount: fc.maxSafeInteger().filter((value) => value >= 1),
  }),
);

interface GeneratedRequest {
  readonly operation: number;
  readonly handle: number;
  readonly id: number;
  readonly sectorNumber: number;
  readonly segments: ReadonlyArray<{ grantReference: number; firstSector: number; span: number }>;
  readonly discardFlags: number;
  readonly discardSectorCount: number;
}

function toRequest(generated: GeneratedRequest): BlockRequest {
  const request = createBlockRequest();
  request.operation = generated.operation;
  request.handle = generated.handle;
  request.id = generated.id;
  request.sectorNumber = generated.sectorNumber;
  request.segmentCount = generated.segments.length;
  generated.segments.forEach((segment, index) => {
    const target = request.segments[index]!;
    target.grantReference = segment.grantReference;
    target.firstSector = segment.firstSector;
    target.lastSector = Math.min(7, segment.firstSector + segment.span);
  });
  request.discardFlags = generated.discardFlags;
  request.discardSectorCount = generated.discardSectorCount;
  return request;
}

describe("blkif codec properties", () => {
  it.each(abis)("decode(encode(request)) = request and decode(encode(response)) = response on %s", (abi) => {
    const codec = blockRingCodecFor(abi);
    const bytes = new Uint8Array(codec.slotBytes);
    fc.assert(
      fc.property(requestArbitrary, (generated) => {
        const request = toRequest(generated);
        expect(codec.encodeRequest(request, bytes, 0)).toBeUndefined();
        const decoded = createBlockRequest();
        expect(codec.decodeRequest(bytes, 0, decoded)).toBeUndefined();
        expect({ ...decoded, segments: decoded.segments.slice(0, decoded.segmentCount) }).toEqual({ ...request, segments: request.segments.slice(0, request.segmentCount) });
      }),
    );
    fc.assert(
      fc.property(fc.maxSafeInteger().filter((value) => value >= 0), fc.integer({ min: 0, max: 6 }), fc.integer({ min: -2, max: 0 }), (id, operation, status) => {
        expect(codec.encodeResponse({ id, operation, status }, bytes, 0)).toBeUndefined();
        const decoded = createBlockResponse();
        expect(codec.decodeResponse(bytes, 0, decoded)).toBeUndefined();
        expect(decoded).toEqual({ id, operation, status });
      }),
    );
  });

  it.each(abis)("random bytes never make the %s decoders throw, and violations come back as errors", (abi) => {
    const codec = blockRingCodecFor(abi);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: codec.slotBytes, maxLength: codec.slotBytes }), (bytes) => {
        const request = createBlockRequest();
        const error = codec.decodeRequest(bytes, 0, request);
        if (error === undefined) {
          expect(request.segmentCount).toBeLessThanOrEqual(11);
          for (let index = 0; index < request.segmentCount; index++) expect(request.segments[index]!.lastSector).toBeLessThanOrEqual(7);
        } else {
          expect(error.code).toMatch(/^(clause:blkif\.|[a-z0-9-]+$)/);
        }
        codec.decodeResponse(bytes, 0, createBlockResponse());
      }),
    );
  });

  it("refuses ids of 2^53 and above instead of rounding them", () => {
    const codec = blockRingCodecFor("x86_64-abi");
    const bytes = new Uint8Array(codec.slotBytes);
    bytes[15] = 0x01;
    bytes[1] = 1;
    bytes[24 + 5] = 7;
    expect(codec.decodeRequest(bytes, 0, createBlockRequest())).toMatchObject({ code: "u64-above-safe-integer" });
    expect(codec.encodeResponse({ id: 2 ** 53, operation: 0, status: 0 }, bytes, 0)).toMatchObject({ code: "integer-out-of-range", field: "id" });
  });
});
