// A reader that closes the pipe early (`proto-desc demo | head -1`) must not turn into an
// uncaught EPIPE with a stack trace: the command drops the rest of its output, finishes its
// work (stopping its store daemon) and exits with its own status.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binaryPath, repositoryRoot } from "../support/run-cli.js";

function runThroughHead(args: readonly string[]): { status: number; stderr: string; firstLine: string } {
  // The shell's `head -1` exits after one line, closing the pipe while proto-desc still writes.
  const command = `set -o pipefail; "${process.execPath}" "${binaryPath}" ${args.join(" ")} 2>"$ERRFILE" | head -1; echo "status=$?"; cat "$ERRFILE"`;
  const errorFile = join(tmpdir(), `proto-desc-closed-pipe-stderr-${process.pid}`);
  const result = spawnSync("bash", ["-c", command], {
    cwd: repositoryRoot,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ERRFILE: errorFile },
    timeout: 60_000,
  });
  rmSync(errorFile, { force: true });
  const lines = result.stdout.split("\n");
  const statusLine = lines.find((line) => line.startsWith("status=")) ?? "status=-1";
  const statusIndex = lines.indexOf(statusLine);
  return {
    firstLine: lines[0] ?? "",
    status: Number(statusLine.slice("status=".length)),
    stderr: lines.slice(statusIndex + 1).join("\n"),
  };
}

describe("output into a pipe that closes early", () => {
  it("the demo exits 0 without a stack trace when its reader stops after one line", () => {
    const run = runThroughHead(["demo"]);
    expect(run.firstLine).toMatch(/setup\s+host/);
    expect(run.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(run.status).toBe(0);
  });

  it("layout output cut short by the reader still exits 0", () => {
    const run = runThroughHead(["layout", "protocols/blkif.proto-desc"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});
