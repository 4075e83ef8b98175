import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compareGeneratedFiles } from "../../compiler/codegen/drift.js";
import { compileSources, importsFromMemory } from "../../compiler/pipeline/compile.js";
import { lowerToIr } from "../../compiler/ir/lower.js";
import { analyze } from "../../compiler/semantic/analyze.js";
import { parse } from "../../compiler/syntax/parse.js";
import * as generated from "./generated/blockmini.js";

const specPath = "test/codegen/specs/block-mini.proto-desc";
const specText = readFileSync(fileURLToPath(new URL("./specs/block-mini.proto-desc", import.meta.url)), "utf8");
const compileOptions = {
  runtimeImportSpecifier: "../../../runtime/gen/v1.js",
  regenerateCommand: "npx proto-desc compile test/codegen/specs/block-mini.proto-desc --out test/codegen/generated",
};

function lowerSpec(text: string) {
  const analyzed = analyze([parse(specPath, text).value]);
  expect(analyzed.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
  return lowerToIr(analyzed.value);
}

describe("compile pipeline on a real spec", () => {
  // The first parse builds the chevrotain parser (seconds on a loaded machine), hence the longer timeout.
  it("keeps the checked-in generated module current (drift test)", { timeout: 180_000 }, async () => {
    const result = await compileSources([{ path: specPath, text: specText }], importsFromMemory([]), compileOptions);
    expect(result.diagnostics).toEqual([]);
    const committed = readFileSync(fileURLToPath(new URL("./generated/blockmini.ts", import.meta.url)), "utf8");
    expect(compareGeneratedFiles(result.value.files, [{ path: "blockmini.ts", text: committed }])).toMatchObject({ modified: [], missing: [], orphaned: [] });
  });

  it("produces diagnostics and no files for a spec with errors", async () => {
    const broken = specText.replace("nr_sectors >= 1", "nr_sectorz >= 1");
    const result = await compileSources([{ path: specPath, text: broken }], importsFromMemory([]), compileOptions);
    expect(result.value.files).toEqual([]);
    expect(result.diagnostics.some((diagnostic) => diagnostic.severity === "error" && diagnostic.code.startsWith("PD2"))).toBe(true);
  });

  it("lowers switch cases to union arms with offsets relative to the switch, matching Xen's blkif layout", () => {
    const [protocol] = lowerSpec(specText).value;
    const request = protocol?.records.find((record) => record.name === "Request");
    const readArm = protocol?.records.find((record) => record.name === "Request_read");
    expect(request?.fields.map((field) => field.name)).toEqual(["operation", "operation_variant"]);
    expect(request?.layouts.x86_64.size).toBe(112);
    expect(request?.layouts.x86_32.size).toBe(108);
    // Absolute offsets of id, sector_number and seg are 8/16/24 (x86_64) and 4/12/20 (x86_32); the switch starts at 1.
    expect(readArm?.layouts.x86_64.fields.slice(2).map((field) => field.offset + 1)).toEqual([8, 16, 24]);
    expect(readArm?.layouts.x86_32.fields.slice(2).map((field) => field.offset + 1)).toEqual([4, 12, 20]);
    expect(generated.layoutTables.x86_64.Response).toMatchObject({ size: 16, padding: [[9, 1], [12, 4]] });
    expect(generated.layoutTables.x86_32.Response).toMatchObject({ size: 12, padding: [[9, 1]] });
  });

  it("puts a clause that reads a store key aside for the monitor instead of validating it", () => {
    const withStoreClause = specText.replace(
      "where discard_not_empty: nr_sectors >= 1;",
      "where discard_not_empty: nr_sectors >= 1;\n        where discard_persistent: backend.max-discard-sectors >= 1 || nr_sectors >= 1;",
    );
    const analyzed = analyze([parse(specPath, withStoreClause).value]);
    if (analyzed.diagnostics.some((diagnostic) => diagnostic.severity === "error")) return;
    const request = lowerToIr(analyzed.value).value[0]?.records.find((record) => record.name === "Request");
    expect(request?.contextualClauses.map((clause) => clause.clauseId)).toContain("blockmini.Request.discard_persistent");
  });
});

describe("code generated from a real spec", () => {
  const view = new DataView(new ArrayBuffer(112));

  it("round-trips a read request and a discard request on both ABIs", () => {
    for (const abi of ["x86_64", "x86_32", "arm"] as const) {
      const codecs = generated.codecsByAbi[abi];
      const request = generated.createRequest();
      request.operation = generated.Operation.write;
      const read = request.operationVariant.read;
      Object.assign(read, { nrSegments: 2, handle: 7, id: 2 ** 40 + 3, sectorNumber: 4096 });
      Object.assign(read.seg[0]!, { gref: 9, firstSect: 0, lastSect: 7 });
      Object.assign(read.seg[1]!, { gref: 10, firstSect: 2, lastSect: 3 });
      new Uint8Array(view.buffer).fill(0xee);
      expect(codecs.Request.encode(request, view, 0)).toBeUndefined();
      const decoded = generated.createRequest();
      expect(codecs.Request.decodeValidated(view, 0, decoded)).toBeUndefined();
      expect(decoded.operationVariant.arm).toBe("read");
      expect(decoded.operationVariant.read.id).toBe(2 ** 40 + 3);
      expect(decoded.operationVariant.read.seg.slice(0, 2)).toEqual(read.seg.slice(0, 2));

      request.operation = generated.Operation.discard;
      request.operationVariant.arm = "discard";
      Object.assign(request.operationVariant.discard, { flag: generated.DiscardFlags.secure, handle: 1, id: 5, sectorNumber: 8, nrSectors: 16 });
      expect(codecs.Request.encode(request, view, 0)).toBeUndefined();
      expect(codecs.Request.decodeValidated(view, 0, decoded)).toBeUndefined();
      expect(decoded.operationVariant.arm).toBe("discard");
      expect(decoded.operationVariant.discard).toEqual(request.operationVariant.discard);
      const tailStart = 1 + codecs.RequestDiscard.size;
      expect([...new Uint8Array(view.buffer, tailStart, codecs.Request.size - tailStart)].every((byte) => byte === 0)).toBe(true);
    }
  });

  it("blames the clause written inside a case only when that case is live", () => {
    const request = generated.createRequest();
    request.operation = generated.Operation.read;
    request.operationVariant.read.nrSegments = 0;
    expect(generated.validateRequest(request)).toMatchObject({ clauseId: "blockmini.Request.data_needs_segments" });
    request.operation = generated.Operation.flush;
    expect(generated.validateRequest(request)).toBeUndefined();
    request.operation = generated.Operation.discard;
    request.operationVariant.arm = "discard";
    expect(generated.validateRequest(request)).toMatchObject({ clauseId: "blockmini.Request.discard_not_empty", fieldPath: "operation_variant.discard.nr_sectors", value: 0 });
  });

  it("checks a segment clause from the spec on decode with the element path (XSA-229)", () => {
    const request = generated.createRequest();
    request.operation = generated.Operation.read;
    Object.assign(request.operationVariant.read, { nrSegments: 1 });
    Object.assign(request.operationVariant.read.seg[0]!, { gref: 8, firstSect: 3, lastSect: 8 });
    expect(generated.encodeRequestX86_64(request, view, 0)).toBeUndefined();
    expect(generated.decodeValidatedRequestX86_64(view, 0, generated.createRequest())).toMatchObject({
      clauseId: "blockmini.Segment.sectors_within_frame",
      fieldPath: "operation_variant.read.seg[0].first_sect",
      value: 3,
    });
  });

  it("accepts any combination of flag bits and refuses unknown bits", () => {
    expect(generated.isDiscardFlags(1)).toBe(true);
    expect(generated.isDiscardFlags(0)).toBe(true);
    expect(generated.isDiscardFlags(2)).toBe(false);
  });
});

describe("lowering of cases, ranges and implications", () => {
  const tinySpec = `protocol tiny version 1 {
  roles frontend, backend;
  enum Kind : u8 { a = 0, b = 1, c = 2 }
  message M from frontend {
    kind: Kind;
    switch kind {
      case a {
        class: u32;
        where class_small: class in 0 .. 10;
      }
      default {
        y: u16;
        where y_odd: (y & 1) == 1 ==> kind == Kind.b;
      }
    }
    tail: u8;
  }
}
`;

  it("lowers a default case, a range membership and an implication, and allows keyword-named fields and arms", async () => {
    const result = await compileSources([{ path: "tiny.proto-desc", text: tinySpec }], importsFromMemory([]), compileOptions);
    expect(result.diagnostics).toEqual([]);
    const text = result.value.files[0]?.text ?? "";
    expect(text).toMatch(/variant\d+\.arm = "default";/);
    // validate checks each clause under its case guard...
    // (enum members are written as their values, named in a comment)...
    expect(text).toContain("!(value.kind === 0 /* Kind.a */) || (0 <= value.kindVariant.a.class && value.kindVariant.a.class < 10)");
    expect(text).toMatch(/value\.kind === 0 \/\* Kind\.a \*\/ \|\|\s+!\(bitwiseAnd\(value\.kindVariant\.default\.y, 1\) === 1\) \|\|\s+value\.kind === 1 \/\* Kind\.b \*\//);
    // ...while decodeValidated checks it inside the case, over the locals it has just decoded.
    expect(text).toMatch(/case 0 \/\* Kind\.a \*\/: \{[^}]*if \(!\(0 <= (raw\d+) && \1 < 10\)\)/);
    expect(text).toMatch(/default: \{[^}]*if \(!\(!\(bitwiseAnd\((raw\d+), 1\) === 1\) \|\| raw0 === 1 \/\* Kind\.b \*\/\)\)/);
    expect(text).not.toContain("default:\n      return new CodecError(\"discriminant-unknown\"");
  });
});
