// The one registry of diagnostic codes: every phase's table merged, with uniqueness checked
// at load time so a clash is a build-time test failure, not a silent overwrite.
import type { DiagnosticDefinition } from "./definition.js";
import { cliDiagnostics } from "./codes/cli.js";
import { codegenDiagnostics } from "./codes/codegen.js";
import { hostDiagnostics } from "./codes/host.js";
import { semanticDiagnostics } from "./codes/semantic.js";
import { syntaxDiagnostics } from "./codes/syntax.js";

function mergeTables(tables: readonly Readonly<Record<string, DiagnosticDefinition>>[]): ReadonlyMap<string, DiagnosticDefinition> {
  const byCode = new Map<string, DiagnosticDefinition>();
  const slugs = new Set<string>();
  for (const table of tables) {
    for (const definition of Object.values(table)) {
      if (!/^PD\d{4}$/.test(definition.code)) throw new Error(`diagnostic code ${definition.code} is not PD + four digits`);
      if (byCode.has(definition.code)) throw new Error(`diagnostic code ${definition.code} is defined twice`);
      if (slugs.has(definition.slug)) throw new Error(`diagnostic slug ${definition.slug} is defined twice`);
      byCode.set(definition.code, definition);
      slugs.add(definition.slug);
    }
  }
  return byCode;
}

export const diagnosticRegistry: ReadonlyMap<string, DiagnosticDefinition> = mergeTables([
  syntaxDiagnostics,
  semanticDiagnostics,
  codegenDiagnostics,
  cliDiagnostics,
  hostDiagnostics,
]);
