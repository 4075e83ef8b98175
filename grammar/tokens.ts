// The token vocabulary of .proto-desc (docs/language.md §1): comments, literals, names,
// soft keywords and punctuation, in the order the lexer must try them.
import { Lexer, createToken, type TokenType } from "./chevrotain.js";

/** Lexer group that collects comments instead of passing them to the parser. */
export const commentGroup = "comments";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });

// Comments: a doc comment is exactly three slashes (four or more make an ordinary comment).
export const DocComment = createToken({ name: "DocComment", pattern: /\/\/\/(?!\/)[^\r\n]*/, group: commentGroup });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\r\n]*/, group: commentGroup });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: commentGroup, line_breaks: true });
/** An unterminated block comment swallows the rest of the file; lowering reports it. */
export const UnterminatedBlockComment = createToken({
  name: "UnterminatedBlockComment",
  pattern: /\/\*[\s\S]*/,
  group: commentGroup,
  line_breaks: true,
});

// Literals. Numbers are lexed generously (any trailing name characters) and validated during
// lowering, so that `12abc` is one clear "invalid number" error instead of two tokens.
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\r\n]|\\.)*"/, label: "a string" });
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\r\n]|\\.)*\\?/, label: "an unterminated string" });
export const DurationLiteral = createToken({
  name: "DurationLiteral",
  pattern: /[0-9][0-9_]*(?:ns|us|ms|min|s)(?![A-Za-z0-9_])/,
  label: "a duration",
});
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /[0-9][0-9A-Za-z_]*/, label: "an integer" });

/**
 * A name. A hyphen continues the name only when a letter follows it directly (and, since the
 * pattern is anchored at a name character, one precedes it): `ring-ref` is one name, while
 * `a - b`, `a -b` and `a-1` are subtractions.
 */
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*/, label: "a name" });

// Binary operators share a category so the parser reads `operand (operator operand)*` and the
// lowering step applies precedence (compiler/syntax/precedence.ts).
export const BinaryOperatorCategory = createToken({ name: "BinaryOperator", pattern: Lexer.NA, label: "an operator" });

const softKeywordTable: Record<string, string> = {};

/** A soft keyword is also an Identifier, so it can name a field or key where no keyword is expected. */
function softKeyword(word: string, extraCategories: TokenType[] = []): TokenType {
  const name = `Keyword_${word}`;
  softKeywordTable[word] = name;
  return createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, categories: [Identifier, ...extraCategories], label: `'${word}'` });
}

export const Protocol = softKeyword("protocol");
export const Version = softKeyword("version");
export const Roles = softKeyword("roles");
export const Import = softKeyword("import");
export const Const = softKeyword("const");
export const Enum = softKeyword("enum");
export const Flags = softKeyword("flags");
export const Struct = softKeyword("struct");
export const Message = softKeyword("message");
export const From = softKeyword("from");
export const Where = softKeyword("where");
export const Switch = softKeyword("switch");
export const Case = softKeyword("case");
export const Default = softKeyword("default");
export const Count = softKeyword("count");
export const Ring = softKeyword("ring");
export const Request = softKeyword("request");
export const Response = softKeyword("response");
export const Order = softKeyword("order");
export const Stream = softKeyword("stream");
export const Direction = softKeyword("direction");
export const Data = softKeyword("data");
export const Producer = softKeyword("producer");
export const Consumer = softKeyword("consumer");
export const Packet = softKeyword("packet");
export const Repeated = softKeyword("repeated");
export const If = softKeyword("if");
export const While = softKeyword("while");
export const Store = softKeyword("store");
export const Optional = softKeyword("optional");
export const For = softKeyword("for");
export const Enables = softKeyword("enables");
export const Lifecycle = softKeyword("lifecycle");
export const When = softKeyword("when");
export const Publishes = softKeyword("publishes");
export const Reads = softKeyword("reads");
export const Exchange = softKeyword("exchange");
export const Correlate = softKeyword("correlate");
export const Exactly = softKeyword("exactly");
export const Once = softKeyword("once");
export const Ordered = softKeyword("ordered");
export const Unordered = softKeyword("unordered");
export const Deadline = softKeyword("deadline");
export const Outstanding = softKeyword("outstanding");
export const At = softKeyword("at");
export const Most = softKeyword("most");
export const Guarantee = softKeyword("guarantee");
export const By = softKeyword("by");
export const On = softKeyword("on");
export const Until = softKeyword("until");
export const Within = softKeyword("within");
export const Progress = softKeyword("progress");
export const Per = softKeyword("per");
export const Resource = softKeyword("resource");
export const Provider = softKeyword("provider");
export const Path = softKeyword("path");
export const Labels = softKeyword("labels");
export const Limit = softKeyword("limit");
export const Policy = softKeyword("policy");
export const Role = softKeyword("role");
export const Principal = softKeyword("principal");
export const Matches = softKeyword("matches");
export const Types = softKeyword("types");
export const Privileged = softKeyword("privileged");
export const Label = softKeyword("label");
export const Enforce = softKeyword("enforce");
export const Conflict = softKeyword("conflict");
export const Colour = softKeyword("colour");
export const Abi = softKeyword("abi");
export const Selected = softKeyword("selected");
export const In = softKeyword("in", [BinaryOperatorCategory]);

