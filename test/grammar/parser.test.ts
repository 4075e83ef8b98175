// The grammar passes chevrotain's own validations (no ambiguity it cannot resolve, no left
// recursion, no unreachable alternative); the shared parser skips them at start-up.
import { describe, expect, it } from "vitest";
import { protoDescLexer } from "../../grammar/lexer.js";
import { ProtoDescParser } from "../../grammar/parser.js";

describe("grammar", () => {
  it("builds with chevrotain's validations on and parses a small file", () => {
    // With validations on, chevrotain throws from the constructor when the grammar has a defect.
    let parser: ProtoDescParser | undefined;
    expect(() => {
      parser = new ProtoDescParser({ validateGrammar: true });
    }).not.toThrow();
    if (parser === undefined) return;
    parser.input = protoDescLexer.tokenize("protocol p version 1 { roles a, b; const X = 1 + 2; }").tokens;
    parser.sourceFile();
    expect(parser.errors).toEqual([]);
  });
});
