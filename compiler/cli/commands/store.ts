// `proto-desc store`: runs xenstore++ in the foreground on a Unix socket, optionally with a
// journal and with the broker hosted in it (the policy and resource classes compiled from
// specs here and handed to the daemon), logging to stderr, until SIGINT or SIGTERM (then it
// closes cleanly and removes the socket file). `store connect|disconnect` are clients of a
// running daemon (store-control.ts).
import { resolve } from "node:path";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { parseArguments } from "../arguments.js";
import { CliUsageError, ExitCode, type CliIo } from "../io.js";
import { createImportLoader, loadSpecArguments } from "../load-specs.js";
import { AuditLogWriter } from "../../../runtime/audit/audit-log-writer.js";
import { formatBrokerProblem } from "../../../runtime/broker/broker-problem.js";
import { hostBrokerInStore, type StoreHostedBroker } from "../../../runtime/broker/store-hosted-broker.js";
import { PolicyEngine } from "../../../runtime/policy/policy-engine.js";
import { StoreSocketServer, StoreSocketServerError } from "../../../runtime/store/socket-server.js";
import { StoreJournalError } from "../../../runtime/store/journal/journal-file.js";
import type { StoreQuotas } from "../../../runtime/store/quotas.js";
import { XenStore } from "../../../runtime/store/store.js";

const usage = `usage: proto-desc store --socket PATH [--journal DIR] [--policy SPEC --audit-log FILE] [quota options]
       proto-desc store connect|disconnect --socket PATH ...   (run with --help for details)

Runs the xenstore++ daemon in the foreground. Xen's client tools reach it with
XENSTORED_PATH=PATH; socket clients are privileged (dom0). Logs go to stderr.
SIGINT or SIGTERM stops it cleanly and removes the socket file.

With --policy the daemon hosts the broker: it compiles the host's specs (resource
classes and one access-control policy), and serves the XS_CONTROL commands
proto-desc-connect and proto-desc-disconnect to privileged clients, auditing every
decision in FILE ('proto-desc store connect' sends them).

options:
  --socket PATH             Unix socket to listen on (a stale socket file is replaced)
  --journal DIR             journal every committed change in DIR and recover it on start
  --policy SPEC             host specs (a file or directory) with resource classes and a policy
  --audit-log FILE          append the broker's policy decisions to FILE (JSON lines)
  --tool-principal NAME     the policy principal socket clients act as (default dom0)
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

const principalNamePattern = /^[A-Za-z0-9_.-]{1,64}$/;

/** The checked host's lowered policy and resource classes, or the exit code after reporting. */
async function compileHost(policyOption: string, io: CliIo): Promise<{ readonly engine: PolicyEngine; readonly resourceClasses: readonly unknown[]; readonly policyName: string } | number> {
  const roots = loadSpecArguments("store", [policyOption], io.cwd);
  const [{ checkSources }, { renderHuman }, { lowerHost }] = await Promise.all([
    import("../../pipeline/check.js"),
    import("../../diagnostics/render-human.js"),
    import("../../host/lower-host.js"),
  ]);
  const checked = checkSources(roots, createImportLoader(io.cwd));
  const model = checked.value.model;
  const host = model === undefined || hasErrors(checked.diagnostics) ? undefined : lowerHost({ model, sources: checked.value.sources });
  const diagnostics = [...checked.diagnostics, ...(host?.diagnostics ?? [])];
  if (host?.value === undefined || hasErrors(diagnostics)) {
    const rendered = renderHuman(diagnostics, checked.value.sources, { colour: false });
    io.stderr(`${rendered === "" ? "proto-desc store: the host specs did not check" : rendered}\n`);
    return ExitCode.findings;
  }
  return { engine: PolicyEngine.fromPolicy(host.value.policy), resourceClasses: host.value.resourceClasses, policyName: host.value.policy.name };
}

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = args;
  if (first === "connect" || first === "disconnect") {
    const control = await import("./store-control.js");
    return control.run(first, rest, io);
  }
  const parsed = parseArguments("store", args, {
    socket: { kind: "string" },
    journal: { kind: "string" },
    policy: { kind: "string" },
    "audit-log": { kind: "string" },
    "tool-principal": { kind: "string" },
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
  const policyOption = parsed.strings.get("policy");
  const auditLogOption = parsed.strings.get("audit-log");
  const toolPrincipal = parsed.strings.get("tool-principal") ?? "dom0";
  if (policyOption === undefined && (auditLogOption !== undefined || parsed.strings.has("tool-principal"))) {
    throw new CliUsageError(`store: '--${auditLogOption !== undefined ? "audit-log" : "tool-principal"}' only applies with '--policy SPEC'`);
  }
  if (policyOption !== undefined && auditLogOption === undefined) throw new CliUsageError("store: '--policy' needs '--audit-log FILE' (the broker audits every decision)");
  if (!principalNamePattern.test(toolPrincipal)) throw new CliUsageError(`store: option '--tool-principal' needs a principal name (got '${toolPrincipal}')`);
  const host = policyOption === undefined ? undefined : await compileHost(policyOption, io);
  if (typeof host === "number") return host;

  let audit: AuditLogWriter | undefined;
  if (auditLogOption !== undefined) {
    try {
      audit = AuditLogWriter.open(resolve(io.cwd, auditLogOption), { now: () => Date.now() });
    } catch (error) {
      io.stderr(`proto-desc store: cannot use the audit log '${auditLogOption}': ${error instanceof Error ? error.message : String(error)}\n`);
      return ExitCode.usageOrIo;
    }
  }
  let store: XenStore;
  try {
    store = XenStore.open({ journalDirectory, quotas });
  } catch (error) {
    audit?.close();
    if (error instanceof StoreJournalError) {
      io.stderr(`proto-desc store: cannot use the journal: ${error.message}\n`);
      return ExitCode.usageOrIo;
    }
    throw error;
  }
  let hosted: StoreHostedBroker | undefined;
  if (host !== undefined && audit !== undefined) {
    const result = hostBrokerInStore({ store, engine: host.engine, audit, resourceClasses: host.resourceClasses });
    if (result.hosted === undefined) {
      store.close();
      audit.close();
      io.stderr(`proto-desc store: the broker refused the lowered resource classes: ${result.problems.map(formatBrokerProblem).join("; ")}\n`);
      return ExitCode.findings;
    }
    hosted = result.hosted;
    for (const problem of hosted.recoveryProblems) log(`broker: not adopted from the store: ${formatBrokerProblem(problem)}`);
    log(
      `broker: policy '${host.policyName}', resource classes ${hosted.broker.resourceClasses.map((resourceClass) => resourceClass.name).join(", ")}, ` +
        `${hosted.recovered.length} instance(s) recovered; serving ${store.controlCommands.words.join(", ")} to socket clients as '${toolPrincipal}'`,
    );
  }
  const closeBroker = (): void => {
    hosted?.close();
    audit?.close();
  };
  const server = new StoreSocketServer({ store, socketPath, log, ...(hosted === undefined ? {} : { clientPrincipal: toolPrincipal }) });
  try {
    await server.listen();
  } catch (error) {
    closeBroker();
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
  closeBroker();
  store.close();
  log("stopped");
  return ExitCode.ok;
}
