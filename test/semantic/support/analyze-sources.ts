// Test helper: parses source texts with the real parser and runs the semantic phase on them.
import type { Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";
import { analyze } from "../../../compiler/semantic/analyze.js";
import type { SemanticModel } from "../../../compiler/semantic/model.js";
import { parse } from "../../../compiler/syntax/parse.js";
import type { SourceFileAst } from "../../../compiler/syntax/ast.js";

export interface AnalyzedSources {
  readonly asts: readonly SourceFileAst[];
  readonly syntaxDiagnostics: readonly Diagnostic[];
  readonly model: SemanticModel;
  readonly diagnostics: readonly Diagnostic[];
}

export function analyzeSources(sources: Readonly<Record<string, string>>): AnalyzedSources {
  const parsed = Object.entries(sources).map(([file, text]) => parse(file, text));
  const asts = parsed.map((result) => result.value);
  const result = analyze(asts);
  return { asts, syntaxDiagnostics: parsed.flatMap((entry) => entry.diagnostics), model: result.value, diagnostics: result.diagnostics };
}

/** `protocol example version 1 { members }` around a snippet of protocol members. */
export function inProtocol(members: string): string {
  return `protocol example version 1 {\n${members}\n}\n`;
}
