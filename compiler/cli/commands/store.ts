// `proto-desc store`: runs xenstore++ in the foreground on a Unix socket, optionally with a
// journal, logging to stderr, until SIGINT or SIGTERM (then it closes cleanly and removes
// the socket file).
import { resolve } from "node:path";
import { parseArguments } from "../arguments.js";
import { CliUsageError, ExitCode, type CliIo } from "../io.js";
import { StoreSocketServer, StoreSocketServerError } from "../../../runtime/store/socket-server.js";
import { StoreJournalError } from "../../../runtime/store/journal/journal-file.js";
import type { StoreQuotas } from "../../../runtime/store/quotas.js";
import { XenStore } from "../../../runtime/store/store.js";

const usage = `usage: proto-desc store --socket PATH [--journal DIR] [quota options]

Runs the xenstore++ daemon in the foreground. Xen's client tools reach it with
XENSTORED_PATH=PATH; socket clients are privileged (dom0). Logs go to stderr.
SIGINT or SIGTERM stops it cleanly and removes the socket file.

options:
  --socket PATH             Unix socket to listen on (a stale socket file is replaced)
  --journal DIR             journal every committed change in DIR and recover it on start
  --quota-nodes N           nodes an unprivileged domain may own (default 1000)
  --quota-watches N         watches per unprivileged domain (default 128)
  --quota-transactions N    open transactions per connection (default 10)
  --quota-node-size N       bytes of a node's value (default 2048)
  --quota-permissions N     permission entries per node (default 5)
  --quota-outstanding N     outstanding requests per domain ring (default 20)
`;

/** Command-line quota flags and the core's quota fields they set. */
const quotaFlags = {
  "quota-nodes": "nodesPerDomain",
  "quota-watches": "watchesPerDomain",
  "quota-transactions": "transactionsPerConnection",
  "quota-node-size": "nodeValueBytes",
  "quota-permissions": "permissionsPerNode",
  "quota-outstanding": "outstandingRequestsPerConnection",
} as const satisfies Record<string, keyof StoreQuotas>;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArguments("store", args, {
    socket: { kind: "string" },
    journal: { kind: "string" },
    help: { kind: "boolean" },
    ...Object.fromEntries(Object.keys(quotaFlags).map((flag) => [flag, { kind: "string" as const }])),
  });
  if (parsed.booleans.has("help")) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  if (parsed.positionals.length > 0) throw new CliUsageError(`store: unexpected argument '${parsed.positionals[0] ?? ""}'`);
  const socketOption = parsed.strings.get("socket");
  if (socketOption === undefined) throw new CliUsageError("store: the option '--socket PATH' is required");
  const quotas: Partial<Record<keyof StoreQuotas, number>> = {};
  for (const [flag, field] of Object.entries(quotaFlags)) {
    const text = parsed.strings.get(flag);
    if (text === undefined) continue;
    const value = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
      throw new CliUsageError(`store: option '--${flag}' needs a positive integer (got '${text}')`);
    }
    quotas[field] = value;
  }
  const socketPath = resolve(io.cwd, socketOption);
  const journalOption = parsed.strings.get("journal");
  const journalDirectory = journalOption === undefined ? undefined : resolve(io.cwd, journalOption);
  const log = (line: string): void => io.stderr(`proto-desc store: ${line}\n`);

  let store: XenStore;
  try {
    store = XenStore.open({ journalDirectory, quotas });
  } catch (error) {
    if (error instanceof StoreJournalError) {
      io.stderr(`proto-desc store: cannot use the journal: ${error.message}\n`);
      return ExitCode.usageOrIo;
    }
    throw error;
  }
  const server = new StoreSocketServer({ store, socketPath, log });
  try {
    await server.listen();
  } catch (error) {
    store.close();
    if (error instanceof StoreSocketServerError) {
      io.stderr(`proto-desc store: ${error.message}\n`);
      return ExitCode.usageOrIo;
    }
    throw error;
  }
  store.onDomainIntroduced((introduction) =>
    log(`domain ${introduction.domainId} introduced (no hypervisor in this process: its ring is not attached)`),
  );
  const recovery = store.recovery;
  const journalNote =
    journalDirectory === undefined
      ? "no journal"
      : `journal ${journalDirectory}: recovered ${recovery?.records.length ?? 0} record(s)${recovery?.snapshot === undefined ? "" : " after a snapshot"}` +
        (recovery !== undefined && recovery.discardedTailBytes > 0 ? `, cut off a torn tail of ${recovery.discardedTailBytes} byte(s)` : "");
  log(`listening on ${socketPath} (${journalNote})`);

  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    const onSignal = (received: NodeJS.Signals): void => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolveSignal(received);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  log(`${signal} received, shutting down`);
  await server.close();
  store.close();
  log("stopped");
  return ExitCode.ok;
}
