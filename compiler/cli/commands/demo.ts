// `proto-desc demo`: checks the bundled specs and host policy, lowers them, takes the blkif
// monitor generated in drivers/blk/generated/, and runs a whole policed host in this process
// (runtime/host/demo-host.ts) — honest block I/O, a malicious frontend, a malicious backend, a
// lying complainer and denied connections — printing the timeline as text or JSON lines. This
// file does the I/O: spec files, a temporary directory for the store's socket and the audit
// log (removed at exit), and stdout.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { parseArguments } from "../arguments.js";
import { CliUsageError, ExitCode, type CliIo } from "../io.js";
import { createImportLoader, loadSpecArguments } from "../load-specs.js";

const usage = `usage: proto-desc demo [--json] [--seed N] [--protocols DIR] [--audit-log FILE]

Starts a whole host in one process (hypervisor, xenstore++ daemon on a temporary Unix
socket, broker, policer), loads the host policy, connects a block device between
bank-a-payroll and the storage domain, runs I/O, then plays a malicious frontend, a
malicious backend, a lying complainer and connections the policy denies. Prints a
timeline and a summary. Everything runs on a virtual clock: the output depends only on
the seed.

options:
  --json           print the timeline as JSON lines (one event per line)
  --seed N         seed for the traffic mix (default 1)
  --protocols DIR  spec directory with blkif and a policy (default: the bundled protocols/)
  --audit-log FILE keep the policy audit log (JSON lines, appended) for 'proto-desc audit'
`;

/** The package root, from dist/compiler/cli/commands/demo.js. */
function packageRoot(): string {
  return fileURLToPath(new URL("../../../../", import.meta.url));
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value > 0xffff_ffff) throw new CliUsageError(`demo: option '--seed' needs an integer from 0 to 4294967295 (got '${text}')`);
  return value;
}

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArguments("demo", args, { json: { kind: "boolean" }, seed: { kind: "string" }, protocols: { kind: "string" }, "audit-log": { kind: "string" }, help: { kind: "boolean" } });
  if (parsed.booleans.has("help")) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  if (parsed.positionals.length > 0) throw new CliUsageError(`demo: unexpected argument '${parsed.positionals[0] ?? ""}'`);
  const seed = parseSeed(parsed.strings.get("seed"));
  const json = parsed.booleans.has("json");
  const protocolsOption = parsed.strings.get("protocols");
  const specCwd = protocolsOption === undefined ? packageRoot() : io.cwd;
  const auditLogOption = parsed.strings.get("audit-log");
  const roots = loadSpecArguments("demo", [protocolsOption ?? "protocols"], specCwd);

  const [{ checkSources }, { renderHuman }, { lowerHost }, { checkDemoResourceClass, checkDemoProtocolSpecHash }, { describeDemoBlkifProtocolX86_64 }, { runDemoHost, DemoHostError, DemoAuditLogError }, { formatDemoEvent }, { StoreSocketServerError }] = await Promise.all([
    import("../../pipeline/check.js"),
    import("../../diagnostics/render-human.js"),
    import("../../host/lower-host.js"),
    import("../../host/check-demo-resource-class.js"),
    import("../../../drivers/blk/demo-blkif-protocol.js"),
    import("../../../runtime/host/demo-host.js"),
    import("../../host/format-demo-event.js"),
    import("../../../runtime/store/socket-server.js"),
  ]);
  const checked = checkSources(roots, createImportLoader(specCwd));
  const sources = checked.value.sources;
  const model = checked.value.model;
  const host = model === undefined || hasErrors(checked.diagnostics) ? undefined : lowerHost({ model, sources });
  // The monitor is the one generated from protocols/blkif.proto-desc; the host must offer a class that speaks it.
  const blkif = describeDemoBlkifProtocolX86_64();
  const classProblems = model === undefined || host?.value === undefined ? [] : checkDemoResourceClass(model, { resourceClass: "vbd", protocol: blkif.spec.protocol, version: blkif.spec.version });
  // Name and version are not enough: the spec loaded must be the one the monitor was generated from.
  const hashProblems =
    model === undefined || host?.value === undefined || classProblems.length > 0
      ? []
      : checkDemoProtocolSpecHash(model, host.value.specHashes, { protocol: blkif.spec.protocol, generatedSpecHash: blkif.specHash, regenerateCommand: "npx proto-desc compile protocols/blkif.proto-desc --out drivers/blk/generated" });
  const diagnostics = [...checked.diagnostics, ...(host?.diagnostics ?? []), ...classProblems, ...hashProblems];
  if (host?.value === undefined || hasErrors(diagnostics)) {
    const rendered = renderHuman(diagnostics, sources, { colour: false });
    io.stderr(`${rendered === "" ? "demo: the specs did not check" : rendered}\n`);
    return ExitCode.findings;
  }

  const workDirectory = mkdtempSync(join(tmpdir(), "proto-desc-demo-"));
  try {
    const summary = await runDemoHost({
      policy: host.value.policy,
      policyFile: host.value.policyFile,
      resourceClasses: host.value.resourceClasses,
      blkif,
      seed,
      socketPath: join(workDirectory, "xenstored.sock"),
      auditLogPath: auditLogOption === undefined ? join(workDirectory, "audit.jsonl") : resolve(io.cwd, auditLogOption),
      emit: (event) => io.stdout(json ? `${JSON.stringify(event)}\n` : `${formatDemoEvent(event, sources)}\n`),
    });
    // An honest party blamed is a policing bug the demo must not hide behind exit 0.
    return summary.honestBlames === 0 ? ExitCode.ok : ExitCode.findings;
  } catch (error) {
    // The host could not be assembled or a party could not act: say which step, in one line.
    if (error instanceof DemoHostError) {
      io.stderr(`demo: the host stopped: ${error.message}\n`);
      return ExitCode.findings;
    }
    if (error instanceof DemoAuditLogError) {
      io.stderr(`demo: cannot use the audit log '${auditLogOption ?? ""}': ${error.message}\n`);
      return ExitCode.usageOrIo;
    }
    if (error instanceof StoreSocketServerError) {
      io.stderr(`demo: cannot start the store daemon: ${error.message}\n`);
      return ExitCode.usageOrIo;
    }
    throw error;
  } finally {
    rmSync(workDirectory, { recursive: true, force: true });
  }
}
