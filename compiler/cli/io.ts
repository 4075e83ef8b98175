// The console side of the CLI as an interface, so commands are testable in-process and
// only this folder touches process streams.

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stdout is a terminal (colour is used only then). */
  readonly stdoutIsTty: boolean;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdoutIsTty: process.stdout.isTTY === true,
    cwd: process.cwd(),
    env: process.env,
  };
}

/** Exit codes shared by every command (DESIGN.md §7). */
export const ExitCode = {
  ok: 0,
  findings: 1,
  usageOrIo: 2,
} as const;

/** Thrown by argument parsing and file loading; main.ts prints its one-line message and exits 2. */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
}
