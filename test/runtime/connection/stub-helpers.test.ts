// The protocol-neutral helpers generated stubs call: typed store key reading and writing as
// Xen's drivers write keys, correlation ids written where the connection reads them, and the
// echo of correlated fields into a response slot.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  StoreKeyUnreadable,
  echoCorrelatedFields,
  formatStoreBoolean,
  formatStoreInteger,
  readConnectionId,
  readOptionalStoreBoolean,
  readOptionalStoreInteger,
  readStoreBoolean,
  readStoreInteger,
  readStoreText,
  writeConnectionId,
  type StubSlotLayout,
} from "../../../runtime/connection/index.js";

describe("typed store key values", () => {
  it("reads booleans as Xen writes them, with defaults for absent keys", () => {
    expect(readStoreBoolean("1", "feature-barrier", undefined)).toBe(true);
    expect(readStoreBoolean("0", "feature-barrier", undefined)).toBe(false);
    expect(readStoreBoolean("2", "feature-barrier", undefined)).toBe(true);
    expect(readStoreBoolean(undefined, "feature-barrier", false)).toBe(false);
    expect(readStoreBoolean(undefined, "feature-barrier", undefined)).toMatchObject({ key: "feature-barrier", text: undefined });
    expect(readStoreBoolean("yes", "feature-barrier", false)).toBeInstanceOf(StoreKeyUnreadable);
    expect(readOptionalStoreBoolean(undefined, "discard-secure")).toBeUndefined();
  });

  it("reads integers in decimal within the key's range and names the key otherwise", () => {
    expect(readStoreInteger("4", "max-ring-page-order", 0, 4294967295, 0)).toBe(4);
    expect(readStoreInteger(undefined, "max-ring-page-order", 0, 4294967295, 0)).toBe(0);
    const negative = readStoreInteger("-1", "sectors", 0, Number.MAX_SAFE_INTEGER, undefined);
    expect(negative).toBeInstanceOf(StoreKeyUnreadable);
    expect((negative as StoreKeyUnreadable).message).toBe(`store key sectors holds "-1", not an integer in 0..${Number.MAX_SAFE_INTEGER}`);
    expect(readStoreInteger("0x10", "info", 0, 4294967295, 0)).toBeInstanceOf(StoreKeyUnreadable);
    expect(readStoreInteger("4294967296", "info", 0, 4294967295, 0)).toBeInstanceOf(StoreKeyUnreadable);
    expect(readStoreInteger("-3", "offset", -32768, 32767, undefined)).toBe(-3);
    expect(readOptionalStoreInteger(undefined, "feature-max-indirect-segments", 0, 4294967295)).toBeUndefined();
    expect(readStoreText(undefined, "name", undefined)).toMatchObject({ key: "name", expected: "text" });
  });

  it("writes booleans as 1/0 and refuses integers outside the key's type", () => {
    expect(formatStoreBoolean(true)).toBe("1");
    expect(formatStoreBoolean(false)).toBe("0");
    expect(formatStoreInteger(512, "sector-size", 0, 4294967295)).toBe("512");
    expect(() => formatStoreInteger(-1, "sector-size", 0, 4294967295)).toThrow("store key sector-size must be an integer in 0..4294967295, not -1");
    expect(() => formatStoreInteger(1.5, "sector-size", 0, 4294967295)).toThrow(RangeError);
  });

  it("every integer it writes reads back as the same value", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
        expect(readStoreInteger(formatStoreInteger(value, "k", -(2 ** 31), 2 ** 31 - 1), "k", -(2 ** 31), 2 ** 31 - 1, undefined)).toBe(value);
      }),
    );
  });
});

describe("correlation ids and echoed fields", () => {
  it("writes ids that the connection reads back, for every width", () => {
    fc.assert(
      fc.property(fc.constantFrom<2 | 4 | 8>(2, 4, 8), fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: 8 }), (idBytes, rawId, offset) => {
        const id = idBytes === 2 ? rawId % 0x1_0000 : idBytes === 4 ? rawId % 0x1_0000_0000 : rawId;
        const bytes = new Uint8Array(16).fill(0xee);
        writeConnectionId(bytes, offset, idBytes, id);
        expect(readConnectionId(bytes, offset, idBytes)).toBe(id);
        // Nothing outside the id's bytes is touched.
        expect(bytes.subarray(0, offset).every((byte) => byte === 0xee)).toBe(true);
        expect(bytes.subarray(offset + idBytes).every((byte) => byte === 0xee)).toBe(true);
      }),
    );
  });

  it("echoes the id always and the other correlated fields only for requests that decoded", () => {
    const layout: StubSlotLayout = { slotBytes: 16, requestIdOffset: 8, responseIdOffset: 0, idBytes: 8, echoedFields: [{ requestOffset: 0, responseOffset: 8, width: 1 }] };
    const request = new Uint8Array(16);
    request[0] = 3;
    writeConnectionId(request, 8, 8, 0x12_3456_789a);
    const decoded = new Uint8Array(16);
    echoCorrelatedFields(request, decoded, layout, true);
    expect(readConnectionId(decoded, 0, 8)).toBe(0x12_3456_789a);
    expect(decoded[8]).toBe(3);
    const refused = new Uint8Array(16);
    refused[8] = 4;
    echoCorrelatedFields(request, refused, layout, false);
    expect(readConnectionId(refused, 0, 8)).toBe(0x12_3456_789a);
    expect(refused[8]).toBe(4);
  });
});
