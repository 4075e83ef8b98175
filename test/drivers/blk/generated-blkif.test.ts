import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareGeneratedFiles } from "../../../compiler/codegen/drift.js";
import { compileSources, importsFromMemory } from "../../../compiler/pipeline/compile.js";
import { CodecError } from "../../../runtime/gen/v1.js";
import * as blkif from "../../../drivers/blk/generated/blkif.js";

// The checked-in blkif code: kept current (drift), laid out as Xen lays it out
// (reference/xen-abi.md §2), and correct as a codec on both ABIs.
const repositoryFile = (path: string): string => readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), "utf8");

describe("drivers/blk/generated", () => {
  // The first parse builds the chevrotain parser (seconds on a loaded machine), hence the longer timeout.
  it("is what `proto-desc compile protocols/blkif.proto-desc --out drivers/blk/generated` produces now", { timeout: 180_000 }, async () => {
    const result = await compileSources([{ path: "protocols/blkif.proto-desc", text: repositoryFile("protocols/blkif.proto-desc") }], importsFromMemory([]), {
      runtimeImportSpecifier: "../../../runtime/gen/v1.js",
      regenerateCommand: "npx proto-desc compile protocols/blkif.proto-desc --out drivers/blk/generated",
    });
    expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
    const committed = [{ path: "blkif.ts", text: repositoryFile("drivers/blk/generated/blkif.ts") }];
    expect(compareGeneratedFiles(result.value.files, committed)).toMatchObject({ modified: [], missing: [], orphaned: [] });
  });
});

describe("generated blkif layouts match Xen", () => {
  const absolute = (abi: "x86_64" | "x86_32", arm: "Request_read" | "Request_discard" | "Request_indirect", field: string): number => {
    const fields = blkif.layoutTables[abi][arm].fields as Readonly<Record<string, { offset: number }>>;
    return blkif.layoutTables[abi].Request.fields.operation_variant.offset + (fields[field]?.offset ?? Number.NaN);
  };

  it("places read/write, discard and indirect requests and responses where io/blkif.h does", () => {
    expect(blkif.codecsByAbi.x86_64.Request.size).toBe(112);
    expect(blkif.codecsByAbi.x86_32.Request.size).toBe(108);
    expect(["id", "sector_number", "seg"].map((field) => absolute("x86_64", "Request_read", field))).toEqual([8, 16, 24]);
    expect(["id", "sector_number", "seg"].map((field) => absolute("x86_32", "Request_read", field))).toEqual([4, 12, 20]);
    expect(absolute("x86_64", "Request_discard", "nr_sectors") + 8).toBe(32);
    expect(absolute("x86_32", "Request_discard", "nr_sectors") + 8).toBe(28);
    expect(absolute("x86_64", "Request_indirect", "indirect_grefs")).toBe(28);
    expect(blkif.layoutTables.x86_64.Segment).toMatchObject({ size: 8, padding: [[6, 2]] });
    expect(blkif.codecsByAbi.x86_64.Response.size).toBe(16);
    expect(blkif.codecsByAbi.x86_32.Response.size).toBe(12);
    expect(blkif.layoutTables.x86_64.Response.fields.status.offset).toBe(10);
    expect(blkif.codecsByAbi.arm).toBe(blkif.codecsByAbi.x86_64);
    expect(blkif.selectAbi("x86_32-abi", "x86_64")).toBe("x86_32");
  });

  it("keeps the clause that reads a backend store key for the monitor", () => {
    expect(blkif.contextualClauses.map((clause) => clause.clauseId)).toContain("blkif.Request.indirect_segment_count");
  });
});

