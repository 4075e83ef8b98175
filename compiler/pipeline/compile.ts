// The phase order behind `proto-desc compile`: the front end (pipeline/check.ts: parse with
// imports, analyze), then lowering to IR and emission. It stops before lowering when any
// earlier phase reported an error, so a spec with errors produces diagnostics and no files.
// Pure apart from the import loader the caller supplies.
import { emitGeneratedFiles, type GeneratedFile } from "../codegen/emit.js";
import type { FormatWorkerPool } from "../codegen/format-worker-pool.js";
import { computeSpecHash } from "../codegen/header.js";
import type { Diagnostic, PhaseResult } from "../diagnostics/diagnostic.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { lowerToIr } from "../ir/lower.js";
import { checkSources, type ImportLoader, type SourceText } from "./check.js";

export interface CompileOptions {
  readonly runtimeImportSpecifier: string;
  readonly regenerateCommand: string;
  /** Signed into every generated file; see EmitOptions.generator. */
  readonly generator?: string;
  /** See EmitOptions.formatWorkers: formatting on two threads, same output. */
  readonly formatWorkers?: FormatWorkerPool;
}

export interface CompiledProgram {
  /** One module per protocol declared in a root spec (imports inform analysis only). */
  readonly files: readonly GeneratedFile[];
  /** Every spec text by path (roots and imports), for rendering diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
}

export async function compileSources(roots: readonly SourceText[], loadImport: ImportLoader, options: CompileOptions): Promise<PhaseResult<CompiledProgram>> {
  const checked = checkSources(roots, loadImport);
  const diagnostics: Diagnostic[] = [...checked.diagnostics];
  const sources = checked.value.sources;
  const model = checked.value.model;
  if (hasErrors(diagnostics) || model === undefined) return { value: { files: [], sources }, diagnostics };
  const lowered = lowerToIr(model, sources);
  const rootPaths = [...new Set(roots.map((root) => root.path))].sort();
  const named = new Set(rootPaths);
  // Lowering warnings (stubs not generated) concern generated code, and imports generate none
  // here, so only a root spec's warnings are shown; errors are shown wherever they are.
  diagnostics.push(...lowered.diagnostics.filter((diagnostic) => diagnostic.severity === "error" || named.has(diagnostic.span.file)));
  if (hasErrors(diagnostics)) return { value: { files: [], sources }, diagnostics };
  const protocols = lowered.value.filter((protocol) => named.has(protocol.span.file));
  const emitted = await emitGeneratedFiles(
    {
      protocols,
      specFiles: rootPaths,
      specHash: computeSpecHash([...sources].map(([path, text]) => ({ path, text }))),
      specInputs: [...sources.keys()].sort(),
    },
    options,
  );
  diagnostics.push(...emitted.diagnostics);
  return { value: { files: hasErrors(diagnostics) ? [] : emitted.value, sources }, diagnostics };
}

/** An import loader for callers that hand in every file up front (tests, benchmarks). */
export function importsFromMemory(files: readonly SourceText[]): ImportLoader {
  const byPath = new Map(files.map((file) => [file.path, file.text] as const));
  return (path) => {
    const text = byPath.get(path);
    return text === undefined ? { ok: false, reason: "not provided" } : { ok: true, text };
  };
}
