// Test support: checks a set of spec files the way the CLI does (reading imports from disk,
// relative to the repository root) and returns the checked program.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSources, type CheckedProgram, type SourceText } from "../../compiler/pipeline/check.js";
import { repositoryRoot } from "../support/run-cli.js";

export function checkSpecFiles(paths: readonly string[], extraSources: readonly SourceText[] = []): { readonly program: CheckedProgram; readonly errors: readonly string[] } {
  const roots = [...paths.map((path) => ({ path, text: readFileSync(join(repositoryRoot, path), "utf8") })), ...extraSources];
  const result = checkSources(roots, (path) => {
    try {
      return { ok: true, text: readFileSync(join(repositoryRoot, path), "utf8") };
    } catch {
      return { ok: false, reason: "no such file" };
    }
  });
  return { program: result.value, errors: result.diagnostics.filter((diagnostic) => diagnostic.severity === "error").map((diagnostic) => `${diagnostic.code} ${diagnostic.message}`) };
}

export const bundledHostFiles = ["protocols/host-policy.proto-desc"];
