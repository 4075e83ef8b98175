import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { run } from "../../compiler/cli/commands/compile.js";
import { runCli } from "../../compiler/cli/main.js";
import { FormatWorkerPool } from "../../compiler/codegen/format-worker-pool.js";
import type { CliIo } from "../../compiler/cli/io.js";
import { CliUsageError } from "../../compiler/cli/io.js";
import { repositoryRoot, runBinary } from "../support/run-cli.js";

// Usage errors go through the real binary (they return before the front end loads). The
// compile runs call the command in-process: building the chevrotain parser costs seconds per
// process on this machine, so one process serves all of them.
describe("proto-desc compile: usage errors through the binary", () => {
  it("exits 2 with one line when --out or the specs are missing, or an option is unknown", () => {
    const noOut = runBinary(["compile", "a.proto-desc"]);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toBe("proto-desc compile: option '--out DIR' is required\n");
    const noSpec = runBinary(["compile", "--out", "gen"]);
    expect(noSpec.status).toBe(2);
    expect(noSpec.stderr).toBe("proto-desc compile: name at least one .proto-desc spec\n");
    const unknownFlag = runBinary(["compile", "--frobnicate"]);
    expect(unknownFlag.status).toBe(2);
    expect(unknownFlag.stderr).toBe("proto-desc compile: unknown option '--frobnicate'\n");
  });

  it("exits 2 with one line for a --jobs value other than 1 or 2", () => {
    const three = runBinary(["compile", "a.proto-desc", "--out", "gen", "--jobs", "3"]);
    expect(three.status).toBe(2);
    expect(three.stderr).toBe("proto-desc compile: option '--jobs' must be one of 1, 2 (got '3')\n");
    const none = runBinary(["compile", "a.proto-desc", "--out", "gen", "--jobs"]);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe("proto-desc compile: option '--jobs' needs a value\n");
  });
});

