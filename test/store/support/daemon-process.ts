// Starts `proto-desc store` as a real child process (the compiled binary, as a user runs it)
// and waits until it listens; tests stop it by signal or kill -9 through its pid.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryPath, repositoryRoot } from "../../support/run-cli.js";

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly socketPath: string;
  /** Everything the daemon wrote to stderr so far. */
  stderr(): string;
  /** Sends a signal by pid and resolves with the exit code (or the signal name). */
  stop(signal: NodeJS.Signals): Promise<number | string>;
}

/** A fresh temporary directory for a test's socket and journal; remove it with removeScratchDirectory. */
export function createScratchDirectory(): string {
  return mkdtempSync(join(tmpdir(), "pd-store-"));
}

export function removeScratchDirectory(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

export async function startDaemonProcess(socketPath: string, extraArguments: readonly string[] = []): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [binaryPath, "store", "--socket", socketPath, ...extraArguments], {
    cwd: repositoryRoot,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderrText = "";
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      stderrText += chunk.toString("utf8");
      if (stderrText.includes("listening on")) {
        resolve();
      }
    };
    child.stderr?.on("data", onData);
    void exited.then((code) => reject(new Error(`the store daemon exited (${String(code)}) before listening: ${stderrText}`)));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("the store daemon has no pid");
  return {
    child,
    pid,
    socketPath,
    stderr: () => stderrText,
    stop: (signal) => {
      process.kill(pid, signal);
      return exited;
    },
  };
}
