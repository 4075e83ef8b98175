// The CLI's dispatcher. Commands load lazily so that `check` never loads ts-morph or
// prettier; every failure becomes a one-line message and an exit code, never a stack trace.
import { CliUsageError, ExitCode, processIo, type CliIo } from "./io.js";
import { cliVersion } from "./version.js";

export interface CommandModule {
  run(args: readonly string[], io: CliIo): Promise<number>;
}

interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

/** One line per command; each module lives in commands/<name>.ts. */
const commands: Readonly<Record<string, CommandEntry>> = {
  audit: { summary: "read and validate a policy audit log", load: () => import("./commands/audit.js") },
  check: { summary: "parse and check .proto-desc specifications", load: () => import("./commands/check.js") },
  compile: { summary: "generate TypeScript types, codecs and validators from specs (--check: report drift)", load: () => import("./commands/compile.js") },
  demo: { summary: "run a whole policed host: block I/O, attacks, verdicts, resets, denials", load: () => import("./commands/demo.js") },
  layout: { summary: "print C layouts and ring geometry for one ABI", load: () => import("./commands/layout.js") },
  store: { summary: "run the xenstore++ daemon on a Unix socket", load: () => import("./commands/store.js") },
};


function usage(): string {
  const names = Object.keys(commands).sort();
  const width = Math.max(8, ...names.map((name) => name.length));
  const lines = names.map((name) => `  ${name.padEnd(width)}  ${commands[name]?.summary ?? ""}`);
  return ["usage: proto-desc <command> [options]", "", "commands:", ...lines, "", "Run `proto-desc <command> --help` for a command's options.", ""].join("\n");
}

export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage());
    return name === undefined ? ExitCode.usageOrIo : ExitCode.ok;
  }
  if (name === "--version") {
    io.stdout(`proto-desc ${cliVersion}\n`);
    return ExitCode.ok;
  }
  const entry = commands[name];
  if (entry === undefined) {
    io.stderr(`proto-desc: unknown command '${name}' (run \`proto-desc --help\` for the list)\n`);
    return ExitCode.usageOrIo;
  }
  try {
    const module = await entry.load();
    return await module.run(rest, io);
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr(`proto-desc ${error.message}\n`);
      return ExitCode.usageOrIo;
    }
    // An internal error is a bug in proto-desc, not in the user's input: say so in one line.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`proto-desc: internal error in '${name}': ${message} (please report this)\n`);
    return ExitCode.usageOrIo;
  }
}
