// The monitor emitter on specs other than blkif: netif's rings are correlated on their u16 ids
// and its notify rate guarantees become per-role budgets, and a protocol without exchanges
// (block-mini) gets no monitor section at all; an unmap guarantee's store-key exemptions are
// emitted as data, with negations and declared defaults.
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

  it("emits an unmap guarantee's exemptions, one array of key conditions per disjunct", { timeout: 180_000 }, async () => {
    const text = `protocol keep version 1 {
  roles frontend, backend;
  abi x86_64;
  struct Segment { gref: grant; }
  message Request from frontend { id: u64; nr: u8; seg: Segment[4] count nr; }
  message Response from backend { id: u64; status: i16; }
  ring io { request Request; response Response; order 0 ..= 0; }
  exchange io: Request -> Response { correlate response.id == request.id; }
  store frontend { feature-keep: bool = false; }
  store backend { feature-keep: bool = false; legacy-unmap: bool = true; }
  guarantee lent by frontend on request: Request {
    (forall i in 0 .. request.nr: granted(request.seg[i].gref, backend)) until answered(request) && unmapped_all(request);
  }
  guarantee unmapped_first by backend on request: Request {
    (frontend.feature-keep && !backend.legacy-unmap) || backend.feature-keep || unmapped_all(request);
  }
}`;
    const result = await compileSources([{ path: "keep.proto-desc", text }], importsFromMemory([]), compileOptions);
    expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
    const emitted = result.value.files[0]?.text ?? "";
    expect(emitted).toContain('stillMappedAtResponseClauseId: "keep.unmapped_first"');
    expect(emitted.replace(/\s+/g, " ")).toContain(
      'unmapExemptions: [ [ { role: "frontend", key: "feature-keep", expected: true, valueWhenAbsent: false }, { role: "backend", key: "legacy-unmap", expected: false, valueWhenAbsent: true }, ], [{ role: "backend", key: "feature-keep", expected: true, valueWhenAbsent: false }], ]',
    );
  });

  it("emits no monitor section for a protocol without exchanges", { timeout: 180_000 }, async () => {
    const text = await compileToText("test/codegen/specs/block-mini.proto-desc");
    expect(text).not.toContain("monitorSpec");
  });
});
