// Diagnostics are data: a stable code, a primary half-open span, related spans and notes.
// Every phase returns them in a PhaseResult instead of throwing on user input.

/** A half-open range [start, end) of UTF-16 offsets into one source file. */
export interface Span {
  /** The file's path as the user named it (never made absolute by the compiler). */
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

export type Severity = "error" | "warning" | "info";

export interface RelatedSpan {
  readonly span: Span;
  readonly message: string;
}

export interface Diagnostic {
  /** Stable code from the registry, e.g. "PD1001". */
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly related: readonly RelatedSpan[];
  readonly notes: readonly string[];
}

/** The result of every compiler phase: a value (possibly partial) and what went wrong. */
export interface PhaseResult<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === "error");
}
