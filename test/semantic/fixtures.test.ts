// The negative corpus: every fixture in test/semantic/fixtures is analysed (a fixture is one
// .proto-desc file, or a folder of files that import each other) and the diagnostics must
// match its caret annotations exactly: code, line, columns and message. Run with
// UPDATE_GOLDENS=1 to rewrite the annotations from the analyzer's output, then review the diff.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { semanticDiagnostics } from "../../compiler/diagnostics/codes/semantic.js";
import { analyzeSources } from "./support/analyze-sources.js";
import { annotationOf, formatAnnotation, readAnnotations, rewriteAnnotations, stripAnnotations } from "./support/caret-annotations.js";

const fixturesDirectory = fileURLToPath(new URL("./fixtures/", import.meta.url));
const updating = process.env["UPDATE_GOLDENS"] === "1";

interface Fixture {
  readonly name: string;
  /** Paths relative to the fixtures directory, as the diagnostics name them. */
  readonly files: readonly string[];
}

function listFixtures(): Fixture[] {
  return readdirSync(fixturesDirectory).sort().map((entry) => {
    const path = join(fixturesDirectory, entry);
    if (statSync(path).isDirectory()) {
      const files = readdirSync(path).filter((file) => file.endsWith(".proto-desc")).sort().map((file) => `${entry}/${file}`);
      return { name: entry, files };
    }
    return { name: entry, files: [entry] };
  }).filter((fixture) => fixture.files.every((file) => file.endsWith(".proto-desc")));
}

const fixtures = listFixtures();
const codesSeen = new Set<string>();

describe("semantic fixtures (caret-annotated)", () => {
  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))("%s", (_name, fixture) => {
    const read = (file: string): string => readFileSync(join(fixturesDirectory, file), "utf8");
    // When updating, analyse the fixture without its old annotations so offsets match the rewrite.
    const texts = Object.fromEntries(fixture.files.map((file) => [file, updating ? stripAnnotations(read(file)) : read(file)]));
    const result = analyzeSources(texts);
    const all: Diagnostic[] = [...result.syntaxDiagnostics, ...result.diagnostics];
    for (const file of fixture.files) {
      const text = texts[file] ?? "";
      const actual = all.filter((diagnostic) => diagnostic.span.file === file);
      for (const diagnostic of actual) codesSeen.add(diagnostic.code);
      if (updating) {
        writeFileSync(join(fixturesDirectory, file), rewriteAnnotations(text, actual));
        continue;
      }
      const expected = readAnnotations(text).map(formatAnnotation).sort();
      const got = actual.map((diagnostic) => formatAnnotation(annotationOf(diagnostic, text))).sort();
      expect(got, `diagnostics of ${relative(process.cwd(), join(fixturesDirectory, file))}`).toEqual(expected);
    }
    expect(all.filter((diagnostic) => !fixture.files.includes(diagnostic.span.file))).toEqual([]);
  });

  it("exercises at least 40 distinct semantic codes, each fixture's behaviour named in its file name", () => {
    const semanticCodes = [...codesSeen].filter((code) => code in semanticDiagnostics);
    expect(semanticCodes.length).toBeGreaterThanOrEqual(40);
  });
});
