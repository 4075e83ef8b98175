// File I/O for commands that read specifications: expands directories into their
// *.proto-desc files, reads and strictly decodes UTF-8, and turns every failure into a
// one-line CliUsageError (exit 2) or, for imports, a reason the pipeline reports in place.
import { readFileSync, readdirSync, statSync, type Dirent } from "node:fs";
import { join, resolve } from "node:path";
import { cliDiagnostics } from "../diagnostics/codes/cli.js";
import type { ImportLoadResult, SourceText } from "../pipeline/check.js";
import { CliUsageError } from "./io.js";

export const specExtension = ".proto-desc";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

type ReadOutcome = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly code: string; readonly reason: string };

function describeFileSystemError(error: unknown): { readonly code: string; readonly reason: string } {
  const errorCode = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  switch (errorCode) {
    case "ENOENT":
    case "ENOTDIR":
      return { code: cliDiagnostics.PD9001.code, reason: "no such file or directory" };
    case "EACCES":
    case "EPERM":
      return { code: cliDiagnostics.PD9002.code, reason: "permission denied" };
    case "EISDIR":
      return { code: cliDiagnostics.PD9002.code, reason: "is a directory" };
    case "ELOOP":
      return { code: cliDiagnostics.PD9002.code, reason: "too many levels of symbolic links" };
    default:
      return { code: cliDiagnostics.PD9002.code, reason: errorCode === "" ? "read error" : `read error (${errorCode})` };
  }
}

/** Reads one file as strict UTF-8 (a leading byte-order mark is dropped). */
export function readSpecText(absolutePath: string): ReadOutcome {
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolutePath);
  } catch (error) {
    return { ok: false, ...describeFileSystemError(error) };
  }
  try {
    return { ok: true, text: strictUtf8.decode(bytes) };
  } catch {
    return { ok: false, code: cliDiagnostics.PD9003.code, reason: "not valid UTF-8" };
  }
}

/** Every *.proto-desc below a directory, sorted, skipping hidden folders and node_modules. */
function listSpecFiles(displayDirectory: string, absoluteDirectory: string, found: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(absoluteDirectory, { withFileTypes: true });
  } catch (error) {
    const problem = describeFileSystemError(error);
    throw new CliUsageError(`cannot read directory '${displayDirectory}': ${problem.reason} (${problem.code})`);
  }
  entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  for (const entry of entries) {
    const displayPath = join(displayDirectory, entry.name);
    const absolutePath = join(absoluteDirectory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      listSpecFiles(displayPath, absolutePath, found);
    } else if (entry.name.endsWith(specExtension) && (entry.isFile() || entry.isSymbolicLink())) {
      found.push(displayPath);
    }
  }
}

/**
 * Expands the command line's files and directories into spec texts, in order, each once.
 * Throws CliUsageError with a one-line message for anything that cannot be read.
 */
export function loadSpecArguments(command: string, paths: readonly string[], cwd: string): SourceText[] {
  const displayPaths: string[] = [];
  for (const path of paths) {
    const absolutePath = resolve(cwd, path);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(absolutePath).isDirectory();
    } catch (error) {
      const problem = describeFileSystemError(error);
      throw new CliUsageError(`${command}: cannot read '${path}': ${problem.reason} (${problem.code})`);
    }
    if (!isDirectory) {
      displayPaths.push(path);
      continue;
    }
    const found: string[] = [];
    listSpecFiles(path, absolutePath, found);
    if (found.length === 0) {
      throw new CliUsageError(`${command}: no ${specExtension} files in directory '${path}' (${cliDiagnostics.PD9004.code})`);
    }
    displayPaths.push(...found);
  }
  const seen = new Set<string>();
  const sources: SourceText[] = [];
  for (const displayPath of displayPaths) {
    const absolutePath = resolve(cwd, displayPath);
    if (seen.has(absolutePath)) continue;
    seen.add(absolutePath);
    const outcome = readSpecText(absolutePath);
    if (!outcome.ok) throw new CliUsageError(`${command}: cannot read '${displayPath}': ${outcome.reason} (${outcome.code})`);
    sources.push({ path: displayPath, text: outcome.text });
  }
  return sources;
}

/** The import loader the pipeline calls: reads relative to the working directory. */
export function createImportLoader(cwd: string): (path: string) => ImportLoadResult {
  return (path) => {
    const outcome = readSpecText(resolve(cwd, path));
    return outcome.ok ? { ok: true, text: outcome.text } : { ok: false, reason: outcome.reason };
  };
}
