// The monitor emitter on specs other than blkif: a protocol whose ids the engine cannot
// correlate (netif's u16 ids) gets a spec without those rings and a doc comment saying so,
// and a protocol without exchanges (block-mini) gets no monitor section at all.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSources, importsFromMemory } from "../../compiler/pipeline/compile.js";

const compileOptions = { runtimeImportSpecifier: "../../../runtime/gen/v1.js", regenerateCommand: "npx proto-desc compile" };

async function compileToText(path: string): Promise<string> {
  const result = await compileSources([{ path, text: readFileSync(path, "utf8") }], importsFromMemory([]), compileOptions);
  expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
  const file = result.value.files[0];
  if (file === undefined) throw new Error(`${path} produced no module`);
  return file.text;
}

describe("monitor spec emission", () => {
  it("leaves netif's u16-id rings out of its spec and says why in the generated file", { timeout: 180_000 }, async () => {
    const text = await compileToText("protocols/netif.proto-desc");
    expect(text).toContain("export const monitorSpecX86_64: MonitorSpec = {");
    expect(text).toContain("Not monitored: ring(s) tx, rx, whose request or response id is not a 4- or 8-byte integer");
    expect(text).toMatch(/rings: \[\],/);
    expect(text).toContain('illegalTransitionClauseId: "netif.lifecycle"');
  });

  it("emits no monitor section for a protocol without exchanges", { timeout: 180_000 }, async () => {
    const text = await compileToText("test/codegen/specs/block-mini.proto-desc");
    expect(text).not.toContain("monitorSpec");
  });
});
