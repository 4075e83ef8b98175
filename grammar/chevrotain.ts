// chevrotain as the front end uses it. The package's entry point loads hundreds of small
// modules, which cost more start-up time than lexing and parsing a 5,000-line spec; the same
// version also ships as one bundled file, which loads in a fraction of that. Node does not let
// a package map a name into node_modules, so this module finds the bundle next to the resolved
// entry point and falls back to the entry point if the bundle is missing. Every runtime use of
// chevrotain goes through here, so tokens, lexer and parser share one copy (and one EOF).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

function bundlePath(): string | undefined {
  try {
    // The entry point is <package>/lib/src/api.js; the bundle is <package>/lib/chevrotain.mjs.
    const entryPoint = createRequire(import.meta.url).resolve("chevrotain");
    const candidate = join(dirname(dirname(entryPoint)), "chevrotain.mjs");
    return existsSync(candidate) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

const located = bundlePath();
const chevrotain: Chevrotain = located === undefined ? await import("chevrotain") : ((await import(pathToFileURL(located).href)) as Chevrotain);

export const Lexer: Chevrotain["Lexer"] = chevrotain.Lexer;
export const CstParser: Chevrotain["CstParser"] = chevrotain.CstParser;
export const createToken: Chevrotain["createToken"] = chevrotain.createToken;
export const tokenMatcher: Chevrotain["tokenMatcher"] = chevrotain.tokenMatcher;
export const EOF: Chevrotain["EOF"] = chevrotain.EOF;

export type {
  CstElement,
  CstNode,
  ILexingError,
  IParserErrorMessageProvider,
  IRecognitionException,
  IToken,
  TokenType,
} from "chevrotain";
