// `proto-desc compile <specs...> --out DIR [--check] [--runtime-import SPECIFIER] [--jobs 1|2]`: generates
// TypeScript for every protocol in the named specs, or with --check writes nothing and reports
// generated files that are modified, missing or orphaned. This module does the I/O; the
// pipeline and the drift comparison decide.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { compareGeneratedFiles, hasDrift, type ExistingFile } from "../../codegen/drift.js";
import { FormatWorkerPool } from "../../codegen/format-worker-pool.js";
import { writeGeneratedHeader } from "../../codegen/header.js";
import { confirmUpToDateBySignature } from "../../codegen/signature.js";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import type { SourceText } from "../../pipeline/check.js";
import { parseArguments } from "../arguments.js";
import { identifyGenerator } from "../generator-fingerprint.js";
import { createImportLoader, loadSpecArguments, readSpecText } from "../load-specs.js";
import { CliUsageError, ExitCode, type CliIo } from "../io.js";

const helpText = `usage: proto-desc compile <spec.proto-desc...> --out DIR [--check] [--runtime-import SPECIFIER] [--jobs 1|2]

Generates one TypeScript module per protocol declared in the named specs (or the
*.proto-desc files under named directories) into DIR.
  --out DIR                  where the generated files go (required)
  --check                    write nothing; exit 1 listing modified, missing and orphaned files
                             (answers from the files' signed headers when they prove the
                             files current, without regenerating them)
  --runtime-import SPECIFIER how generated code imports the runtime entry point
                             (default: the relative path from DIR to this package's runtime/gen/v1.js)
  --jobs 1|2                 threads that format the generated code (default 1; with 2 a worker
                             thread loads the formatter while this one loads TypeScript and
                             formats the generated code; the output is the same bytes)
`;

/** Paths as a user names them: relative to the working directory, with `/` separators. */
function toUserPath(cwd: string, path: string): string {
  const relativePath = relative(cwd, resolve(cwd, path)).split(sep).join("/");
  return relativePath === "" ? "." : relativePath;
}

function readExistingGeneratedDirectory(directory: string): ExistingFile[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => ({ path: entry.name, text: readFileSync(resolve(directory, entry.name), "utf8") }));
}

function defaultRuntimeImport(outDirectory: string): string {
  const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
  const entry = resolve(packageRoot, "runtime/gen/v1.js");
  const specifier = relative(outDirectory, entry).split(sep).join("/");
  return specifier.startsWith(".") ? specifier : `./${specifier}`;
}

interface CompileSettings {
  readonly outDirectory: string;
  readonly outForUser: string;
  readonly runtimeImportSpecifier: string;
  readonly regenerateCommand: string;
  readonly checkOnly: boolean;
}

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArguments("compile", args, {
    out: { kind: "string" },
    check: { kind: "boolean" },
    "runtime-import": { kind: "string" },
    jobs: { kind: "string", values: ["1", "2"] },
    help: { kind: "boolean" },
  });
  if (parsed.booleans.has("help")) {
    io.stdout(helpText);
    return ExitCode.ok;
  }
  const out = parsed.strings.get("out");
  if (out === undefined) throw new CliUsageError("compile: option '--out DIR' is required");
  if (parsed.positionals.length === 0) throw new CliUsageError("compile: name at least one .proto-desc spec");
  const specs = [...new Set(parsed.positionals.map((path) => toUserPath(io.cwd, path)))].sort();
  const outDirectory = resolve(io.cwd, out);
  const explicitRuntimeImport = parsed.strings.get("runtime-import");
  const settings: CompileSettings = {
    outDirectory,
    outForUser: toUserPath(io.cwd, out),
    runtimeImportSpecifier: explicitRuntimeImport ?? defaultRuntimeImport(outDirectory),
    regenerateCommand: [
      "npx proto-desc compile",
      ...specs,
      "--out",
      toUserPath(io.cwd, out),
      ...(explicitRuntimeImport === undefined ? [] : ["--runtime-import", explicitRuntimeImport]),
    ].join(" "),
    checkOnly: parsed.booleans.has("check"),
  };
  // One thread by default: on a two-core machine a cold run with the worker took 1.05-1.08x the
  // time of one thread (the worker's isolate, prettier load and warm-up compete with TypeScript's
  // load for the same cores), while in-process compiles that keep a warm pool gain (0.73x).
  const formatOnTwoThreads = (parsed.strings.get("jobs") ?? "1") === "2";

  // Full generation starts the formatting worker before anything heavy loads, so that prettier
  // loads and warms up on the other core while this thread loads TypeScript and runs the front
  // end. A --check that the signed headers answer never generates, so it starts no worker.
  let formatWorkers = formatOnTwoThreads && !settings.checkOnly ? FormatWorkerPool.start() : undefined;
  try {
    const roots = loadSpecArguments("compile", specs, io.cwd);
    const generator = identifyGenerator();
    if (settings.checkOnly && generator !== undefined && answerCheckFromSignatures(settings, roots, generator, io)) return ExitCode.ok;
    if (formatOnTwoThreads) formatWorkers ??= FormatWorkerPool.start();
    return await generateFiles(settings, roots, generator, formatWorkers, io);
  } finally {
    await formatWorkers?.close();
  }
}

