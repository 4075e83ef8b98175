// The lexical rules of docs/language.md §1, token by token: hyphenated names versus
// subtraction, soft keywords, literal forms, comments and unknown characters.
import { describe, expect, it } from "vitest";
import { protoDescLexer } from "../../grammar/lexer.js";
import { commentGroup } from "../../grammar/tokens.js";

function tokenize(text: string): string[] {
  return protoDescLexer.tokenize(text).tokens.map((token) => `${token.tokenType.name}:${token.image}`);
}

describe("lexer", () => {
  it.each([
    ["ring-ref", ["Identifier:ring-ref"]],
    ["a - b", ["Identifier:a", "Minus:-", "Identifier:b"]],
    ["a-1", ["Identifier:a", "Minus:-", "NumberLiteral:1"]],
    ["a -b", ["Identifier:a", "Minus:-", "Identifier:b"]],
    ["max-ring-page-order-1", ["Identifier:max-ring-page-order", "Minus:-", "NumberLiteral:1"]],
    ["feature-persistent", ["Identifier:feature-persistent"]],
  ])("reads %s as the documented tokens", (text, expected) => {
    expect(tokenize(text)).toEqual(expected);
  });

  it("reads keywords as soft keywords and longer words as names", () => {
    expect(tokenize("order ordered orderly data-x")).toEqual(["Keyword_order:order", "Keyword_ordered:ordered", "Identifier:orderly", "Identifier:data-x"]);
  });

  it("reads literal forms", () => {
    expect(tokenize('0x1F 0b1_0 1_000 30s 5min 10us "a\\"b"')).toEqual([
      "NumberLiteral:0x1F",
      "NumberLiteral:0b1_0",
      "NumberLiteral:1_000",
      "DurationLiteral:30s",
      "DurationLiteral:5min",
      "DurationLiteral:10us",
      'StringLiteral:"a\\"b"',
    ]);
  });

  it("prefers the longest punctuation", () => {
    expect(tokenize("..= .. . ==> == = -> << <= < && & || |")).toEqual([
      "RangeInclusive:..=",
      "RangeExclusive:..",
      "Dot:.",
      "Implies:==>",
      "EqualEqual:==",
      "Equals:=",
      "Arrow:->",
      "ShiftLeft:<<",
      "LessEqual:<=",
      "Less:<",
      "AndAnd:&&",
      "Ampersand:&",
      "OrOr:||",
      "Pipe:|",
    ]);
  });

  it("keeps comments apart, with doc comments being exactly three slashes", () => {
    const result = protoDescLexer.tokenize("/// doc\n//// not doc\n// line\n/* block */ x");
    expect(result.tokens.map((token) => token.image)).toEqual(["x"]);
    expect((result.groups[commentGroup] ?? []).map((token) => token.tokenType.name)).toEqual(["DocComment", "LineComment", "LineComment", "BlockComment"]);
  });

  it("reports a character that starts no token", () => {
    const result = protoDescLexer.tokenize("a @ b");
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.offset).toBe(2);
  });
});
