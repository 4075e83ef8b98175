// `proto-desc store connect|disconnect`: asks a running store daemon that hosts the broker to
// connect or disconnect a resource instance, as one XS_CONTROL request over its Unix socket
// (the daemon checks the policy, audits the decision and lays out the store). Prints one line:
// the outcome on stdout (exit 0), a policy denial on stdout (exit 1), a broker refusal on
// stderr (exit 1), a daemon that cannot be reached or serves no broker on stderr (exit 2).
import { resolve } from "node:path";
import { parseArguments } from "../arguments.js";
import { CliUsageError, ExitCode, type CliIo } from "../io.js";
import type { StoreSocketClient as StoreSocketClientType } from "../../../runtime/store/socket-client.js";

export type StoreControlSubcommand = "connect" | "disconnect";

const usages: Readonly<Record<StoreControlSubcommand, string>> = {
  connect: `usage: proto-desc store connect --socket PATH [--json] <class> <frontend-domid> <backend-domid> [key=value ...]

Asks the store daemon at PATH (started with --policy) to connect a resource instance of
<class> between two domains, e.g. 'vbd 2 1 devid=51712'. devid names the instance; other
keys are the class's parameters. Domains are named by the store's /local/domain/<id>/name.

options:
  --socket PATH  the daemon's Unix socket
  --json         print the daemon's reply as one JSON line
`,
  disconnect: `usage: proto-desc store disconnect --socket PATH [--json] <class> <frontend-domid> <devid>

Asks the store daemon at PATH to tear a resource instance down through its lifecycle.

options:
  --socket PATH  the daemon's Unix socket
  --json         print the daemon's reply as one JSON line
`,
};

const domainIdPattern = /^(0|[1-9][0-9]{0,4})$/;

function checkOperands(subcommand: StoreControlSubcommand, operands: readonly string[]): void {
  const command = `store ${subcommand}`;
  const [resourceClass, frontend, third, ...rest] = operands;
  if (resourceClass === undefined || frontend === undefined || third === undefined) {
    throw new CliUsageError(`${command}: expected ${subcommand === "connect" ? "<class> <frontend-domid> <backend-domid> [key=value ...]" : "<class> <frontend-domid> <devid>"} (run 'proto-desc store ${subcommand} --help')`);
  }
  if (!domainIdPattern.test(frontend)) throw new CliUsageError(`${command}: <frontend-domid> must be a domain id (got '${frontend}')`);
  if (subcommand === "disconnect") {
    if (rest.length > 0) throw new CliUsageError(`${command}: unexpected argument '${rest[0] ?? ""}'`);
    return;
  }
  if (!domainIdPattern.test(third)) throw new CliUsageError(`${command}: <backend-domid> must be a domain id (got '${third}')`);
  const malformed = rest.find((assignment) => assignment.indexOf("=") <= 0);
  if (malformed !== undefined) throw new CliUsageError(`${command}: parameter '${malformed}' is not key=value`);
}

export async function run(subcommand: StoreControlSubcommand, args: readonly string[], io: CliIo): Promise<number> {
  const command = `store ${subcommand}`;
  const parsed = parseArguments(command, args, { socket: { kind: "string" }, json: { kind: "boolean" }, help: { kind: "boolean" } });
  if (parsed.booleans.has("help")) {
    io.stdout(usages[subcommand]);
    return ExitCode.ok;
  }
  const socketOption = parsed.strings.get("socket");
  if (socketOption === undefined) throw new CliUsageError(`${command}: the option '--socket PATH' is required`);
  checkOperands(subcommand, parsed.positionals);
  const socketPath = resolve(io.cwd, socketOption);

  const [{ StoreSocketClient, StoreRequestError, StoreConnectionClosedError }, { parseBrokerControlReply }, { brokerConnectCommandWord, brokerDisconnectCommandWord }] = await Promise.all([
    import("../../../runtime/store/socket-client.js"),
    import("../../../runtime/broker/broker-control-reply.js"),
    import("../../../runtime/broker/broker-control-commands.js"),
  ]);
  const word = subcommand === "connect" ? brokerConnectCommandWord : brokerDisconnectCommandWord;
  let client: StoreSocketClientType;
  try {
    client = await StoreSocketClient.connect(socketPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    io.stderr(`proto-desc ${command}: cannot reach the store daemon at '${socketPath}': ${code}\n`);
    return ExitCode.usageOrIo;
  }
  let replyText: string;
  try {
    replyText = await client.control([word, ...parsed.positionals]);
  } catch (error) {
    if (error instanceof StoreRequestError) {
      const hint = error.errorName === "EINVAL" ? ": it hosts no broker (start it with 'proto-desc store --policy SPEC --audit-log FILE')" : "";
      io.stderr(`proto-desc ${command}: the store daemon refused ${word} with ${error.errorName}${hint}\n`);
      return ExitCode.usageOrIo;
    }
    if (error instanceof StoreConnectionClosedError) {
      io.stderr(`proto-desc ${command}: the store daemon closed the connection before replying\n`);
      return ExitCode.usageOrIo;
    }
    throw error;
  } finally {
    client.close();
  }
  const reply = parseBrokerControlReply(replyText);
  if (reply === undefined) {
    io.stderr(`proto-desc ${command}: the store daemon sent a reply that is not a broker reply: ${JSON.stringify(replyText.slice(0, 200))}\n`);
    return ExitCode.usageOrIo;
  }
  if (parsed.booleans.has("json")) io.stdout(`${JSON.stringify(reply)}\n`);
  switch (reply.outcome) {
    case "connected":
      if (!parsed.booleans.has("json")) io.stdout(`connected ${reply.connection}: frontend ${reply.frontendDirectory}, backend ${reply.backendDirectory}, spec ${reply.specHash}; allowed by ${[...new Set(reply.rules)].join(", ")}\n`);
      return ExitCode.ok;
    case "disconnected":
      if (!parsed.booleans.has("json")) io.stdout(`disconnected ${reply.connection}\n`);
      return ExitCode.ok;
    case "denied":
      if (!parsed.booleans.has("json")) io.stdout(`denied by rule ${reply.rule}: ${reply.reason}\n`);
      return ExitCode.findings;
    case "failed":
      io.stderr(`proto-desc ${command}: ${reply.code} ${reply.message}\n`);
      return ExitCode.findings;
    default: {
      const unreachable: never = reply;
      throw new Error(`unknown broker reply ${JSON.stringify(unreachable)}`);
    }
  }
}
