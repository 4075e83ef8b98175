// Code-generation error fixtures: each file in fixtures/ is compiled in memory through the whole
// pipeline and its diagnostics must equal the caret annotations written in the file (the same
// annotation format as the semantic fixtures). A fixture with errors produces no files; one with
// only warnings (PD6006) still produces its module. `UPDATE_GOLDENS=1` rewrites the annotations.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { codegenDiagnostics } from "../../compiler/diagnostics/codes/codegen.js";
import { hasErrors } from "../../compiler/diagnostics/diagnostic.js";
import { compileSources, importsFromMemory } from "../../compiler/pipeline/compile.js";
import { annotationOf, formatAnnotation, readAnnotations, rewriteAnnotations, stripAnnotations } from "../semantic/support/caret-annotations.js";

const fixturesDirectory = fileURLToPath(new URL("./fixtures/", import.meta.url));
const updating = process.env["UPDATE_GOLDENS"] === "1";
const fixtureNames = readdirSync(fixturesDirectory).filter((name) => name.endsWith(".proto-desc")).sort();

describe("code-generation error fixtures (caret-annotated)", () => {
  const codesSeen = new Set<string>();

  it.each(fixtureNames)("%s", async (name) => {
    const stored = readFileSync(join(fixturesDirectory, name), "utf8");
    const text = updating ? stripAnnotations(stored) : stored;
    const source = { path: name, text };
    const result = await compileSources([source], importsFromMemory([source]), { runtimeImportSpecifier: "./v1.js", regenerateCommand: "test" });
    for (const diagnostic of result.diagnostics) codesSeen.add(diagnostic.code);
    if (hasErrors(result.diagnostics)) expect(result.value.files, "a spec with errors produces no files").toEqual([]);
    else expect(result.value.files.length, "warnings do not stop generation").toBeGreaterThan(0);
    if (updating) {
      writeFileSync(join(fixturesDirectory, name), rewriteAnnotations(text, result.diagnostics));
      return;
    }
    const expected = readAnnotations(text).map(formatAnnotation).sort();
    const actual = result.diagnostics.map((diagnostic) => formatAnnotation(annotationOf(diagnostic, text))).sort();
    expect(expected.length, "a fixture states at least one expected diagnostic").toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  });

  it("exercises every code-generation code", () => {
    expect([...codesSeen].filter((code) => code in codegenDiagnostics).sort()).toEqual(Object.keys(codegenDiagnostics).sort());
  });
});