// Reserved everywhere: a quantifier must be recognisable at the start of any expression.
export const Forall = createToken({ name: "Forall", pattern: /forall/, longer_alt: Identifier, label: "'forall'" });
export const Exists = createToken({ name: "Exists", pattern: /exists/, longer_alt: Identifier, label: "'exists'" });

function punctuation(name: string, text: string, categories: TokenType[] = []): TokenType {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return createToken({ name, pattern: new RegExp(escaped), categories, label: `'${text}'` });
}

const binary = [BinaryOperatorCategory];
export const LeftBrace = punctuation("LeftBrace", "{");
export const RightBrace = punctuation("RightBrace", "}");
export const LeftParen = punctuation("LeftParen", "(");
export const RightParen = punctuation("RightParen", ")");
export const LeftBracket = punctuation("LeftBracket", "[");
export const RightBracket = punctuation("RightBracket", "]");
export const Semicolon = punctuation("Semicolon", ";");
export const Comma = punctuation("Comma", ",");
export const Colon = punctuation("Colon", ":");
export const RangeInclusive = punctuation("RangeInclusive", "..=", binary);
export const RangeExclusive = punctuation("RangeExclusive", "..", binary);
export const Dot = punctuation("Dot", ".");
export const Arrow = punctuation("Arrow", "->");
export const Implies = punctuation("Implies", "==>", binary);
export const EqualEqual = punctuation("EqualEqual", "==", binary);
export const NotEqual = punctuation("NotEqual", "!=", binary);
export const Equals = punctuation("Equals", "=");
export const ShiftLeft = punctuation("ShiftLeft", "<<", binary);
export const ShiftRight = punctuation("ShiftRight", ">>", binary);
export const LessEqual = punctuation("LessEqual", "<=", binary);
export const GreaterEqual = punctuation("GreaterEqual", ">=", binary);
export const Less = punctuation("Less", "<", binary);
export const Greater = punctuation("Greater", ">", binary);
export const AndAnd = punctuation("AndAnd", "&&", binary);
export const OrOr = punctuation("OrOr", "||", binary);
export const Ampersand = punctuation("Ampersand", "&", binary);
export const Pipe = punctuation("Pipe", "|", binary);
export const Caret = punctuation("Caret", "^", binary);
export const Plus = punctuation("Plus", "+", binary);
export const Minus = punctuation("Minus", "-", binary);
export const Star = punctuation("Star", "*", binary);
export const Slash = punctuation("Slash", "/", binary);
export const Percent = punctuation("Percent", "%", binary);
export const Tilde = punctuation("Tilde", "~");
export const Bang = punctuation("Bang", "!");

const softKeywords: readonly TokenType[] = [
  Protocol, Version, Roles, Import, Const, Enum, Flags, Struct, Message, From, Where, Switch, Case, Default, Count,
  Ring, Request, Response, Order, Stream, Direction, Data, Producer, Consumer, Packet, Repeated, If, While, Store,
  Optional, For, Enables, Lifecycle, When, Publishes, Reads, Exchange, Correlate, Exactly, Once, Ordered, Unordered,
  Deadline, Outstanding, Progress, At, Most, Guarantee, By, On, Until, Within, Per, Resource, Provider, Path, Labels, Limit,
  Policy, Role, Principal, Matches, Types, Privileged, Label, Enforce, Conflict, Colour, Abi, Selected, In,
];

/**
 * Every token type in lexer priority order: comments before `/`, longer punctuation before
 * its prefixes, keywords (longest first, so `ordered` is not read as `order`) before names.
 */
export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  StringLiteral,
  UnterminatedString,
  DurationLiteral,
  NumberLiteral,
  Forall,
  Exists,
  ...[...softKeywords].sort((left, right) => String(right.PATTERN).length - String(left.PATTERN).length),
  Identifier,
  BinaryOperatorCategory,
  LeftBrace,
  RightBrace,
  LeftParen,
  RightParen,
  LeftBracket,
  RightBracket,
  Semicolon,
  Comma,
  Colon,
  RangeInclusive,
  RangeExclusive,
  Dot,
  Arrow,
  Implies,
  EqualEqual,
  NotEqual,
  Equals,
  ShiftLeft,
  ShiftRight,
  LessEqual,
  GreaterEqual,
  Less,
  Greater,
  AndAnd,
  OrOr,
  Ampersand,
  Pipe,
  Caret,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Tilde,
  Bang,
];

/**
 * Every token except `}` belongs to this category, so that member lists can swallow a token
 * that starts nothing ("stray") and keep parsing; lowering reports each run of stray tokens
 * once. `}` is left out so that a list still ends at its closing brace.
 */
export const StrayCategory = createToken({ name: "Stray", pattern: Lexer.NA, label: "a stray token" });
for (const tokenType of allTokens) {
  if (tokenType === WhiteSpace || tokenType === RightBrace || tokenType.PATTERN === Lexer.NA || tokenType.GROUP === commentGroup) continue;
  tokenType.CATEGORIES = [...(tokenType.CATEGORIES ?? []), StrayCategory];
}

/** Token types the parser knows (the lexer's plus the abstract categories). */
export const parserTokens: readonly TokenType[] = [...allTokens, StrayCategory];

/** The soft keywords' spellings, for documentation and tests. */
export const softKeywordSpellings: readonly string[] = Object.keys(softKeywordTable);
