// Renders diagnostics as one JSON document for tools: every field of the diagnostic plus
// 1-based line/column ranges, the registry slug, and a summary. Stable key order.
import type { Diagnostic, Span } from "./diagnostic.js";
import { SourceLineMaps } from "./render-human.js";
import { diagnosticRegistry } from "./registry.js";

export interface JsonRange {
  readonly start: { readonly line: number; readonly column: number };
  readonly end: { readonly line: number; readonly column: number };
}

export interface JsonSpan {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly range: JsonRange | null;
}

export interface JsonDiagnostic {
  readonly code: string;
  readonly slug: string;
  readonly severity: string;
  readonly message: string;
  readonly span: JsonSpan;
  readonly related: readonly { readonly message: string; readonly span: JsonSpan }[];
  readonly notes: readonly string[];
}

export interface JsonReport {
  readonly version: 1;
  readonly files: readonly string[];
  readonly diagnostics: readonly JsonDiagnostic[];
  readonly summary: { readonly errors: number; readonly warnings: number; readonly infos: number };
}

export function toJsonReport(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>): JsonReport {
  const lineMaps = new SourceLineMaps(sources);
  const toSpan = (span: Span): JsonSpan => {
    const map = lineMaps.get(span.file);
    return {
      file: span.file,
      start: span.start,
      end: span.end,
      range: map === undefined ? null : { start: map.locate(span.start), end: map.locate(span.end) },
    };
  };
  return {
    version: 1,
    files: [...sources.keys()],
    diagnostics: diagnostics.map((diagnostic) => ({
      code: diagnostic.code,
      slug: diagnosticRegistry.get(diagnostic.code)?.slug ?? "",
      severity: diagnostic.severity,
      message: diagnostic.message,
      span: toSpan(diagnostic.span),
      related: diagnostic.related.map((related) => ({ message: related.message, span: toSpan(related.span) })),
      notes: diagnostic.notes,
    })),
    summary: {
      errors: diagnostics.filter((diagnostic) => diagnostic.severity === "error").length,
      warnings: diagnostics.filter((diagnostic) => diagnostic.severity === "warning").length,
      infos: diagnostics.filter((diagnostic) => diagnostic.severity === "info").length,
    },
  };
}

export function renderJson(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>): string {
  return `${JSON.stringify(toJsonReport(diagnostics, sources), null, 2)}\n`;
}
