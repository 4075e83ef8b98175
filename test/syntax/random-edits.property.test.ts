// Properties over random token edits (delete, insert, duplicate) of every valid fixture and
// bundled protocol: parsing never throws, and every diagnostic and AST span lies inside the file.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { protoDescLexer } from "../../grammar/lexer.js";
import { parse } from "../../compiler/syntax/parse.js";
import { listFiles, testRoot } from "../support/fixtures.js";

// The bundled protocols are large, so they get fewer runs; together the runs stay a few
// seconds on a loaded machine while still touching every construct of the grammar.
const sources = [
  ...listFiles(join(testRoot, "syntax/fixtures/valid"), ".proto-desc").map((path) => ({ path, runs: 25 })),
  ...listFiles(join(testRoot, "../protocols"), ".proto-desc").map((path) => ({ path, runs: 10 })),
].map(({ path, runs }) => ({ name: basename(path), text: readFileSync(path, "utf8"), runs }));

/** Extra tokens worth inserting: brackets and separators that stress recovery the most. */
const insertableTokens = ["{", "}", "(", ")", "[", "]", ";", ",", ":", "->", "..", "..=", "where", "switch", "case", "0x", "\"", "/*", "///", "-", "@"];

type Edit = { readonly kind: "delete" | "duplicate"; readonly at: number } | { readonly kind: "insert"; readonly at: number; readonly token: string };

function applyEdits(text: string, tokenRanges: readonly (readonly [number, number])[], edits: readonly Edit[]): string {
  let result = text;
  // Apply from the end so earlier offsets stay valid.
  const ordered = [...edits].sort((left, right) => right.at - left.at);
  for (const edit of ordered) {
    const range = tokenRanges[edit.at % tokenRanges.length];
    if (range === undefined) continue;
    const [start, end] = range;
    if (edit.kind === "insert") result = `${result.slice(0, start)}${edit.token} ${result.slice(start)}`;
    else if (edit.kind === "delete") result = result.slice(0, start) + result.slice(end);
    else result = `${result.slice(0, end)} ${result.slice(start, end)}${result.slice(end)}`;
  }
  return result;
}

function collectSpans(value: unknown, spans: { start: number; end: number }[]): void {
  if (Array.isArray(value)) {
    for (const element of value) collectSpans(element, spans);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  const record = value as Record<string, unknown>;
  const span = record["span"] as { start: number; end: number } | undefined;
  if (span !== undefined && typeof span.start === "number") spans.push(span);
  for (const [key, child] of Object.entries(record)) if (key !== "span") collectSpans(child, spans);
}

const editArbitrary: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), token: fc.constantFrom(...insertableTokens) }),
);

describe("random edits of valid inputs", () => {
  for (const source of sources) {
    const tokenRanges = protoDescLexer.tokenize(source.text).tokens.map((token) => [token.startOffset, token.startOffset + token.image.length] as const);
    it(`${source.name}: never throws, spans stay inside the file`, () => {
      fc.assert(
        fc.property(fc.array(editArbitrary, { minLength: 1, maxLength: 4 }), (edits) => {
          const edited = applyEdits(source.text, tokenRanges, edits);
          const result = parse(source.name, edited);
          for (const diagnostic of result.diagnostics) {
            expect(diagnostic.span.file).toBe(source.name);
            expect(diagnostic.span.start).toBeGreaterThanOrEqual(0);
            expect(diagnostic.span.start).toBeLessThanOrEqual(diagnostic.span.end);
            expect(diagnostic.span.end).toBeLessThanOrEqual(edited.length);
          }
          const spans: { start: number; end: number }[] = [];
          collectSpans(result.value, spans);
          for (const span of spans) {
            expect(span.start).toBeGreaterThanOrEqual(0);
            expect(span.start).toBeLessThanOrEqual(span.end);
            expect(span.end).toBeLessThanOrEqual(edited.length);
          }
        }),
        { numRuns: source.runs, seed: 20261128 },
      );
    });
  }
});

describe("arbitrary text", () => {
  it("never makes the parser throw, and every span lies inside the text", () => {
    const fragments = fc.constantFrom(...insertableTokens, "protocol p version 1 {", "struct S {", "a: u8;", "x", "1", " ", "\n", "\u00e9", "\u{1F600}", "\r\n");
    const text = fc.oneof(fc.string({ maxLength: 120, unit: "binary" }), fc.array(fragments, { maxLength: 40 }).map((parts) => parts.join("")));
    fc.assert(
      fc.property(text, (input) => {
        const result = parse("arbitrary.proto-desc", input);
        for (const diagnostic of result.diagnostics) {
          expect(diagnostic.span.start).toBeGreaterThanOrEqual(0);
          expect(diagnostic.span.start).toBeLessThanOrEqual(diagnostic.span.end);
          expect(diagnostic.span.end).toBeLessThanOrEqual(input.length);
        }
        const spans: { start: number; end: number }[] = [];
        collectSpans(result.value, spans);
        for (const span of spans) expect(span.end).toBeLessThanOrEqual(input.length);
      }),
      { numRuns: 300, seed: 20261128 },
    );
  });
});
