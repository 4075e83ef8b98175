import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  JournalFormatError,
  decodeRecord,
  decodeSnapshot,
  encodeFrame,
  encodeRecord,
  encodeSnapshot,
  readFrame,
} from "../../../runtime/store/journal/journal-format.js";
import type { StoreMutation } from "../../../runtime/store/mutations.js";
import type { StoreAccessLetter } from "../../../runtime/store/permissions.js";

const permissionsArbitrary = fc.array(
  fc.record({ domainId: fc.integer({ min: 0, max: 65535 }), access: fc.constantFrom<StoreAccessLetter>("n", "r", "w", "b") }),
  { minLength: 1, maxLength: 5 },
);
const pathArbitrary = fc.array(fc.stringMatching(/^[a-z0-9_@-]{1,8}$/), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`);
const mutationArbitrary: fc.Arbitrary<StoreMutation> = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), path: pathArbitrary, value: fc.uint8Array({ maxLength: 64 }), permissions: permissionsArbitrary }),
  fc.record({ kind: fc.constant("set-value" as const), path: pathArbitrary, value: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant("set-permissions" as const), path: pathArbitrary, permissions: permissionsArbitrary }),
  fc.record({ kind: fc.constant("remove" as const), path: pathArbitrary }),
  fc.record({ kind: fc.constantFrom("introduce-domain" as const, "release-domain" as const), domainId: fc.integer({ min: 1, max: 65535 }) }),
);

function payloadOf(frame: Buffer): Buffer {
  const read = readFrame(frame, 0);
  if (read.kind !== "frame") throw new Error("expected a whole frame");
  return read.payload;
}

describe("journal format", () => {
  it("round-trips every kind of mutation through a record frame", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.array(mutationArbitrary, { maxLength: 8 }), (sequence, mutations) => {
        expect(decodeRecord(payloadOf(encodeRecord({ sequence, mutations })))).toEqual({ sequence, mutations });
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it("round-trips a snapshot", () => {
    const snapshot = {
      sequence: 12,
      generation: 99,
      introducedDomains: [0, 4],
      specialPermissions: [{ path: "@releaseDomain", permissions: [{ domainId: 0, access: "n" as const }, { domainId: 4, access: "r" as const }] }],
      nodes: [
        { path: "/", node: { value: new Uint8Array(0), permissions: [{ domainId: 0, access: "n" as const }], children: ["a"], generation: 3 } },
        { path: "/a", node: { value: new Uint8Array([0, 200]), permissions: [{ domainId: 4, access: "b" as const }], children: [], generation: 7 } },
      ],
    };
    expect(decodeSnapshot(payloadOf(encodeSnapshot(snapshot)))).toEqual(snapshot);
  });

  it("tells a complete frame from a truncated one and from one with a bad checksum", () => {
    const frame = encodeFrame(Buffer.from("payload"));
    expect(readFrame(frame, 0)).toMatchObject({ kind: "frame", nextOffset: frame.length });
    expect(readFrame(frame, frame.length)).toEqual({ kind: "end" });
    for (let cut = 1; cut < frame.length; cut++) expect(readFrame(frame.subarray(0, cut), 0)).toEqual({ kind: "invalid" });
    const corrupted = Buffer.from(frame);
    corrupted[corrupted.length - 1] = corrupted[corrupted.length - 1]! ^ 1;
    expect(readFrame(corrupted, 0)).toEqual({ kind: "invalid" });
  });

  it("rejects records whose content is malformed even though the checksum matches", () => {
    for (const text of ['{"s":1}', '{"s":-1,"m":[]}', '{"s":1,"m":[{"k":"remove"}]}', '{"s":1,"m":[{"k":"create","p":"/a","v":"","perms":["x1"]}]}', '{"s":1,"m":[{"k":"explode"}]}']) {
      expect(() => decodeRecord(Buffer.from(text)), text).toThrow(JournalFormatError);
    }
  });
});
