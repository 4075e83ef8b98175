import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { printStructure, StructureKind, type SourceFileStructure } from "ts-morph";
import { createImportLoader } from "../../compiler/cli/load-specs.js";
import { buildProtocolModuleStructure } from "../../compiler/codegen/emit-protocol-module.js";
import { formatTypeScript } from "../../compiler/codegen/format.js";
import { formatModuleStructure } from "../../compiler/codegen/format-module.js";
import { FormatWorkerPool } from "../../compiler/codegen/format-worker-pool.js";
import { formatSpecHashConstant } from "../../compiler/codegen/header.js";
import { joinFormattedStatementChunks, printModuleInStatementChunks } from "../../compiler/codegen/print-statement-chunks.js";
import type { IrProtocol } from "../../compiler/ir/protocol.js";
import { lowerToIr } from "../../compiler/ir/lower.js";
import { checkSources } from "../../compiler/pipeline/check.js";
import { goldenFixtureNames } from "./golden-fixtures.js";
import { repositoryRoot } from "../support/run-cli.js";

// The oracle is prettier on the whole printed module (what the generator did before chunking):
// formatting statement runs separately, on this thread or the worker's, must give the same bytes.

function structureOf(protocol: IrProtocol): SourceFileStructure {
  return buildProtocolModuleStructure(protocol, "../../runtime/gen/v1.js", formatSpecHashConstant("0".repeat(64)));
}

function lowerShippedProtocol(name: string): IrProtocol {
  const path = `protocols/${name}.proto-desc`;
  const checked = checkSources([{ path, text: readFileSync(`${repositoryRoot}${path}`, "utf8") }], createImportLoader(repositoryRoot));
  const model = checked.value.model;
  if (model === undefined) throw new Error(`${path} did not analyze`);
  const protocol = lowerToIr(model, checked.value.sources).value.find((candidate) => candidate.name === name);
  if (protocol === undefined) throw new Error(`${path} did not lower ${name}`);
  return protocol;
}

async function loadModules(): Promise<{ name: string; structure: SourceFileStructure }[]> {
  const shipped = ["blkif", "netif", "console", "xenstore"].map((name) => ({ name, structure: structureOf(lowerShippedProtocol(name)) }));
  const golden: { name: string; structure: SourceFileStructure }[] = [];
  for (const fixtureName of goldenFixtureNames) {
    const input = (await import(new URL(`./golden/${fixtureName}/input.ts`, import.meta.url).href)) as { protocol: IrProtocol };
    golden.push({ name: `golden ${fixtureName}`, structure: structureOf(input.protocol) });
  }
  return [...shipped, ...golden];
}

async function formatChunksHere(structure: SourceFileStructure, chunkCount: number): Promise<string | undefined> {
  const chunks = printModuleInStatementChunks(structure, chunkCount).chunks;
  if (chunks === undefined) return undefined;
  const formatted: string[] = [];
  for (const chunk of chunks) formatted.push(await formatTypeScript(chunk.text));
  return joinFormattedStatementChunks(formatted, chunks);
}

const modulesLoaded = loadModules();
const wholeFormatted = new Map<string, string>();
async function formatWhole(name: string, structure: SourceFileStructure): Promise<string> {
  const known = wholeFormatted.get(name);
  if (known !== undefined) return known;
  const formatted = await formatTypeScript(printStructure(structure, { newLine: "\n" }));
  wholeFormatted.set(name, formatted);
  return formatted;
}

