// `pad[N] on abi, ...`: restricted padding takes space only on the ABIs it names, and the
// layout of every other ABI has no entry for it (the example of docs/language.md §4.5).
import { describe, expect, it } from "vitest";
import type { TargetAbi } from "../../compiler/semantic/layout-abi.js";
import { analyzeSources } from "./support/analyze-sources.js";

const source = `protocol example version 1 {
  roles frontend, backend;
  abi x86_64, x86_32;
  struct Tagged {
    tag: u32;
    id: u64;
    _tail: pad[4] on x86_32;
  }
}
`;

describe("ABI-restricted padding", () => {
  const analyzed = analyzeSources({ "example.proto-desc": source });
  const tagged = analyzed.model.protocols[0]?.records.find((record) => record.name === "Tagged");

  it("analyses without diagnostics", () => {
    expect([...analyzed.syntaxDiagnostics, ...analyzed.diagnostics]).toEqual([]);
  });

  it.each<[TargetAbi, number, Record<string, number>]>([
    ["x86_64", 16, { tag: 0, id: 8 }],
    ["x86_32", 16, { tag: 0, id: 4, _tail: 12 }],
  ])("lays out %s as %i bytes with the padding only where named", (abi, size, offsets) => {
    const layout = tagged?.layouts.get(abi);
    expect(layout?.size).toBe(size);
    const named = Object.fromEntries((layout?.entries ?? []).filter((entry) => entry.kind === "field" || (entry.kind === "padding" && entry.origin === "explicit")).map((entry) => [entry.name, entry.offset]));
    expect(named).toEqual(offsets);
  });
});
