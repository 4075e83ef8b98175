// Turns a span's start offset into a 1-based line and column, for locations the runtime keeps
// as plain data (policy rule origins, monitor clause spans). Pure: the caller supplies the text.
import type { Span } from "../diagnostics/diagnostic.js";

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function locateSpanStart(span: Span, sources: ReadonlyMap<string, string>): SourceLocation {
  const text = sources.get(span.file) ?? "";
  const end = Math.min(Math.max(span.start, 0), text.length);
  let line = 1;
  let lineStart = 0;
  for (let offset = 0; offset < end; offset += 1) {
    if (text.charCodeAt(offset) === 10) {
      line += 1;
      lineStart = offset + 1;
    }
  }
  return { file: span.file, line, column: end - lineStart + 1 };
}

/** The "file:line:col" form monitor clauses and the demo timeline print. */
export function formatSourceLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}
