// The three renderers over the same diagnostics: human text with a caret code frame (colour
// only on request), JSON with line/column ranges, SARIF 2.1.0 with rules and regions.
import { describe, expect, it } from "vitest";
import { syntaxDiagnostics } from "../../compiler/diagnostics/codes/syntax.js";
import { createDiagnostic } from "../../compiler/diagnostics/definition.js";
import { LineMap } from "../../compiler/diagnostics/line-map.js";
import { renderHuman } from "../../compiler/diagnostics/render-human.js";
import { toJsonReport } from "../../compiler/diagnostics/render-json.js";
import { toSarifLog } from "../../compiler/diagnostics/render-sarif.js";

const text = "protocol p version 1 {\n\troles a b;\n}\n";
const sources = new Map([["dir/p.proto-desc", text]]);
const start = text.indexOf("b;");
const diagnostic = createDiagnostic(syntaxDiagnostics.PD1101, { file: "dir/p.proto-desc", start, end: start + 1 }, "expected ';' but found 'b'", {
  notes: ["a note"],
  related: [{ span: { file: "dir/p.proto-desc", start: 0, end: 8 }, message: "in this protocol" }],
});

describe("line map", () => {
  it("locates offsets on LF, CRLF and CR lines, clamping past the end", () => {
    const map = new LineMap("ab\ncd\r\nef\rgh");
    expect(map.locate(0)).toEqual({ line: 1, column: 1 });
    expect(map.locate(3)).toEqual({ line: 2, column: 1 });
    expect(map.locate(7)).toEqual({ line: 3, column: 1 });
    expect(map.locate(10)).toEqual({ line: 4, column: 1 });
    expect(map.locate(99)).toEqual({ line: 4, column: 3 });
    expect(map.lineText(2)).toBe("cd");
  });
});

describe("human renderer", () => {
  it("prints path:line:col, the code frame with carets, related spans and notes, without colour", () => {
    expect(renderHuman([diagnostic], sources, { colour: false })).toBe(
      [
        "dir/p.proto-desc:2:10: error[PD1101]: expected ';' but found 'b'",
        "  2 | \troles a b;",
        "    | \t        ^",
        "  note: dir/p.proto-desc:1:1: in this protocol",
        "  1 | protocol p version 1 {",
        "    | ^^^^^^^^",
        "  = note: a note",
        "",
      ].join("\n"),
    );
  });

  it("uses ANSI colour only when asked", () => {
    expect(renderHuman([diagnostic], sources, { colour: false })).not.toContain("\u001b[");
    expect(renderHuman([diagnostic], sources, { colour: true })).toContain("\u001b[31m");
  });

  it("marks a span that runs past its first line", () => {
    const multiLine = createDiagnostic(syntaxDiagnostics.PD1003, { file: "dir/p.proto-desc", start: 21, end: text.length }, "never closed");
    expect(renderHuman([multiLine], sources, { colour: false })).toContain("^ (continues to line 4)");
  });
});

describe("JSON renderer", () => {
  it("carries code, slug, severity, spans with 1-based ranges and a summary", () => {
    const report = toJsonReport([diagnostic], sources);
    expect(report.summary).toEqual({ errors: 1, warnings: 0, infos: 0 });
    expect(report.diagnostics[0]).toMatchObject({
      code: "PD1101",
      slug: "expected-token",
      severity: "error",
      span: { file: "dir/p.proto-desc", start, end: start + 1, range: { start: { line: 2, column: 10 }, end: { line: 2, column: 11 } } },
      notes: ["a note"],
    });
  });
});

describe("SARIF renderer", () => {
  it("produces a SARIF 2.1.0 log with the used rules and a region per result", () => {
    const log = toSarifLog([diagnostic], sources, { name: "proto-desc", version: "9.9.9" }) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string; name: string }[] } }; results: Record<string, unknown>[] }[];
    };
    expect(log.version).toBe("2.1.0");
    const run = log.runs[0];
    expect(run?.tool.driver.rules).toEqual([expect.objectContaining({ id: "PD1101", name: "expected-token" })]);
    expect(run?.results[0]).toMatchObject({
      ruleId: "PD1101",
      ruleIndex: 0,
      level: "error",
      locations: [{ physicalLocation: { artifactLocation: { uri: "dir/p.proto-desc" }, region: { startLine: 2, startColumn: 10, endLine: 2, endColumn: 11, charOffset: start, charLength: 1 } } }],
    });
  });
});
