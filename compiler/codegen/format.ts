// Formats generated TypeScript once, with prettier's standalone build and every option
// pinned here, so no configuration file on the machine can change the output.
import { format } from "prettier/standalone";
import * as estreePlugin from "prettier/plugins/estree";
import * as typescriptPlugin from "prettier/plugins/typescript";

const pinnedPrettierOptions = {
  parser: "typescript",
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
  return format(text, { ...pinnedPrettierOptions, plugins: [estreePlugin, typescriptPlugin] });
}
