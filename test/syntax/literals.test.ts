// Literal decoding: integer radixes and separators, durations in nanoseconds, string escapes.
import { describe, expect, it } from "vitest";
import { decodeDuration, decodeInteger, decodeString } from "../../compiler/syntax/literals.js";

describe("literals", () => {
  it.each([
    ["0", 0n],
    ["4096", 4096n],
    ["1_000_000", 1_000_000n],
    ["0xFFFF_FFFF", 0xffff_ffffn],
    ["0X1f", 31n],
    ["0b1010", 10n],
    ["18446744073709551616", 18446744073709551616n],
  ])("decodes %s", (text, value) => {
    expect(decodeInteger(text)).toEqual({ ok: true, value });
  });

  it.each(["1__0", "_1", "1_", "0x", "0b2", "0xG", "12abc"])("rejects %s", (text) => {
    expect(decodeInteger(text).ok).toBe(false);
  });

  it("decodes durations exactly", () => {
    expect(decodeDuration("30s")).toEqual({ ok: true, value: { amount: 30n, unit: "s", nanoseconds: 30_000_000_000n } });
    expect(decodeDuration("2min")).toMatchObject({ ok: true, value: { nanoseconds: 120_000_000_000n } });
    expect(decodeDuration("1__0ms").ok).toBe(false);
  });

  it("decodes escapes and reports bad ones with their offset", () => {
    expect(decodeString('"a\\tb\\n\\"\\\\\\x41"')).toEqual({ value: 'a\tb\n"\\A', problems: [] });
    const bad = decodeString('"x\\qy"');
    expect(bad.value).toBe("x\\qy");
    expect(bad.problems).toEqual([{ problem: expect.stringContaining("'\\q'"), offset: 2, length: 2 }]);
  });

  it("decodes an unterminated string up to the end of its text", () => {
    expect(decodeString('"open').value).toBe("open");
  });
});
