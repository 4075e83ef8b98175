// The monitor emitter on specs other than blkif: netif's rings are correlated on their u16 ids
// and its notify rate guarantees become per-role budgets, and a protocol without exchanges
// (block-mini) gets no monitor section at all.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSources, importsFromMemory } from "../../compiler/pipeline/compile.js";
import { monitorSpecX86_64 as netifMonitorSpec } from "../monitor/generated/netif.js";

const compileOptions = { runtimeImportSpecifier: "../../../runtime/gen/v1.js", regenerateCommand: "npx proto-desc compile" };

async function compileToText(path: string): Promise<string> {
  const result = await compileSources([{ path, text: readFileSync(path, "utf8") }], importsFromMemory([]), compileOptions);
  expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
  const file = result.value.files[0];
  if (file === undefined) throw new Error(`${path} produced no module`);
  return file.text;
}

describe("monitor spec emission", () => {
  it("monitors netif's rings with their u16 ids and lowers its per-role notify budgets", { timeout: 180_000 }, async () => {
    const text = await compileToText("protocols/netif.proto-desc");
    expect(text).toContain("export const monitorSpecX86_64: MonitorSpec = {");
    expect(text).not.toContain("Not monitored");
    expect(text).toContain("requestId: { offset: 8, widthBytes: 2 }");
    expect(text).toContain('clauseId: "netif.frontend_event_rate"');
    expect(text).toContain('illegalTransitionClauseId: "netif.lifecycle"');
  });

  it("marks exactly the lifecycle clauses (moves, keys published, handshake deadline) as blamed when they fire", () => {
    const marked = netifMonitorSpec.clauses.filter((clause) => clause.blameDecidedWhenFired === true).map((clause) => clause.id);
    const lifecycle = netifMonitorSpec.lifecycle;
    const expected = [lifecycle.illegalTransitionClauseId, lifecycle.missingKeysClauseId, ...(lifecycle.handshakeDeadline === undefined ? [] : [lifecycle.handshakeDeadline.clauseId])];
    expect(marked.sort()).toEqual(expected.sort());
    expect(marked).toContain("netif.lifecycle");
  });

  it("emits no monitor section for a protocol without exchanges", { timeout: 180_000 }, async () => {
    const text = await compileToText("test/codegen/specs/block-mini.proto-desc");
    expect(text).not.toContain("monitorSpec");
  });
});
