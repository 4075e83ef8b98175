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
    stdout: writerThatStopsAtClosedPipe(process.stdout),
    stderr: writerThatStopsAtClosedPipe(process.stderr),
    stdoutIsTty: process.stdout.isTTY === true,
    cwd: process.cwd(),
    env: process.env,
  };
}

/**
 * Writes to a process stream until its reader goes away. When the reader closes the pipe early
 * (`proto-desc demo | head`), the stream reports EPIPE asynchronously; without a listener Node
 * turns that into an uncaught exception with a stack trace. Output after that point has nowhere
 * to go, so it is dropped and the command finishes normally (cleaning up its daemon and files);
 * any other stream error is reported once on stderr.
 */
function writerThatStopsAtClosedPipe(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (closed) return;
    closed = true;
    if (error.code !== "EPIPE" && stream !== process.stderr) {
      process.stderr.write(`proto-desc: cannot write output: ${error.message}\n`);
    }
  });
  return (text) => {
    if (!closed) stream.write(text);
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
