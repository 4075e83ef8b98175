// Formats generated TypeScript once, with prettier's standalone build and every option
// pinned here, so no configuration file on the machine can change the output. The parser is
// babel's TypeScript mode: for the code the generator writes it yields the same output as the
// TypeScript-compiler-based parser at about a third of the cost, and formatting dominates
// compile time (golden and drift tests pin the output).
import { format } from "prettier/standalone";
import * as babelPlugin from "prettier/plugins/babel";
import * as estreePlugin from "prettier/plugins/estree";

/** Every prettier option the generator pins (exported so the benchmark's previous path formats with the same ones). */
export const pinnedPrettierOptions = {
  parser: "babel-ts",
  printWidth: 120,
  tabWidth: 2,
  useTabs: false,
  semi: true,
  singleQuote: false,
  jsxSingleQuote: false,
  quoteProps: "as-needed",
  trailingComma: "all",
  bracketSpacing: true,
  bracketSameLine: false,
  objectWrap: "preserve",
  arrowParens: "always",
  endOfLine: "lf",
  experimentalTernaries: false,
  experimentalOperatorPosition: "end",
} as const;

export async function formatTypeScript(text: string): Promise<string> {
  return format(text, { ...pinnedPrettierOptions, plugins: [estreePlugin, babelPlugin] });
}
