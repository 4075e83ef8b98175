// Renders diagnostics for people: `path:line:col: severity[code]: message`, a code frame with
// carets under the span, related locations and notes. Colour only when asked (the CLI asks
// only when stdout is a terminal and NO_COLOR is unset).
import type { Diagnostic, Severity, Span } from "./diagnostic.js";
import { LineMap } from "./line-map.js";

export interface HumanRenderOptions {
  readonly colour: boolean;
}

const ansi = {
  reset: "\u001b[0m",
  bold: "\u001b[1m",
  red: "\u001b[31m",
  yellow: "\u001b[33m",
  blue: "\u001b[34m",
  cyan: "\u001b[36m",
} as const;

const severityColour: Readonly<Record<Severity, string>> = { error: ansi.red, warning: ansi.yellow, info: ansi.cyan };

/** Line maps are built once per file and shared by every diagnostic in it. */
export class SourceLineMaps {
  private readonly maps = new Map<string, LineMap>();

  constructor(private readonly sources: ReadonlyMap<string, string>) {}

  get(file: string): LineMap | undefined {
    const cached = this.maps.get(file);
    if (cached !== undefined) return cached;
    const text = this.sources.get(file);
    if (text === undefined) return undefined;
    const map = new LineMap(text);
    this.maps.set(file, map);
    return map;
  }
}

export function renderHuman(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>, options: HumanRenderOptions): string {
  const lineMaps = new SourceLineMaps(sources);
  const paint = (code: string, text: string): string => (options.colour ? `${code}${text}${ansi.reset}` : text);
  const blocks: string[] = [];
  for (const diagnostic of diagnostics) {
    const lines: string[] = [];
    const heading = `${paint(severityColour[diagnostic.severity] + ansi.bold, `${diagnostic.severity}[${diagnostic.code}]`)}: ${paint(ansi.bold, diagnostic.message)}`;
    lines.push(`${locationText(diagnostic.span, lineMaps)}: ${heading}`);
    lines.push(...codeFrame(diagnostic.span, lineMaps, (text) => paint(severityColour[diagnostic.severity], text), (text) => paint(ansi.blue, text)));
    for (const related of diagnostic.related) {
      lines.push(`  ${paint(ansi.blue, "note")}: ${locationText(related.span, lineMaps)}: ${related.message}`);
      lines.push(...codeFrame(related.span, lineMaps, (text) => paint(ansi.blue, text), (text) => paint(ansi.blue, text)));
    }
    for (const note of diagnostic.notes) lines.push(`  ${paint(ansi.blue, "=")} note: ${note}`);
    blocks.push(lines.join("\n"));
  }
  return blocks.length === 0 ? "" : `${blocks.join("\n\n")}\n`;
}

export function locationText(span: Span, lineMaps: SourceLineMaps): string {
  const map = lineMaps.get(span.file);
  if (map === undefined) return span.file;
  const { line, column } = map.locate(span.start);
  return `${span.file}:${line}:${column}`;
}

/**
 * The span's first line with carets under the spanned part. A span that continues onto later
 * lines is underlined to the end of its first line and says where it ends.
 */
function codeFrame(span: Span, lineMaps: SourceLineMaps, paintCarets: (text: string) => string, paintGutter: (text: string) => string): string[] {
  const map = lineMaps.get(span.file);
  if (map === undefined) return [];
  const start = map.locate(span.start);
  const end = map.locate(Math.max(span.start, span.end));
  const lineText = map.lineText(start.line);
  const gutterWidth = String(end.line).length;
  const lastColumn = end.line === start.line ? end.column : lineText.length + 1;
  const caretCount = Math.max(1, lastColumn - start.column);
  // Keep tabs in the padding so the carets line up under tab-indented code.
  const padding = lineText.slice(0, start.column - 1).replace(/[^\t]/g, " ");
  const gutter = " ".repeat(gutterWidth);
  const frame = [
    `  ${paintGutter(`${String(start.line).padStart(gutterWidth)} |`)} ${lineText}`.trimEnd(),
    `  ${paintGutter(`${gutter} |`)} ${padding}${paintCarets("^".repeat(caretCount))}${end.line > start.line ? ` (continues to line ${end.line})` : ""}`,
  ];
  return frame;
}
