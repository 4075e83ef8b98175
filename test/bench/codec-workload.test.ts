import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHandDecodedRequest, decodeRequestByHand, requestSlotSize } from "../../bench/codec-workload.js";
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

describe("codec benchmark: the hand-written decoder does the generated decoder's work", () => {
  it("accepts exactly what decodeValidatedRequestX86_64 accepts, with the same field values", () => {
    const generatedTarget = blkif.createRequest();
    const handTarget = createHandDecodedRequest();
    let accepted = 0;
    fc.assert(
      fc.property(requestBytesArbitrary, (bytes) => {
        const view = new DataView(bytes.buffer);
        const generatedVerdict = blkif.decodeValidatedRequestX86_64(view, 0, generatedTarget);
        const handVerdict = decodeRequestByHand(view, 0, handTarget);
        expect(handVerdict === 0).toBe(generatedVerdict === undefined);
        if (generatedVerdict !== undefined) return;
        accepted++;
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
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(200);
  });

  it("refuses a short slot, as the generated decoder does", () => {
    const view = new DataView(new ArrayBuffer(requestSlotSize - 1));
    expect(decodeRequestByHand(view, 0, createHandDecodedRequest())).not.toBe(0);
    expect(blkif.decodeValidatedRequestX86_64(view, 0, blkif.createRequest())).toBeDefined();
  });
});