describe("proto-desc compile: generating and checking", () => {
  const workspace = mkdtempSync(join(tmpdir(), "proto-desc-compile-"));
  mkdirSync(join(workspace, "specs"));
  cpSync(join(repositoryRoot, "test/codegen/specs/block-mini.proto-desc"), join(workspace, "specs/block-mini.proto-desc"));
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  async function compile(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), stdoutIsTty: false, cwd: workspace, env: {} };
    try {
      return { status: await run(args, io), stdout, stderr };
    } catch (error) {
      if (error instanceof CliUsageError) return { status: 2, stdout, stderr: `${stderr}proto-desc ${error.message}\n` };
      throw error;
    }
  }
  const runtime = ["--runtime-import", "proto-desc/runtime/gen/v1"];

  // The first compile builds the parser (seconds on a loaded machine), hence the longer timeout.
  it("writes one module per protocol with a relative regenerate command, then --check finds it current", { timeout: 180_000 }, async () => {
    const written = await compile("specs/block-mini.proto-desc", "--out", "gen", ...runtime);
    expect(written.stderr).toBe("");
    expect(written.status).toBe(0);
    expect(readdirSync(join(workspace, "gen"))).toEqual(["blockmini.ts"]);
    const text = readFileSync(join(workspace, "gen/blockmini.ts"), "utf8");
    expect(text.split("\n")[1]).toBe("// Regenerate with: npx proto-desc compile specs/block-mini.proto-desc --out gen --runtime-import proto-desc/runtime/gen/v1");
    expect(text).not.toContain(workspace);
    expect(text).toContain('from "proto-desc/runtime/gen/v1";');
    const checked = await compile("specs/block-mini.proto-desc", "--out", "gen", ...runtime, "--check");
    expect(checked.status).toBe(0);
    expect(checked.stdout).toBe("gen: 1 generated file(s) up to date (signed headers match this compiler and the specs)\n");
  });

  it("prints a PD6006 warning for netif's rx exchange, still writes the module, and exits 0", { timeout: 180_000 }, async () => {
    cpSync(join(repositoryRoot, "protocols/netif.proto-desc"), join(workspace, "specs/netif.proto-desc"));
    const written = await compile("specs/netif.proto-desc", "--out", "gen-netif", ...runtime);
    expect(written.status).toBe(0);
    expect(written.stderr).toMatch(/^specs\/netif\.proto-desc:\d+:3: warning\[PD6006\]: exchange rx of protocol netif gets no typed stubs: the split-connection runtime drives one ring per connection, and the stubs carry exchange tx\n/);
    expect(written.stderr).not.toContain("error");
    expect(readdirSync(join(workspace, "gen-netif"))).toEqual(["netif.ts"]);
  });

  it("--check writes nothing and exits 1 listing modified, missing and orphaned files; compile repairs them", async () => {
    const generated = join(workspace, "gen/blockmini.ts");
    writeFileSync(generated, readFileSync(generated, "utf8") + "// edited\n");
    writeFileSync(join(workspace, "gen/old.ts"), "// Code generated by proto-desc from old.proto-desc. DO NOT EDIT.\n");
    writeFileSync(join(workspace, "gen/handwritten.ts"), "export const kept = 1;\n");
    const checked = await compile("specs/block-mini.proto-desc", "--out", "gen", ...runtime, "--check");
    expect(checked.status).toBe(1);
    expect(checked.stdout).toContain("modified: gen/blockmini.ts");
    expect(checked.stdout).toContain("orphaned: gen/old.ts");
    expect(checked.stdout).not.toContain("handwritten");
    expect(readFileSync(generated, "utf8").endsWith("// edited\n")).toBe(true);
    const missing = await compile("specs/block-mini.proto-desc", "--out", "elsewhere", "--check");
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain("missing:  elsewhere/blockmini.ts");
    const rewritten = await compile("specs/block-mini.proto-desc", "--out", "gen", ...runtime);
    expect(rewritten.status).toBe(0);
    expect(readdirSync(join(workspace, "gen")).sort()).toEqual(["blockmini.ts", "handwritten.ts"]);
  });

  it("writes the same bytes with --jobs 1 and 2, and starts the formatting worker only for full generation with two jobs (one is the default)", async () => {
    const starts = vi.spyOn(FormatWorkerPool, "start");
    try {
      const oneThread = await compile("specs/block-mini.proto-desc", "--out", "gen-jobs", ...runtime, "--jobs", "1");
      expect(oneThread.status).toBe(0);
      expect(starts).not.toHaveBeenCalled();
      const oneThreadText = readFileSync(join(workspace, "gen-jobs/blockmini.ts"), "utf8");
      rmSync(join(workspace, "gen-jobs"), { recursive: true });
      const twoThreads = await compile("specs/block-mini.proto-desc", "--out", "gen-jobs", ...runtime, "--jobs", "2");
      expect(twoThreads.status).toBe(0);
      expect(starts).toHaveBeenCalledTimes(1);
      expect(readFileSync(join(workspace, "gen-jobs/blockmini.ts"), "utf8")).toBe(oneThreadText);
      const checked = await compile("specs/block-mini.proto-desc", "--out", "gen-jobs", ...runtime, "--check");
      expect(checked.stdout).toContain("signed headers match");
      expect(starts).toHaveBeenCalledTimes(1);
      rmSync(join(workspace, "gen-jobs"), { recursive: true });
      const byDefault = await compile("specs/block-mini.proto-desc", "--out", "gen-jobs", ...runtime);
      expect(byDefault.status).toBe(0);
      expect(starts).toHaveBeenCalledTimes(1);
      expect(readFileSync(join(workspace, "gen-jobs/blockmini.ts"), "utf8")).toBe(oneThreadText);
    } finally {
      starts.mockRestore();
    }
  });

  it("turns a formatting worker that fails mid-compile into one line and exit 2, writing nothing", async () => {
    const failure = vi.spyOn(FormatWorkerPool.prototype, "formatTexts").mockRejectedValue(new Error("the formatting worker thread exited with code 3"));
    try {
      let stderr = "";
      const io: CliIo = { stdout: () => undefined, stderr: (text) => (stderr += text), stdoutIsTty: false, cwd: workspace, env: {} };
      const status = await runCli(["compile", "specs/block-mini.proto-desc", "--out", "gen-failed-worker", ...runtime, "--jobs", "2"], io);
      expect(status).toBe(2);
      expect(stderr).toBe("proto-desc: internal error in 'compile': the formatting worker thread exited with code 3 (please report this)\n");
      expect(() => readdirSync(join(workspace, "gen-failed-worker"))).toThrow();
    } finally {
      failure.mockRestore();
    }
  });

  it("reports diagnostics with file:line:col and writes no file for a spec with errors", async () => {
    writeFileSync(join(workspace, "specs/broken.proto-desc"), "protocol broken version 1 {\n  roles frontend, backend;\n  struct S { a: u9; }\n}\n");
    const result = await compile("specs/broken.proto-desc", "--out", "broken-out");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^specs\/broken\.proto-desc:3:\d+: error\[PD\d{4}\]: /);
    expect(result.stderr).toContain("no files written");
    expect(() => readdirSync(join(workspace, "broken-out"))).toThrow();
  });

  it("reports an unreadable spec as a one-line I/O error", async () => {
    const unreadable = await compile("specs/absent.proto-desc", "--out", "gen");
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toBe("proto-desc compile: cannot read 'specs/absent.proto-desc': no such file or directory (PD9001)\n");
  });
});
