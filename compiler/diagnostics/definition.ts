// The shape of one registry entry. Each phase owns a table of entries in codes/; the
// registry merges them and checks that codes and slugs are unique.
import type { Severity } from "./diagnostic.js";

export interface DiagnosticDefinition {
  /** Stable code: "PD" and four digits. Never reused for another meaning. */
  readonly code: string;
  /** Stable kebab-case name, used in docs and SARIF rule ids. */
  readonly slug: string;
  readonly severity: Severity;
  /** One sentence saying what the problem is, in general terms (shown in the docs page). */
  readonly summary: string;
}

/** Declares a phase's table; the `as const` keeps the codes as literal keys for type-safe lookup. */
export function defineDiagnostics<const T extends Record<string, Omit<DiagnosticDefinition, "code">>>(
  table: T,
): { readonly [K in keyof T]: DiagnosticDefinition } {
  const result: Record<string, DiagnosticDefinition> = {};
  for (const [code, entry] of Object.entries(table)) {
    result[code] = { code, ...entry };
  }
  return result as { readonly [K in keyof T]: DiagnosticDefinition };
}

import type { Diagnostic, RelatedSpan, Span } from "./diagnostic.js";

/** Builds a diagnostic for a registry entry; the message is specific, the summary general. */
export function createDiagnostic(
  definition: DiagnosticDefinition,
  span: Span,
  message: string,
  extras: { readonly related?: readonly RelatedSpan[]; readonly notes?: readonly string[] } = {},
): Diagnostic {
  return {
    code: definition.code,
    severity: definition.severity,
    message,
    span,
    related: extras.related ?? [],
    notes: extras.notes ?? [],
  };
}