describe("formatting a generated module in statement chunks", () => {
  // Cutting before every statement is the strictest cut; it is tried on the smaller modules only,
  // to keep the test fast (the large ones are cut where two threads cut them).
  it("gives the bytes of whole-module formatting for every shipped protocol and golden fixture, cut in 2, 5 or before every statement", { timeout: 120_000 }, async () => {
    for (const { name, structure } of await modulesLoaded) {
      const whole = await formatWhole(name, structure);
      const statementCount = Array.isArray(structure.statements) ? structure.statements.length : 0;
      expect(statementCount, name).toBeGreaterThan(3);
      for (const chunkCount of statementCount <= 40 ? [2, 5, statementCount] : [2]) {
        expect(await formatChunksHere(structure, chunkCount), `${name} in ${chunkCount} chunks`).toBe(whole);
      }
    }
  });

  it("cuts the printed text into contiguous runs of about equal size, between statements", async () => {
    const blkif = (await modulesLoaded).find((module) => module.name === "blkif");
    if (blkif === undefined) throw new Error("blkif missing");
    const printed = printModuleInStatementChunks(blkif.structure, 2);
    const [first, second] = printed.chunks ?? [];
    if (first === undefined || second === undefined) throw new Error("blkif was not cut");
    expect(printed.text.indexOf(first.text)).toBe(0);
    expect(printed.text.trimEnd().endsWith(second.text)).toBe(true);
    expect(printed.text.slice(first.text.length, printed.text.trimEnd().length - second.text.length).trim()).toBe("");
    const share = first.text.length / (first.text.length + second.text.length);
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    expect(first.blankLineBefore).toBe(false);
  });

  it("does not cut a module it cannot cut exactly: too few statements, too short, trivia, or a statement that prints differently alone", () => {
    const two: SourceFileStructure = { kind: StructureKind.SourceFile, statements: ["const a = 1;", "const b = 2;"] };
    expect(printModuleInStatementChunks(two, 3).chunks).toBeUndefined();
    expect(printModuleInStatementChunks(two, 2, 1000).chunks).toBeUndefined();
    expect(printModuleInStatementChunks(two, 2).chunks?.map((chunk) => chunk.text)).toEqual(["const a = 1;", "const b = 2;"]);
    expect(printModuleInStatementChunks({ ...two, leadingTrivia: "// a comment" }, 2).chunks).toBeUndefined();
    expect(printModuleInStatementChunks({ kind: StructureKind.SourceFile, statements: "const a = 1;\nconst b = 2;" }, 2).chunks).toBeUndefined();
    let calls = 0;
    const changing: SourceFileStructure = {
      kind: StructureKind.SourceFile,
      statements: ["const a = 1;", (writer) => void writer.write(calls++ === 0 ? "const first = 1;" : "const later = 2;"), "const c = 3;"],
    };
    const printed = printModuleInStatementChunks(changing, 2);
    expect(printed.text).toContain("const first = 1;");
    expect(printed.chunks).toBeUndefined();
  });

  it("keeps a blank line at a cut where the printed module had one, and none where it had none", async () => {
    const structure: SourceFileStructure = { kind: StructureKind.SourceFile, statements: ["const a = 1;", "\nconst b = 2;", "const c = 3;"] };
    const printed = printModuleInStatementChunks(structure, 3);
    expect(printed.text).toBe("const a = 1;\n\nconst b = 2;\nconst c = 3;\n");
    expect(printed.chunks?.map((chunk) => chunk.blankLineBefore)).toEqual([false, true, false]);
    expect(await formatChunksHere(structure, 3)).toBe(await formatTypeScript(printed.text));
  });
});

