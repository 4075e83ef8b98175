// `proto-desc demo`: runs a whole host in one process (hypervisor, store, broker with the
// bundled policy, policer), connects a block device, runs I/O, plays a malicious frontend, a
// malicious backend and a denied connection, and prints the timeline (or JSON lines).
import { runDemo, type DemoTimelineEntry } from "../../../runtime/demo/demo-host.js";
import { parseArguments } from "../arguments.js";
import { CliUsageError, ExitCode, type CliIo } from "../io.js";

const usage = `usage: proto-desc demo [--json]

Runs the policing demo in one process and prints its timeline and a summary.
  --json   print the timeline as JSON lines (one object per event, then the summary)
Exit 0 when every verdict blamed the misbehaving party, 1 otherwise, 2 on usage errors.
`;

function formatEntry(entry: DemoTimelineEntry): string {
  const clause = entry.clause === undefined ? "" : ` [${entry.clause}${entry.specSpan === undefined ? "" : ` at ${entry.specSpan}`}]`;
  return `${String(entry.time).padStart(5)} ms  ${entry.scenario.padEnd(18)} ${entry.phase.padEnd(9)} ${entry.message}${clause}\n`;
}

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const parsed = parseArguments("demo", args, { json: { kind: "boolean" } });
  if (parsed.positionals.length > 0) throw new CliUsageError(`demo: unexpected argument '${parsed.positionals[0]}'`);
  const result = runDemo();
  const summary = result.summary;
  if (parsed.booleans.has("json")) {
    io.stdout(result.timeline.map((entry) => `${JSON.stringify(entry)}\n`).join("") + `${JSON.stringify({ summary })}\n`);
  } else {
    io.stdout(result.timeline.map(formatEntry).join(""));
    io.stdout(`summary: ${summary.requestsAnswered} requests answered, ${summary.verdicts} verdicts (${summary.honestPartiesBlamed} against an honest party), ${summary.deniedConnections} connection denied, ${summary.auditRecords} audit records\n`);
  }
  return summary.honestPartiesBlamed === 0 && summary.verdicts === 2 && summary.deniedConnections === 1 ? ExitCode.ok : ExitCode.findings;
}
