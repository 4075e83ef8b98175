// Decides what `compile --check` reports: generated files whose committed text differs, files
// that should exist and do not, and generated files nothing generates any more. It compares
// contents the CLI has read; it does no I/O itself.
import type { GeneratedFile } from "./emit.js";
import { generatedFileMarker } from "./header.js";
import { readSignature } from "./signature.js";

export interface ExistingFile {
  readonly path: string;
  readonly text: string;
}

export interface DriftReport {
  readonly modified: readonly string[];
  readonly missing: readonly string[];
  /** Files in the output directory that carry the generated header but are not generated now. */
  readonly orphaned: readonly string[];
  /**
   * Files identical to what would be generated except for the generator identity they are
   * signed with (a compiler change that left this output alone). They are current, so this is
   * not drift; `compile` re-signs them, which lets `--check` confirm them from the signature again.
   */
  readonly resigned: readonly string[];
}

/** Whether two generated texts differ only in the generator identity of their signatures. */
function differOnlyInGenerator(left: string, right: string): boolean {
  const leftSignature = readSignature(left);
  const rightSignature = readSignature(right);
  if (leftSignature === undefined || rightSignature === undefined) return false;
  return (
    leftSignature.header === rightSignature.header &&
    leftSignature.body === rightSignature.body &&
    leftSignature.moduleIndex === rightSignature.moduleIndex &&
    leftSignature.moduleCount === rightSignature.moduleCount &&
    leftSignature.specInputs.join("\n") === rightSignature.specInputs.join("\n")
  );
}

export function compareGeneratedFiles(expected: readonly GeneratedFile[], existing: readonly ExistingFile[]): DriftReport {
  const existingByPath = new Map(existing.map((file) => [file.path, file.text] as const));
  const expectedPaths = new Set(expected.map((file) => file.path));
  const modified: string[] = [];
  const missing: string[] = [];
  const resigned: string[] = [];
  for (const file of expected) {
    const text = existingByPath.get(file.path);
    if (text === undefined) missing.push(file.path);
    else if (text === file.text) continue;
    else if (differOnlyInGenerator(text, file.text)) resigned.push(file.path);
    else modified.push(file.path);
  }
  const orphaned = existing.filter((file) => !expectedPaths.has(file.path) && file.text.startsWith(generatedFileMarker)).map((file) => file.path);
  return { modified: modified.sort(), missing: missing.sort(), orphaned: orphaned.sort(), resigned: resigned.sort() };
}

export function hasDrift(report: DriftReport): boolean {
  return report.modified.length + report.missing.length + report.orphaned.length > 0;
}
