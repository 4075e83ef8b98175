// The compile pipeline: parse every spec, analyze them together, lower to IR and emit. It
// owns the phase order and stops before lowering when any earlier phase reported an error,
// so a spec with errors produces diagnostics and no files. It does no I/O.
import { computeSpecHash, type SpecInput } from "./codegen/header.js";
import { emitGeneratedFiles, type GeneratedFile } from "./codegen/emit.js";
import type { Diagnostic, PhaseResult } from "./diagnostics/diagnostic.js";
import { hasErrors } from "./diagnostics/diagnostic.js";
import { lowerToIr } from "./ir/lower.js";
import { analyze } from "./semantic/analyze.js";
import type { SourceFileAst } from "./syntax/ast.js";
import { parse } from "./syntax/parse.js";

export interface CompileOptions {
  /** The spec files the user named (their imports may be among `inputs` too), relative, `/`-separated. */
  readonly namedSpecs: readonly string[];
  readonly runtimeImportSpecifier: string;
  readonly regenerateCommand: string;
}

export async function compileSpecs(inputs: readonly SpecInput[], options: CompileOptions): Promise<PhaseResult<readonly GeneratedFile[]>> {
  const diagnostics: Diagnostic[] = [];
  const asts: SourceFileAst[] = [];
  const sorted = [...inputs].sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0));
  for (const input of sorted) {
    const parsed = parse(input.path, input.text);
    diagnostics.push(...parsed.diagnostics);
    asts.push(parsed.value);
  }
  if (hasErrors(diagnostics)) return { value: [], diagnostics };
  const analyzed = analyze(asts);
  diagnostics.push(...analyzed.diagnostics);
  if (hasErrors(diagnostics)) return { value: [], diagnostics };
  const lowered = lowerToIr(analyzed.value);
  diagnostics.push(...lowered.diagnostics);
  if (hasErrors(diagnostics)) return { value: [], diagnostics };
  const named = new Set(options.namedSpecs);
  // Only the protocols declared in the files the user named are generated; imports only inform them.
  const protocols = lowered.value.filter((protocol) => named.has(protocol.span.file));
  const emitted = await emitGeneratedFiles(
    { protocols, specFiles: [...options.namedSpecs].sort(), specHash: computeSpecHash(inputs) },
    { runtimeImportSpecifier: options.runtimeImportSpecifier, regenerateCommand: options.regenerateCommand },
  );
  diagnostics.push(...emitted.diagnostics);
  return { value: hasErrors(diagnostics) ? [] : emitted.value, diagnostics };
}
