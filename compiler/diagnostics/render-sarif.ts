// Renders diagnostics as a SARIF 2.1.0 log, the format code-scanning services accept: one run,
// the registry entries used as rules, one result per diagnostic with a line/column region.
import type { Diagnostic, Severity, Span } from "./diagnostic.js";
import type { DiagnosticDefinition } from "./definition.js";
import { diagnosticRegistry } from "./registry.js";
import { SourceLineMaps } from "./render-human.js";

export interface SarifToolInfo {
  readonly name: string;
  readonly version: string;
}

const sarifLevel: Readonly<Record<Severity, "error" | "warning" | "note">> = { error: "error", warning: "warning", info: "note" };

/** SARIF artifact URIs use forward slashes and percent-encoding, relative to the source root. */
function artifactUri(file: string): string {
  return file
    .replaceAll("\\", "/")
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

export function toSarifLog(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>, tool: SarifToolInfo): object {
  const lineMaps = new SourceLineMaps(sources);
  const usedCodes = [...new Set(diagnostics.map((diagnostic) => diagnostic.code))].sort();
  const rules = usedCodes.map((code) => diagnosticRegistry.get(code)).filter((rule): rule is DiagnosticDefinition => rule !== undefined);
  const ruleIndex = new Map(rules.map((rule, index) => [rule.code, index]));

  const location = (span: Span, message?: string): object => {
    const map = lineMaps.get(span.file);
    const region: Record<string, number> = { charOffset: span.start, charLength: Math.max(0, span.end - span.start) };
    if (map !== undefined) {
      const start = map.locate(span.start);
      const end = map.locate(span.end);
      Object.assign(region, { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column });
    }
    return {
      physicalLocation: { artifactLocation: { uri: artifactUri(span.file), uriBaseId: "%SRCROOT%" }, region },
      ...(message === undefined ? {} : { message: { text: message } }),
    };
  };

  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            rules: rules.map((rule) => ({
              id: rule.code,
              name: rule.slug,
              shortDescription: { text: rule.summary },
              defaultConfiguration: { level: sarifLevel[rule.severity] },
            })),
          },
        },
        columnKind: "utf16CodeUnits",
        artifacts: [...sources.keys()].map((file) => ({ location: { uri: artifactUri(file), uriBaseId: "%SRCROOT%" } })),
        results: diagnostics.map((diagnostic) => ({
          ruleId: diagnostic.code,
          ...(ruleIndex.has(diagnostic.code) ? { ruleIndex: ruleIndex.get(diagnostic.code) } : {}),
          level: sarifLevel[diagnostic.severity],
          message: { text: diagnostic.notes.length === 0 ? diagnostic.message : `${diagnostic.message} (${diagnostic.notes.join("; ")})` },
          locations: [location(diagnostic.span)],
          ...(diagnostic.related.length === 0 ? {} : { relatedLocations: diagnostic.related.map((related, index) => ({ id: index, ...location(related.span, related.message) })) }),
        })),
      },
    ],
  };
}

export function renderSarif(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>, tool: SarifToolInfo): string {
  return `${JSON.stringify(toSarifLog(diagnostics, sources, tool), null, 2)}\n`;
}
