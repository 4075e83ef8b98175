// Runs the real `proto-desc` binary without blocking the test worker, so independent CLI
// tests can run concurrently (each spawn spends most of its time starting node).
import { spawn } from "node:child_process";
import { binaryPath, repositoryRoot, type CliRun } from "./run-cli.js";

export function runBinaryConcurrently(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binaryPath, ...args], {
      cwd: options.cwd ?? repositoryRoot,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}
