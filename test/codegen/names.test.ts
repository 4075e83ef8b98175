import { describe, expect, it } from "vitest";
import { emitGeneratedFiles } from "../../compiler/codegen/emit.js";
import { checkGeneratedNames, constantNameOf, moduleFileNameOf, propertyNameOf, typeNameOf } from "../../compiler/codegen/names.js";
import { diagnosticRegistry } from "../../compiler/diagnostics/registry.js";
import { buildProtocol, u8, u16 } from "../support/ir-builder.js";

describe("naming rules", () => {
  it("derives PascalCase types, camelCase properties, SCREAMING constants and kebab-case files", () => {
    expect(typeNameOf("blkif_request")).toBe("BlkifRequest");
    expect(typeNameOf("Segment")).toBe("Segment");
    expect(propertyNameOf("first_sect")).toBe("firstSect");
    expect(propertyNameOf("ring-ref")).toBe("ringRef");
    expect(constantNameOf("maxSegments")).toBe("MAX_SEGMENTS");
    expect(moduleFileNameOf("blkif_v2")).toBe("blkif-v2.ts");
  });
});

describe("generated-name checks", () => {
  it("reports two fields that become the same property as PD6001 with both spans", () => {
    const protocol = buildProtocol({
      name: "clash",
      records: [{ name: "pair", role: "message", fields: [{ name: "first_sect", type: u8 }, { name: "firstSect", type: u16 }] }],
    });
    const diagnostics = checkGeneratedNames(protocol);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "PD6001", severity: "error" });
    expect(diagnostics[0]?.message).toContain("'firstSect' and field 'first_sect' both become 'firstSect'");
    expect(diagnostics[0]?.related).toHaveLength(1);
  });

  it("reports records whose types clash, and a record that takes a name the generated module reserves", () => {
    const protocol = buildProtocol({
      name: "clash",
      records: [
        { name: "ring_state", role: "struct", fields: [{ name: "a", type: u8 }] },
        { name: "RingState", role: "struct", fields: [{ name: "a", type: u8 }] },
        { name: "codec_error", role: "struct", fields: [{ name: "a", type: u8 }] },
      ],
    });
    const codes = checkGeneratedNames(protocol).map((diagnostic) => diagnostic.code);
    expect(codes.filter((code) => code === "PD6001").length).toBeGreaterThanOrEqual(1);
    expect(codes).toContain("PD6002");
  });

  it("reports a name that is not an identifier as PD6003", () => {
    const protocol = buildProtocol({ name: "bad", records: [{ name: "9lives", role: "struct", fields: [{ name: "a", type: u8 }] }] });
    expect(checkGeneratedNames(protocol).map((diagnostic) => diagnostic.code)).toEqual(["PD6003"]);
  });

  it("produces no files when names clash, and every code it uses is registered", async () => {
    const protocol = buildProtocol({
      name: "clash",
      records: [{ name: "pair", role: "message", fields: [{ name: "a_b", type: u8 }, { name: "aB", type: u8 }] }],
    });
    const result = await emitGeneratedFiles({ protocols: [protocol], specFiles: ["x.proto-desc"], specHash: "0" }, { runtimeImportSpecifier: "./v1.js", regenerateCommand: "x" });
    expect(result.value).toEqual([]);
    for (const diagnostic of result.diagnostics) expect(diagnosticRegistry.has(diagnostic.code)).toBe(true);
  });

  it("reports two protocols that would share one output file as PD6005", async () => {
    const first = buildProtocol({ name: "blk_if", records: [] });
    const second = buildProtocol({ name: "blk-if", records: [] });
    const result = await emitGeneratedFiles({ protocols: [first, second], specFiles: ["x.proto-desc"], specHash: "0" }, { runtimeImportSpecifier: "./v1.js", regenerateCommand: "x" });
    expect(result.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(["PD6005"]);
    expect(result.value).toEqual([]);
  });
});

describe("generated stub names", () => {
  it("reports a record that takes a stub class's name, and two store keys of one role that become one property", async () => {
    const { protocol: withStubs } = await import("./golden/03-stubs/input.js");
    const stubs = withStubs.stubs!;
    const clashing = {
      ...withStubs,
      records: [...withStubs.records, { ...withStubs.records[0]!, name: "echo_dev_frontend" }],
      stubs: {
        ...stubs,
        responderPublications: [
          { state: "InitWait", keys: [...stubs.responderPublications[0]!.keys, { ...stubs.responderPublications[0]!.keys[0]!, key: "feature_pong" }] },
          ...stubs.responderPublications.slice(1),
        ],
      },
    };
    const messages = checkGeneratedNames(clashing).map((diagnostic) => `${diagnostic.code} ${diagnostic.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^PD6001 .*both become 'EchoDevFrontend'/));
    expect(messages).toContainEqual(expect.stringMatching(/^PD6001 store key 'feature_pong' and store key 'feature-pong' both become 'featurePong'/));
  });
});
