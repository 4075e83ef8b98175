// Caret annotations: expected diagnostics written inside a fixture, under the line they point
// at. An annotation is a line comment whose carets sit under the diagnostic's primary span:
//
//     message Request from frontnd { id: u64; }
//     //                   ^^^^^^^ PD2005: the sender of message Request 'frontnd' is not ...
//
// A span that continues past its line is marked to the end of the line. Rewriting the
// annotations from actual diagnostics (UPDATE_GOLDENS=1) keeps fixtures reviewable as diffs.
import type { Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";
import { LineMap } from "../../../compiler/diagnostics/line-map.js";

const annotationPattern = /^(\s*\/\/)(\s*)(\^+) (PD\d{4}): (.*)$/;

export interface CaretAnnotation {
  /** 1-based line the carets point into. */
  readonly line: number;
  /** 1-based first column and number of carets. */
  readonly column: number;
  readonly width: number;
  readonly code: string;
  readonly message: string;
}

export function isAnnotationLine(line: string): boolean {
  return annotationPattern.test(line);
}

/** Reads the annotations of a fixture; lines are numbered as in the file (annotations included). */
export function readAnnotations(text: string): CaretAnnotation[] {
  const lines = text.split("\n");
  const annotations: CaretAnnotation[] = [];
  let target = 0;
  lines.forEach((line, index) => {
    const match = annotationPattern.exec(line);
    if (match === null) {
      target = index + 1;
      return;
    }
    const prefix = (match[1] ?? "") + (match[2] ?? "");
    annotations.push({ line: target, column: prefix.length + 1, width: (match[3] ?? "").length, code: match[4] ?? "", message: match[5] ?? "" });
  });
  return annotations;
}

/** The annotation a diagnostic corresponds to, in the same coordinates as readAnnotations. */
export function annotationOf(diagnostic: Diagnostic, text: string): CaretAnnotation {
  const map = new LineMap(text);
  const start = map.locate(diagnostic.span.start);
  const end = map.locate(diagnostic.span.end);
  const lineLength = map.lineText(start.line).length;
  const width = end.line === start.line ? Math.max(1, end.column - start.column) : Math.max(1, lineLength - start.column + 1);
  return { line: start.line, column: start.column, width, code: diagnostic.code, message: diagnostic.message.replaceAll("\n", " ") };
}

export function formatAnnotation(annotation: CaretAnnotation): string {
  return `${annotation.line}:${annotation.column} ${"^".repeat(annotation.width)} ${annotation.code}: ${annotation.message}`;
}

export function stripAnnotations(text: string): string {
  return text.split("\n").filter((line) => !isAnnotationLine(line)).join("\n");
}

/** Rewrites a fixture with annotations for the given diagnostics (existing annotations dropped). */
export function rewriteAnnotations(text: string, diagnostics: readonly Diagnostic[]): string {
  const lines = text.split("\n");
  const kept: { readonly text: string; readonly originalLine: number }[] = [];
  lines.forEach((line, index) => {
    if (!isAnnotationLine(line)) kept.push({ text: line, originalLine: index + 1 });
  });
  const clean = kept.map((entry) => entry.text).join("\n");
  const byLine = new Map<number, CaretAnnotation[]>();
  for (const diagnostic of diagnostics) {
    const annotation = annotationOf(diagnostic, clean);
    const list = byLine.get(annotation.line) ?? [];
    list.push(annotation);
    byLine.set(annotation.line, list);
  }
  const output: string[] = [];
  kept.forEach((entry, index) => {
    output.push(entry.text);
    for (const annotation of byLine.get(index + 1) ?? []) {
      if (annotation.column < 3) throw new Error(`cannot annotate column ${annotation.column} of line ${index + 1}: indent the fixture so spans start at column 3 or later`);
      output.push(`//${" ".repeat(annotation.column - 3)}${"^".repeat(annotation.width)} ${annotation.code}: ${annotation.message}`);
    }
  });
  return output.join("\n");
}
