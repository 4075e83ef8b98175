// docs/diagnostics.md is generated from the diagnostics registry: this regenerates it in
// memory and fails on any drift, and checks the renderer's grouping, order and escaping.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DiagnosticDefinition } from "../../compiler/diagnostics/definition.js";
import { diagnosticRegistry } from "../../compiler/diagnostics/registry.js";
import { diagnosticsPagePath, generateDiagnosticsPage, renderDiagnosticsPage } from "../../scripts/generate-diagnostics-page.js";
import { regenerateCommand } from "../../scripts/generated-file.js";
import { testRoot } from "../support/fixtures.js";

const definition = (code: string, summary = "A problem."): DiagnosticDefinition => ({ code, slug: `slug-${code.toLowerCase()}`, severity: "error", summary });

describe("docs/diagnostics.md", () => {
  it("matches the registry", () => {
    const committed = readFileSync(join(testRoot, "..", diagnosticsPagePath), "utf8");
    const fresh = generateDiagnosticsPage();
    expect(fresh.path).toBe(diagnosticsPagePath);
    expect(committed === fresh.contents, `${diagnosticsPagePath} is out of date with compiler/diagnostics/registry.ts: run \`${regenerateCommand}\` and commit the result`).toBe(true);
  });

  it("lists every registered code exactly once, with its slug and severity", () => {
    const page = generateDiagnosticsPage().contents;
    for (const entry of diagnosticRegistry.values()) {
      const rows = page.split("\n").filter((line) => line.startsWith(`| ${entry.code} |`));
      expect(rows).toEqual([expect.stringContaining(`| ${entry.slug} | ${entry.severity} |`)]);
    }
  });
});

describe("renderDiagnosticsPage", () => {
  it("sorts by code and groups by range, whatever the input order", () => {
    const forwards = renderDiagnosticsPage([definition("PD1002"), definition("PD2001"), definition("PD1001"), definition("PD9001")]);
    const backwards = renderDiagnosticsPage([definition("PD9001"), definition("PD1001"), definition("PD2001"), definition("PD1002")]);
    expect(forwards).toBe(backwards);
    const headings = forwards.split("\n").filter((line) => line.startsWith("## "));
    expect(headings.map((line) => line.slice(0, 11))).toEqual(["## PD1xxx —", "## PD2xxx —", "## PD9xxx —"]);
    const codes = forwards.split("\n").filter((line) => line.startsWith("| PD")).map((line) => line.slice(2, 8));
    expect(codes).toEqual(["PD1001", "PD1002", "PD2001", "PD9001"]);
  });

  it("escapes pipes and backslashes so a summary stays in its cell", () => {
    const page = renderDiagnosticsPage([definition("PD1001", "Use a | b or \\n.")]);
    expect(page).toContain("| PD1001 | slug-pd1001 | error | Use a \\| b or \\\\n. |");
  });

  it("starts with a do-not-edit header naming the command, uses LF and ends in one newline", () => {
    const page = renderDiagnosticsPage([definition("PD1001")]);
    expect(page.split("\n")[0]).toContain(regenerateCommand);
    expect(page).not.toContain("\r");
    expect(page.endsWith(".|\n") || page.endsWith(" |\n")).toBe(true);
  });
});