describe("formatting on the worker thread", () => {
  const pool = FormatWorkerPool.start();
  afterAll(() => pool.close());

  // Each test file has its own module graph, and the chunk tests above call prettier directly,
  // so this thread is still cold for formatModuleStructure here: the worker formats whole modules
  // until this thread has formatted one.
  it("formats whole modules on the worker while this thread is cold, then half on each thread, always the same bytes", { timeout: 120_000 }, async () => {
    expect(await pool.ready).toBe(true);
    const modules = await modulesLoaded;
    const blkif = modules.find((module) => module.name === "blkif");
    if (blkif === undefined) throw new Error("blkif missing");
    const blkifLength = printStructure(blkif.structure, { newLine: "\n" }).length;
    const whole = await formatWhole(blkif.name, blkif.structure);
    expect(await formatModuleStructure(blkif.structure, pool)).toBe(whole);
    expect(pool.statistics).toEqual({ requests: 1, characters: blkifLength });
    expect(await formatModuleStructure(blkif.structure, undefined)).toBe(whole);
    expect(pool.statistics.requests).toBe(1);
    expect(await formatModuleStructure(blkif.structure, pool)).toBe(whole);
    const workerShare = (pool.statistics.characters - blkifLength) / blkifLength;
    expect(workerShare).toBeGreaterThan(0.4);
    expect(workerShare).toBeLessThan(0.6);
    for (const { name, structure } of modules.filter((module) => module !== blkif)) {
      expect(await formatModuleStructure(structure, pool), name).toBe(await formatWhole(name, structure));
    }
    expect(pool.available).toBe(true);
  });

  it("reports a text prettier rejects as a failed formatting, and keeps working", async () => {
    await expect(pool.formatTexts(["export const = ;"])).rejects.toThrow(/^formatting the generated code failed: /);
    expect(await pool.formatTexts(["export const  a=1"])).toEqual(["export const a = 1;\n"]);
  });

  it("answers undefined once closed, so callers format on their own thread", async () => {
    const closing = FormatWorkerPool.start();
    expect(await closing.ready).toBe(true);
    await closing.close();
    expect(closing.available).toBe(false);
    expect(await closing.formatTexts(["const a = 1;"])).toBeUndefined();
  });

  it("falls back to this thread when the worker entry is missing or fails to load", async () => {
    const blkif = (await modulesLoaded).find((module) => module.name === "blkif");
    if (blkif === undefined) throw new Error("blkif missing");
    const whole = await formatWhole(blkif.name, blkif.structure);
    const missing = FormatWorkerPool.start({ workerEntryUrl: new URL("./no-such-format-worker.js", `file://${repositoryRoot}dist/`) });
    expect(missing.available).toBe(false);
    expect(await missing.ready).toBe(false);
    expect(await formatModuleStructure(blkif.structure, missing)).toBe(whole);
    const failing = FormatWorkerPool.start({ workerEntryUrl: new URL("dist/test/support/format-worker-failing-to-start.js", `file://${repositoryRoot}`) });
    const answer = failing.formatTexts(["const a = 1;"]);
    expect(await answer).toBeUndefined();
    expect(await failing.ready).toBe(false);
    expect(await formatModuleStructure(blkif.structure, failing)).toBe(whole);
    await Promise.all([missing.close(), failing.close()]);
  });

  it("rejects the work in flight with one line when the worker exits after it started, instead of hanging", async () => {
    const exiting = FormatWorkerPool.start({ workerEntryUrl: new URL("dist/test/support/format-worker-exiting-on-request.js", `file://${repositoryRoot}`) });
    expect(await exiting.ready).toBe(true);
    await expect(exiting.formatTexts(["const a = 1;"])).rejects.toThrow(/^the formatting worker thread exited with code 3$/);
    expect(exiting.available).toBe(false);
    await exiting.close();
  });
});

describe("the formatting worker's lifetime", () => {
  it("does not keep a process alive once idle, even if never closed, and does not inherit the process's Node flags", () => {
    const poolModule = new URL("dist/compiler/codegen/format-worker-pool.js", `file://${repositoryRoot}`).href;
    const script = `const { FormatWorkerPool } = await import(${JSON.stringify(poolModule)});
const pool = FormatWorkerPool.start();
const [formatted] = (await pool.formatTexts(["const  a=1"])) ?? [];
process.stdout.write(String(await pool.ready) + " " + JSON.stringify(formatted));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(child.stderr).toBe("");
    expect(child.stdout).toBe('true "const a = 1;\\n"');
    expect(child.status).toBe(0);
  });
});