describe("generated blkif codecs", () => {
  const u64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
  const segment = fc.nat({ max: 7 }).chain((first) => fc.record({ gref: fc.nat({ max: 0xffffffff }), firstSect: fc.constant(first), lastSect: fc.integer({ min: first, max: 7 }) }));
  const readWrite = fc.record({
    operation: fc.constantFrom(blkif.Operation.read, blkif.Operation.write, blkif.Operation.writeBarrier),
    handle: fc.nat({ max: 0xffff }),
    id: u64,
    sectorNumber: u64,
    seg: fc.array(segment, { minLength: 1, maxLength: 11 }),
  });
  const discard = fc.record({ handle: fc.nat({ max: 0xffff }), id: u64, sectorNumber: u64, nrSectors: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), secure: fc.boolean() });

  for (const abi of ["x86_64", "x86_32"] as const) {
    const codecs = blkif.codecsByAbi[abi];

    it(`decodeValidated(encode(request)) = request for read/write and discard (${abi}), padding zeroed`, () => {
      fc.assert(
        fc.property(fc.oneof(readWrite.map((value) => ({ kind: "rw" as const, value })), discard.map((value) => ({ kind: "discard" as const, value }))), (input) => {
          const request = blkif.createRequest();
          if (input.kind === "rw") {
            request.operation = input.value.operation;
            request.operationVariant.arm = "read";
            const arm = request.operationVariant.read;
            Object.assign(arm, { handle: input.value.handle, id: input.value.id, sectorNumber: input.value.sectorNumber, nrSegments: input.value.seg.length });
            input.value.seg.forEach((entry, index) => Object.assign(arm.seg[index]!, entry));
          } else {
            request.operation = blkif.Operation.discard;
            request.operationVariant.arm = "discard";
            const { secure, ...rest } = input.value;
            Object.assign(request.operationVariant.discard, { ...rest, flag: secure ? blkif.DiscardFlags.secure : 0 });
          }
          const slot = new Uint8Array(codecs.Request.size).fill(0x5a);
          const view = new DataView(slot.buffer);
          expect(codecs.Request.encode(request, view, 0)).toBeUndefined();
          const padding: readonly (readonly [number, number])[] = blkif.layoutTables[abi].Request.padding;
          for (const [offset, length] of padding) expect([...slot.subarray(offset, offset + length)].every((byte) => byte === 0)).toBe(true);
          const decoded = blkif.createRequest();
          expect(codecs.Request.decodeValidated(view, 0, decoded)).toBeUndefined();
          expect(decoded.operation).toBe(request.operation);
          expect(decoded.operationVariant.arm).toBe(request.operationVariant.arm);
          if (input.kind === "rw") {
            const { seg, ...scalars } = decoded.operationVariant.read;
            const { seg: sentSeg, ...sentScalars } = request.operationVariant.read;
            expect(scalars).toEqual(sentScalars);
            expect(seg.slice(0, scalars.nrSegments)).toEqual(sentSeg.slice(0, sentScalars.nrSegments));
          } else {
            expect(decoded.operationVariant.discard).toEqual(request.operationVariant.discard);
          }
        }),
        { numRuns: 300 },
      );
    });

    it(`a response's padding is zero after encoding over a dirty slot (XSA-216, ${abi})`, () => {
      const response = blkif.createResponse();
      Object.assign(response, { id: 77, operation: blkif.Operation.write, status: blkif.Status.eopnotsupp });
      const slot = new Uint8Array(codecs.Response.size).fill(0xff);
      expect(codecs.Response.encode(response, new DataView(slot.buffer), 0)).toBeUndefined();
      expect(slot[9]).toBe(0);
      const decoded = blkif.createResponse();
      expect(codecs.Response.decode(new DataView(slot.buffer), 0, decoded)).toBeUndefined();
      expect(decoded).toEqual(response);
    });
  }

  it("refuses a segment that runs past its frame (XSA-229) and the reserved operation", () => {
    const request = blkif.createRequest();
    request.operation = blkif.Operation.read;
    Object.assign(request.operationVariant.read, { nrSegments: 1 });
    Object.assign(request.operationVariant.read.seg[0]!, { gref: 9, firstSect: 0, lastSect: 8 });
    const view = new DataView(new ArrayBuffer(112));
    expect(blkif.encodeRequestX86_64(request, view, 0)).toBeUndefined();
    expect(blkif.decodeValidatedRequestX86_64(view, 0, blkif.createRequest())).toMatchObject({
      clauseId: "blkif.Segment.sectors_within_frame",
      fieldPath: "operation_variant.read.seg[0].first_sect",
    });
    view.setUint8(0, blkif.Operation.reserved1);
    expect(blkif.decodeRequestX86_64(view, 0, blkif.createRequest())).toMatchObject({ code: "discriminant-unknown" });
  });

  it("never throws on random slots, on either ABI", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 120 }), (bytes) => {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (const abi of ["x86_64", "x86_32"] as const) {
          const result = blkif.codecsByAbi[abi].Request.decodeValidated(view, 0, blkif.createRequest());
          expect(result === undefined || result instanceof CodecError || "clauseId" in result).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
