// `proto-desc check` through the real binary: exit codes, pretty/JSON/SARIF output, bad
// arguments, one-line I/O errors (PD9001 missing, PD9002 unreadable, PD9003 not UTF-8, PD9004
// no specs in a directory), and that checking loads neither ts-morph nor prettier.
import { chmodSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBinaryConcurrently as runBinary } from "../support/run-cli-async.js";

let workspace = "";

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), "proto-desc-check-"));
  writeFileSync(join(workspace, "good.proto-desc"), "protocol good version 1 { roles frontend, backend; }\n");
  writeFileSync(join(workspace, "bad.proto-desc"), "protocol bad version 1 {\n  roles frontend backend;\n  const A = 1 +;\n}\n");
  writeFileSync(join(workspace, "latin1.proto-desc"), Buffer.from([0x70, 0x72, 0x6f, 0xe9, 0x0a]));
  writeFileSync(join(workspace, "unreadable.proto-desc"), "protocol u version 1 {}\n");
  chmodSync(join(workspace, "unreadable.proto-desc"), 0o000);
  symlinkSync("loop.proto-desc", join(workspace, "loop.proto-desc"));
  mkdirSync(join(workspace, "empty"));
  writeFileSync(join(workspace, "empty", "notes.txt"), "no specs here\n");
  mkdirSync(join(workspace, "tree", "nested"), { recursive: true });
  writeFileSync(join(workspace, "tree", "a.proto-desc"), "protocol a version 1 { roles x, y; }\n");
  writeFileSync(join(workspace, "tree", "nested", "b.proto-desc"), "protocol b version 1 { roles x, y; }\n/// dangling\n");
});

afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
});

const runningAsRoot = process.getuid?.() === 0;

// Every test spawns its own process and only reads the shared workspace, so they run concurrently.
describe.concurrent("proto-desc check", () => {
  it("exits 0 on the bundled protocols and loads neither ts-morph nor prettier", async () => {
    const run = await runBinary(["check", "protocols"], { env: { NODE_OPTIONS: "--import=./test/support/forbid-code-generators.mjs" } });
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^checked \d+ files: no problems\n$/);
    expect(run.status).toBe(0);
  });

  it("the forbidding hook really fails on ts-morph (control for the test above)", async () => {
    const control = await runBinary(["check", "protocols"], {
      env: { NODE_OPTIONS: "--import=./test/support/forbid-code-generators.mjs --import=ts-morph" },
    });
    expect(control.status).not.toBe(0);
    expect(control.stderr).toContain("forbidden module loaded: ts-morph");
  });

  it("exits 1 and prints every error with a code frame", async () => {
    const run = await runBinary(["check", "bad.proto-desc"], { cwd: workspace });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe(
      [
        "bad.proto-desc:2:18: error[PD1101]: expected ';' but found 'backend' in 'roles'",
        "  2 |   roles frontend backend;",
        "    |                  ^^^^^^^",
        "",
        "bad.proto-desc:3:16: error[PD1102]: expected an expression but found ';'",
        "  3 |   const A = 1 +;",
        "    |                ^",
        "",
        "checked 1 file: 2 errors",
        "",
      ].join("\n"),
    );
  });

  it("searches directories recursively, and exits 0 when there are only warnings", async () => {
    const run = await runBinary(["check", "tree", "--format", "json"], { cwd: workspace });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { files: string[]; diagnostics: { code: string; severity: string; span: { file: string } }[] };
    expect(report.files).toEqual(["tree/a.proto-desc", "tree/nested/b.proto-desc"]);
    expect(report.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.severity, diagnostic.span.file])).toEqual([["PD1301", "warning", "tree/nested/b.proto-desc"]]);
  });

  it("writes JSON with ranges and a summary", async () => {
    const run = await runBinary(["check", "--format=json", "bad.proto-desc", "good.proto-desc"], { cwd: workspace });
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { summary: { errors: number }; diagnostics: { code: string; span: { range: { start: { line: number } } } }[] };
    expect(report.summary.errors).toBe(2);
    expect(report.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.span.range.start.line])).toEqual([
      ["PD1101", 2],
      ["PD1102", 3],
    ]);
  });

  it("writes SARIF 2.1.0", async () => {
    const run = await runBinary(["check", "bad.proto-desc", "--format", "sarif"], { cwd: workspace });
    expect(run.status).toBe(1);
    const log = JSON.parse(run.stdout) as { version: string; runs: { tool: { driver: { name: string } }; results: { ruleId: string }[] }[] };
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0]?.tool.driver.name).toBe("proto-desc");
    expect(log.runs[0]?.results.map((result) => result.ruleId)).toEqual(["PD1101", "PD1102"]);
  });

  it.each([
    [["check"], "proto-desc check: expected at least one file or directory (see `proto-desc check --help`)\n"],
    [["check", "--format", "xml", "x"], "proto-desc check: option '--format' must be one of pretty, json, sarif (got 'xml')\n"],
    [["check", "--frobnicate", "x"], "proto-desc check: unknown option '--frobnicate'\n"],
    [["check", "--format"], "proto-desc check: option '--format' needs a value\n"],
  ])("exits 2 with a one-line usage error for %j", async (args, message) => {
    const run = await runBinary(args, { cwd: workspace });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(message);
    expect(run.stdout).toBe("");
  });

  it("prints its help and exits 0", async () => {
    const run = await runBinary(["check", "--help"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: proto-desc check/);
  });

  it.each([
    [["missing.proto-desc"], "proto-desc check: cannot read 'missing.proto-desc': no such file or directory (PD9001)\n"],
    [["latin1.proto-desc"], "proto-desc check: cannot read 'latin1.proto-desc': not valid UTF-8 (PD9003)\n"],
    [["empty"], "proto-desc check: no .proto-desc files in directory 'empty' (PD9004)\n"],
  ])("exits 2 with a one-line I/O error for %j", async (args, message) => {
    const run = await runBinary(["check", ...args], { cwd: workspace });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(message);
  });

  it.skipIf(runningAsRoot)("exits 2 with a one-line error for an unreadable file (PD9002)", async () => {
    const run = await runBinary(["check", "unreadable.proto-desc"], { cwd: workspace });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("proto-desc check: cannot read 'unreadable.proto-desc': permission denied (PD9002)\n");
  });

  it("exits 2 with a one-line error for a path that cannot be read even as root (PD9002)", async () => {
    const run = await runBinary(["check", "loop.proto-desc"], { cwd: workspace });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("proto-desc check: cannot read 'loop.proto-desc': too many levels of symbolic links (PD9002)\n");
  });
});
