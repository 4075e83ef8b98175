// Robustness of the semantic phase: random meaning-level mutations of the bundled protocols
// (an identifier replaced by another name from the file, a number replaced by an edge value,
// a line deleted) never make analysis throw, and every diagnostic span lies inside its file.
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { protoDescLexer } from "../../grammar/lexer.js";
import { analyze } from "../../compiler/semantic/analyze.js";
import { parse } from "../../compiler/syntax/parse.js";
import { repositoryRoot } from "../support/run-cli.js";

const protocolFiles = readdirSync(`${repositoryRoot}protocols`).filter((name) => name.endsWith(".proto-desc")).sort();
const edgeNumbers = ["0", "1", "3", "7", "64", "65537", "4097", "18446744073709551616", "0x7fffffffffffffff"];

type Mutation =
  | { readonly kind: "rename"; readonly at: number; readonly replacement: number }
  | { readonly kind: "renumber"; readonly at: number; readonly value: string }
  | { readonly kind: "delete-line"; readonly at: number };

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("rename" as const), at: fc.nat(), replacement: fc.nat() }),
  fc.record({ kind: fc.constant("renumber" as const), at: fc.nat(), value: fc.constantFrom(...edgeNumbers) }),
  fc.record({ kind: fc.constant("delete-line" as const), at: fc.nat() }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let result = text;
  for (const mutation of mutations) {
    const tokens = protoDescLexer.tokenize(result).tokens;
    const names = tokens.filter((token) => /^[A-Za-z_][A-Za-z0-9_-]*$/.test(token.image));
    const numbers = tokens.filter((token) => /^\d+$/.test(token.image));
    if (mutation.kind === "rename" && names.length > 0) {
      const target = names[mutation.at % names.length];
      const replacement = names[mutation.replacement % names.length];
      if (target === undefined || replacement === undefined) continue;
      result = result.slice(0, target.startOffset) + replacement.image + result.slice(target.startOffset + target.image.length);
    } else if (mutation.kind === "renumber" && numbers.length > 0) {
      const target = numbers[mutation.at % numbers.length];
      if (target === undefined) continue;
      result = result.slice(0, target.startOffset) + mutation.value + result.slice(target.startOffset + target.image.length);
    } else if (mutation.kind === "delete-line") {
      const lines = result.split("\n");
      lines.splice(mutation.at % lines.length, 1);
      result = lines.join("\n");
    }
  }
  return result;
}

describe("random mutations of the bundled protocols", () => {
  for (const name of protocolFiles) {
    const file = `protocols/${name}`;
    const original = readFileSync(`${repositoryRoot}${file}`, "utf8");
    it(`${name}: analysis never throws and spans stay inside the file`, () => {
      fc.assert(
        fc.property(fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }), (mutations) => {
          const text = mutate(original, mutations);
          const parsed = parse(file, text);
          if (parsed.diagnostics.some((diagnostic) => diagnostic.severity === "error")) return;
          const result = analyze([parsed.value]);
          for (const diagnostic of result.diagnostics) {
            expect(diagnostic.span.file).toBe(file);
            expect(diagnostic.span.start).toBeGreaterThanOrEqual(0);
            expect(diagnostic.span.end).toBeLessThanOrEqual(text.length);
            expect(diagnostic.span.start).toBeLessThanOrEqual(diagnostic.span.end);
          }
        }),
        { numRuns: 25, seed: 20261128 },
      );
    });
  }
});
