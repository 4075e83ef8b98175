// Computes the identity `compile` signs generated files with: the CLI version and a fingerprint
// of everything that can change the output — every compiled compiler module this CLI runs
// (dist/compiler, read from disk) and the versions of the printer and formatter it loads.
// Any edit to the compiler, however small, changes the fingerprint, so a file signed by an
// older compiler is never confirmed by `--check` without regenerating it. Compiled modules
// whose source file is gone (left behind in dist/ by a rename) are skipped, so a clean build
// and an incremental one agree.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { cliVersion } from "./version.js";

/** The packages whose code shapes the generated text besides the compiler itself. */
const outputShapingPackages = ["ts-morph", "@ts-morph/common", "prettier"] as const;

function listModuleFiles(directory: string, extension: string, found: string[]): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) listModuleFiles(path, extension, found);
    else if (entry.isFile() && entry.name.endsWith(extension) && !entry.name.endsWith(".d.ts")) found.push(path);
  }
}

/** Where the running compiler's modules are: compiled (`.js` in dist/, sources beside) or run from source (`.ts`, under vitest). */
export interface CompilerModules {
  readonly directory: string;
  readonly extension: ".js" | ".ts";
  /** For compiled modules: the source folder, so that compiled files whose source is gone are skipped. */
  readonly sourceDirectory?: string;
}

/**
 * sha256 (first 16 hex digits) over the compiler modules (sorted relative paths and contents)
 * and the named package versions. Exported for tests.
 */
export function fingerprintCompiler(modules: CompilerModules, packageVersions: readonly string[]): string {
  const files: string[] = [];
  listModuleFiles(modules.directory, modules.extension, files);
  const hash = createHash("sha256");
  for (const version of packageVersions) hash.update(`${version}\0`);
  const sourceDirectory = modules.sourceDirectory !== undefined && existsSync(modules.sourceDirectory) ? modules.sourceDirectory : undefined;
  const relativePaths = files
    .map((file) => relative(modules.directory, file).split(sep).join("/"))
    .filter((relativePath) => sourceDirectory === undefined || existsSync(join(sourceDirectory, relativePath.replace(/\.js$/, ".ts"))))
    .sort();
  for (const relativePath of relativePaths) {
    const content = readFileSync(join(modules.directory, relativePath));
    hash.update(`${relativePath}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex").slice(0, 16);
}

function readPackageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version?: unknown };
  return `${name}@${String(manifest.version)}`;
}

/**
 * "proto-desc 0.1.0 codegen 1f3e5d7c9b0a2468" for the running CLI, or undefined when the
 * compiler or a package cannot be read (then files are signed as unfingerprinted and the
 * `--check` fast path is never taken).
 */
export function identifyGenerator(): string | undefined {
  try {
    // Compiled, this module is dist/compiler/cli/generator-fingerprint.js and the sources are
    // compiler/ at the package root; run from source, it is compiler/cli/generator-fingerprint.ts.
    const modulePath = fileURLToPath(import.meta.url);
    const directory = join(dirname(modulePath), "..");
    const modules: CompilerModules = modulePath.endsWith(".ts")
      ? { directory, extension: ".ts" }
      : { directory, extension: ".js", sourceDirectory: join(directory, "../../compiler") };
    const versions = outputShapingPackages.map(readPackageVersion);
    return `proto-desc ${cliVersion} codegen ${fingerprintCompiler(modules, versions)}`;
  } catch {
    return undefined;
  }
}
