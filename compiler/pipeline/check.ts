// The one place that owns the order of the front-end phases behind `proto-desc check`:
// parse every file (following imports through a loader the caller supplies), then semantic
// analysis. Pure: the CLI does the file I/O and hands texts in; this module never touches disk.
import { posix } from "node:path";
import { cliDiagnostics } from "../diagnostics/codes/cli.js";
import { createDiagnostic } from "../diagnostics/definition.js";
import type { Diagnostic, PhaseResult } from "../diagnostics/diagnostic.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import type { SourceFileAst } from "../syntax/ast.js";
import { parse } from "../syntax/parse.js";
import { analyze } from "../semantic/analyze.js";
import type { SemanticModel } from "../semantic/model.js";

export interface SourceText {
  /** The path as the user (or an import) named it; spans and messages use it verbatim. */
  readonly path: string;
  readonly text: string;
}

export type ImportLoadResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string };

/** Supplied by the CLI: reads an imported file. Paths are already resolved against the importer. */
export type ImportLoader = (path: string) => ImportLoadResult;

export interface CheckedProgram {
  /** Every parsed file: the roots first, then imports in discovery order. */
  readonly files: readonly SourceFileAst[];
  /** Each file's text by path, for renderers that print code frames. */
  readonly sources: ReadonlyMap<string, string>;
  /** No file has a syntax error: the precondition for semantic analysis. */
  readonly syntaxClean: boolean;
  /** The semantic model, when the syntax was clean (it may still carry semantic errors). */
  readonly model: SemanticModel | undefined;
}

/** Resolves an import path against the importing file, in the `/`-separated form users write. */
export function resolveImportPath(importingFile: string, importPath: string): string {
  const normalizedImporter = importingFile.replaceAll("\\", "/");
  return posix.normalize(posix.join(posix.dirname(normalizedImporter), importPath));
}

export function checkSources(roots: readonly SourceText[], loadImport: ImportLoader): PhaseResult<CheckedProgram> {
  const diagnostics: Diagnostic[] = [];
  const files: SourceFileAst[] = [];
  const sources = new Map<string, string>();
  const pending: SourceText[] = [...roots];
  const seen = new Set<string>(roots.map((root) => posix.normalize(root.path.replaceAll("\\", "/"))));

  // Phase 1 — syntax: every file, and every file it imports, exactly once.
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    sources.set(next.path, next.text);
    const parsed = parse(next.path, next.text);
    files.push(parsed.value);
    diagnostics.push(...parsed.diagnostics);
    for (const declaration of parsed.value.imports) {
      if (declaration.path.value === "") continue;
      const resolved = resolveImportPath(next.path, declaration.path.value);
      if (seen.has(resolved)) continue;
      seen.add(resolved);
      const loaded = loadImport(resolved);
      if (!loaded.ok) {
        diagnostics.push(
          createDiagnostic(cliDiagnostics.PD9005, declaration.path.span, `cannot import '${declaration.path.value}': ${loaded.reason}`, {
            notes: [`import paths are relative to the importing file; this one resolves to '${resolved}'`],
          }),
        );
        continue;
      }
      pending.push({ path: resolved, text: loaded.text });
    }
  }

  // Phase 2 — semantic analysis: only when the syntax is clean, because recovery leaves
  // placeholder nodes in a broken tree. Code generation is never part of `check`.
  const syntaxClean = !hasErrors(diagnostics);
  let model: SemanticModel | undefined;
  if (syntaxClean) {
    const analyzed = analyze(files);
    model = analyzed.value;
    diagnostics.push(...analyzed.diagnostics);
  }

  return { value: { files, sources, syntaxClean, model }, diagnostics };
}
