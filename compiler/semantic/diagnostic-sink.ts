// Collects the analyzer's diagnostics in order; the one place that turns registry entries
// into Diagnostic values for this phase.
import { createDiagnostic, type DiagnosticDefinition } from "../diagnostics/definition.js";
import type { Diagnostic, RelatedSpan, Span } from "../diagnostics/diagnostic.js";
import { semanticDiagnostics } from "../diagnostics/codes/semantic.js";

export type SemanticCode = keyof typeof semanticDiagnostics;

export class DiagnosticSink {
  private readonly collected: Diagnostic[] = [];

  report(code: SemanticCode, span: Span, message: string, extras: { readonly related?: readonly RelatedSpan[]; readonly notes?: readonly string[] } = {}): void {
    const definition: DiagnosticDefinition = semanticDiagnostics[code];
    this.collected.push(createDiagnostic(definition, span, message, extras));
  }

  get diagnostics(): readonly Diagnostic[] {
    return this.collected;
  }

  get errorCount(): number {
    return this.collected.filter((diagnostic) => diagnostic.severity === "error").length;
  }
}
