// The one entry point of `npm run generate`: runs every generator (each in its own module,
// returning its files) and writes what they produce under the repository root, reporting
// which files changed. Add a generator by adding one line to `generators`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateDiagnosticsPage } from "./generate-diagnostics-page.js";
import type { GeneratedFile } from "./generated-file.js";

const generators: readonly (() => GeneratedFile | readonly GeneratedFile[])[] = [generateDiagnosticsPage];

/** The nearest directory above this module that holds package.json (works from dist/ too). */
function findRepositoryRoot(start: string): string {
  let directory = start;
  while (!existsSync(join(directory, "package.json"))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${start}`);
    directory = parent;
  }
  return directory;
}

function writeIfChanged(root: string, file: GeneratedFile): boolean {
  const target = resolve(root, file.path);
  const previous = existsSync(target) ? readFileSync(target, "utf8") : undefined;
  if (previous === file.contents) return false;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.contents, "utf8");
  return true;
}

function main(): number {
  try {
    const root = findRepositoryRoot(dirname(fileURLToPath(import.meta.url)));
    for (const generator of generators) {
      const produced = generator();
      for (const file of Array.isArray(produced) ? produced : [produced as GeneratedFile]) {
        process.stdout.write(`${writeIfChanged(root, file) ? "wrote    " : "unchanged"} ${file.path}\n`);
      }
    }
    return 0;
  } catch (error) {
    process.stderr.write(`generate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

process.exitCode = main();
