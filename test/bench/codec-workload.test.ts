import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHandDecodedRequest, decodeRequestByHand, type HandDecodedRequest, requestSlotSize } from "../../bench/codec-workload.js";
import * as blkif from "../../drivers/blk/generated/blkif.js";

// The codec benchmark compares generated code with a hand-written decoder; the comparison is only
// fair if both do the same work. These properties hold the hand-written decoder to that: on any
// bytes it accepts exactly what the generated decodeValidated accepts, with the same values.

/** Random request bytes with the operation and the u64 high halves biased towards the interesting values. */
const requestBytesArbitrary = fc
  .tuple(
    fc.uint8Array({ minLength: requestSlotSize, maxLength: requestSlotSize }),
    fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 200),
    fc.nat({ max: 12 }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([bytes, operation, count, keepHighBytes, keepRandomBytes]) => {
    bytes[0] = operation;
    if (!keepHighBytes) for (const highByte of [13, 14, 15, 21, 22, 23, 29, 30, 31]) bytes[highByte] = 0;
    if (keepRandomBytes) return bytes;
    // Otherwise mostly well-formed, so that every arm is also seen accepted: a count within
    // bounds, segments inside their frame, a known discard flag, a small indirect operation.
    if (operation <= 3) bytes[1] = count;
    if (operation === 5) bytes[1] = bytes[1]! % 3;
    if (operation === 6) bytes[1] = bytes[1]! % 4;
    for (let segment = 0; segment < 11; segment++) {
      const at = 24 + segment * 8;
      bytes[at + 4] = bytes[at + 4]! % 8;
      bytes[at + 5] = bytes[at + 4]! + (bytes[at + 5]! % (9 - bytes[at + 4]!));
    }
    return bytes;
  });

/** Little-endian u64 below 2^53, written as two u32 halves. */
function writeSafeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 4294967296, true);
  view.setUint32(at + 4, Math.floor(value / 4294967296), true);
}

const safeU64Arbitrary = fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

/** Bytes that satisfy every clause the decoders check, built arm by arm so that each arm is accepted by construction. */
const wellFormedRequestBytesArbitrary = fc.oneof(
  fc
    .record({
      operation: fc.constantFrom(0, 1, 2, 3),
      segments: fc.array(
        fc.record({ gref: fc.nat({ max: 0xffffffff }), first: fc.nat({ max: 7 }), length: fc.nat({ max: 7 }) }),
        { minLength: 1, maxLength: 11 },
      ),
      flushWithoutData: fc.boolean(),
      handle: fc.nat({ max: 0xffff }),
      id: safeU64Arbitrary,
      sectorNumber: safeU64Arbitrary,
      filler: fc.uint8Array({ minLength: requestSlotSize, maxLength: requestSlotSize }),
    })
    .map(({ operation, segments, flushWithoutData, handle, id, sectorNumber, filler }) => {
      const view = new DataView(filler.buffer);
      const count = operation === 3 && flushWithoutData ? 0 : segments.length;
      view.setUint8(0, operation);
      view.setUint8(1, count);
      view.setUint16(2, handle, true);
      writeSafeU64(view, 8, id);
      writeSafeU64(view, 16, sectorNumber);
      segments.slice(0, count).forEach((segment, index) => {
        const at = 24 + index * 8;
        view.setUint32(at, segment.gref, true);
        view.setUint8(at + 4, segment.first);
        view.setUint8(at + 5, Math.min(7, segment.first + segment.length));
      });
      return filler;
    }),
  fc
    .record({
      flag: fc.constantFrom(0, 1),
      handle: fc.nat({ max: 0xffff }),
      id: safeU64Arbitrary,
      sectorNumber: safeU64Arbitrary,
      sectors: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      filler: fc.uint8Array({ minLength: requestSlotSize, maxLength: requestSlotSize }),
    })
    .map(({ flag, handle, id, sectorNumber, sectors, filler }) => {
      const view = new DataView(filler.buffer);
      view.setUint8(0, 5);
      view.setUint8(1, flag);
      view.setUint16(2, handle, true);
      writeSafeU64(view, 8, id);
      writeSafeU64(view, 16, sectorNumber);
      writeSafeU64(view, 24, sectors);
      return filler;
    }),
  fc
    .record({
      indirectOperation: fc.constantFrom(0, 1),
      segments: fc.integer({ min: 1, max: 0xffff }),
      id: safeU64Arbitrary,
      sectorNumber: safeU64Arbitrary,
      handle: fc.nat({ max: 0xffff }),
      filler: fc.uint8Array({ minLength: requestSlotSize, maxLength: requestSlotSize }),
    })
    .map(({ indirectOperation, segments, id, sectorNumber, handle, filler }) => {
      const view = new DataView(filler.buffer);
      view.setUint8(0, 6);
      view.setUint8(1, indirectOperation);
      view.setUint16(2, segments, true);
      writeSafeU64(view, 8, id);
      writeSafeU64(view, 16, sectorNumber);
      view.setUint16(24, handle, true);
      return filler;
    }),
);

/**
 * Decodes the same bytes with both decoders and holds them to the same verdict and, when they
 * accept, the same field values. Returns whether they accepted.
 */
function decodeWithBothAndCompare(bytes: Uint8Array, generatedTarget: blkif.Request, handTarget: HandDecodedRequest): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const generatedVerdict = blkif.decodeValidatedRequestX86_64(view, 0, generatedTarget);
  const handVerdict = decodeRequestByHand(view, 0, handTarget);
  expect(handVerdict === 0).toBe(generatedVerdict === undefined);
  if (generatedVerdict !== undefined) return false;
  expect(handTarget.operation).toBe(generatedTarget.operation);
  const variant = generatedTarget.operationVariant;
  if (variant.arm === "read") {
    const { seg, ...scalars } = variant.read;
    const { seg: handSegments, ...handScalars } = handTarget.readWrite;
    expect(handScalars).toEqual(scalars);
    expect(handSegments.slice(0, handScalars.nrSegments)).toEqual(seg.slice(0, scalars.nrSegments));
  } else if (variant.arm === "discard") {
    expect(handTarget.discard).toEqual(variant.discard);
  } else {
    expect(handTarget.indirect).toEqual(variant.indirect);
  }
  return true;
}

describe("codec benchmark: the hand-written decoder does the generated decoder's work", () => {
  it("gives the same verdict as decodeValidatedRequestX86_64 on random bytes, with the same field values when both accept", () => {
    const generatedTarget = blkif.createRequest();
    const handTarget = createHandDecodedRequest();
    fc.assert(
      fc.property(requestBytesArbitrary, (bytes) => {
        decodeWithBothAndCompare(bytes, generatedTarget, handTarget);
      }),
      { numRuns: 3000 },
    );
  });

  it("accepts every well-formed request of every arm, as decodeValidatedRequestX86_64 does, with the same field values", () => {
    const generatedTarget = blkif.createRequest();
    const handTarget = createHandDecodedRequest();
    fc.assert(
      fc.property(wellFormedRequestBytesArbitrary, (bytes) => {
        expect(decodeWithBothAndCompare(bytes, generatedTarget, handTarget)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it("refuses a short slot, as the generated decoder does", () => {
    const view = new DataView(new ArrayBuffer(requestSlotSize - 1));
    expect(decodeRequestByHand(view, 0, createHandDecodedRequest())).not.toBe(0);
    expect(blkif.decodeValidatedRequestX86_64(view, 0, blkif.createRequest())).toBeDefined();
  });
});