/**
 * The fast path: when every generated file's signature proves it is what this compiler would
 * write now, answer without loading the front end, ts-morph or prettier. Anything short of
 * proof (false) falls through to full generation, which decides.
 */
function answerCheckFromSignatures(settings: CompileSettings, roots: readonly SourceText[], generator: string, io: CliIo): boolean {
  const rootPaths = [...new Set(roots.map((root) => root.path))].sort();
  let existingFiles: ExistingFile[] | undefined;
  try {
    existingFiles = readExistingGeneratedDirectory(settings.outDirectory);
  } catch {
    existingFiles = undefined;
  }
  const confirmed =
    existingFiles !== undefined &&
    confirmUpToDateBySignature({
      generator,
      writeHeader: (specHash) => writeGeneratedHeader({ specFiles: rootPaths, regenerateCommand: settings.regenerateCommand, specHash }),
      runtimeImportSpecifier: settings.runtimeImportSpecifier,
      roots,
      existing: existingFiles,
      readInput: (path) => {
        const outcome = readSpecText(resolve(io.cwd, path));
        return outcome.ok ? outcome.text : undefined;
      },
    });
  if (confirmed === false || !confirmed.upToDate) return false;
  io.stdout(`${settings.outForUser}: ${confirmed.fileCount} generated file(s) up to date (signed headers match this compiler and the specs)\n`);
  return true;
}

async function generateFiles(
  settings: CompileSettings,
  roots: readonly SourceText[],
  generator: string | undefined,
  formatWorkers: FormatWorkerPool | undefined,
  io: CliIo,
): Promise<number> {
  const { outDirectory, outForUser, regenerateCommand, checkOnly } = settings;
  // The front end (building the chevrotain parser) and the back end (ts-morph, prettier) load
  // only now, so that usage and I/O errors answer immediately.
  const [{ compileSources }, { renderHuman }] = await Promise.all([import("../../pipeline/compile.js"), import("../../diagnostics/render-human.js")]);
  const result = await compileSources(roots, createImportLoader(io.cwd), {
    runtimeImportSpecifier: settings.runtimeImportSpecifier,
    regenerateCommand,
    ...(generator === undefined ? {} : { generator }),
    ...(formatWorkers === undefined ? {} : { formatWorkers }),
  });
  const rendered = renderHuman(result.diagnostics, result.value.sources, { colour: false });
  if (rendered !== "") io.stderr(rendered);
  if (hasErrors(result.diagnostics)) {
    io.stderr(`proto-desc compile: no files written (${result.diagnostics.filter((diagnostic) => diagnostic.severity === "error").length} error(s))\n`);
    return ExitCode.findings;
  }
  const files = result.value.files;

  let existing: ExistingFile[];
  try {
    existing = readExistingGeneratedDirectory(outDirectory);
  } catch {
    throw new CliUsageError(`compile: cannot read output directory '${outForUser}'`);
  }
  const drift = compareGeneratedFiles(files, existing);
  if (checkOnly) {
    if (!hasDrift(drift)) {
      const resigned = drift.resigned.length === 0 ? "" : ` (${drift.resigned.length} signed by another compiler version; \`compile\` re-signs them)`;
      io.stdout(`${outForUser}: ${files.length} generated file(s) up to date${resigned}\n`);
      return ExitCode.ok;
    }
    for (const path of drift.modified) io.stdout(`modified: ${outForUser}/${path}\n`);
    for (const path of drift.missing) io.stdout(`missing:  ${outForUser}/${path}\n`);
    for (const path of drift.orphaned) io.stdout(`orphaned: ${outForUser}/${path}\n`);
    io.stdout(`run: ${regenerateCommand}\n`);
    return ExitCode.findings;
  }
  const changed = new Set([...drift.modified, ...drift.missing, ...drift.resigned]);
  try {
    mkdirSync(outDirectory, { recursive: true });
    for (const file of files) if (changed.has(file.path)) writeFileSync(resolve(outDirectory, file.path), file.text);
    for (const path of drift.orphaned) rmSync(resolve(outDirectory, path));
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : "write failed";
    throw new CliUsageError(`compile: cannot write to '${outForUser}' (${reason})`);
  }
  io.stdout(`${outForUser}: ${files.length} file(s) generated, ${changed.size} written, ${drift.orphaned.length} orphan(s) removed\n`);
  return ExitCode.ok;
}
