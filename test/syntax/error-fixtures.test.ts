// Error fixtures: each file in fixtures/errors states its expected diagnostics inline as caret
// annotations under the offending line, and the actual diagnostics must match exactly:
//
//     roles a b;
//   //      ^ error PD1101: expected ';' but found 'b' in 'roles'
//
// The carets mark the span's columns on the nearest line above that is not an annotation.
// `UPDATE_GOLDENS=1 npx vitest run test/syntax` rewrites the annotations from actual output.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { LineMap } from "../../compiler/diagnostics/line-map.js";
import { checkSources } from "../../compiler/pipeline/check.js";
import { listFiles, testRoot, updateGoldens } from "../support/fixtures.js";

const fixtureDirectory = join(testRoot, "syntax/fixtures/errors");
const annotationPattern = /^(\s*\/\/\s*)(\^+) (error|warning|info) (PD\d{4}): (.*)$/;

interface ExpectedDiagnostic {
  readonly line: number;
  readonly column: number;
  readonly width: number;
  readonly severity: string;
  readonly code: string;
  readonly message: string;
}

function describeExpected(expected: ExpectedDiagnostic): string {
  return `${expected.line}:${expected.column}+${expected.width} ${expected.severity} ${expected.code}: ${expected.message}`;
}

function readAnnotations(text: string): ExpectedDiagnostic[] {
  const lines = text.split("\n");
  const result: ExpectedDiagnostic[] = [];
  let targetLine = 0;
  lines.forEach((line, index) => {
    const match = annotationPattern.exec(line);
    if (match === null) {
      targetLine = index + 1;
      return;
    }
    const prefix = match[1] ?? "";
    result.push({
      line: targetLine,
      column: prefix.length + 1,
      width: (match[2] ?? "").length,
      severity: match[3] ?? "",
      code: match[4] ?? "",
      message: match[5] ?? "",
    });
  });
  return result;
}

function toExpected(diagnostic: Diagnostic, map: LineMap): ExpectedDiagnostic {
  const start = map.locate(diagnostic.span.start);
  const end = map.locate(diagnostic.span.end);
  const lineLength = map.lineText(start.line).length;
  const lastColumn = end.line === start.line ? end.column : lineLength + 1;
  return {
    line: start.line,
    column: start.column,
    width: Math.max(1, lastColumn - start.column),
    severity: diagnostic.severity,
    code: diagnostic.code,
    message: diagnostic.message,
  };
}

function loaderFor(fixturePath: string): (path: string) => { ok: true; text: string } | { ok: false; reason: string } {
  return (path) => {
    try {
      return { ok: true, text: readFileSync(join(dirname(fixturePath), basename(path)), "utf8") };
    } catch {
      return { ok: false, reason: "no such file or directory" };
    }
  };
}

function checkFixture(fixturePath: string, text: string): Diagnostic[] {
  const name = relative(fixtureDirectory, fixturePath);
  return [...checkSources([{ path: name, text }], loaderFor(fixturePath)).diagnostics];
}

/** Rewrites a fixture's annotations from the diagnostics of its annotation-free text. */
function regenerateAnnotations(fixturePath: string, text: string): string {
  const plainLines = text.split("\n").filter((line) => !annotationPattern.test(line));
  const plain = plainLines.join("\n");
  const map = new LineMap(plain);
  const byLine = new Map<number, string[]>();
  for (const diagnostic of checkFixture(fixturePath, plain)) {
    const expected = toExpected(diagnostic, map);
    // A caret cannot sit left of the `//` that starts an annotation; such spans need indentation.
    const prefix = `${" ".repeat(Math.max(0, expected.column - 3))}//`.padEnd(expected.column - 1, " ");
    const annotation = `${prefix}${"^".repeat(expected.width)} ${expected.severity} ${expected.code}: ${expected.message}`;
    byLine.set(expected.line, [...(byLine.get(expected.line) ?? []), annotation]);
  }
  const output: string[] = [];
  plainLines.forEach((line, index) => {
    output.push(line);
    output.push(...(byLine.get(index + 1) ?? []));
  });
  return output.join("\n");
}

describe("error fixtures", () => {
  const fixtures = listFiles(fixtureDirectory, ".proto-desc").filter((path) => !basename(path).startsWith("imported-"));
  it("exist", () => {
    expect(fixtures.length).toBeGreaterThan(10);
  });
  for (const fixturePath of fixtures) {
    it(basename(fixturePath), () => {
      let text = readFileSync(fixturePath, "utf8");
      if (updateGoldens) {
        text = regenerateAnnotations(fixturePath, text);
        writeFileSync(fixturePath, text);
      }
      const diagnostics = checkFixture(fixturePath, text);
      const map = new LineMap(text);
      const name = relative(fixtureDirectory, fixturePath);
      for (const diagnostic of diagnostics) expect(diagnostic.span.file, "every diagnostic points into the fixture itself").toBe(name);
      const actual = diagnostics.map((diagnostic) => describeExpected(toExpected(diagnostic, map))).sort();
      const expected = readAnnotations(text).map(describeExpected).sort();
      expect(expected.length, "a fixture states at least one expected diagnostic").toBeGreaterThan(0);
      expect(actual).toEqual(expected);
    });
  }
});
