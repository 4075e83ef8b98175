// `proto-desc audit LOG`: reads a policy audit log, validates every line, and prints its
// records (readable, or as JSON lines with --json) with a summary. Exit 1 when a line is
// invalid; a torn last line left by a crash is reported but is not a finding.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { scanAuditLogText, type AuditLogScan } from "../../../runtime/audit/audit-log-scan.js";
import { formatAuditRecord } from "../../../runtime/audit/audit-record-format.js";
import type { AuditRecordKind } from "../../../runtime/audit/audit-record.js";
import { parseArguments } from "../arguments.js";
import { CliUsageError, ExitCode, type CliIo } from "../io.js";

const recordKinds: readonly AuditRecordKind[] = ["log-opened", "decision", "complaint", "verdict", "reset"];

const usage = `usage: proto-desc audit LOG [--json] [--kind KIND] [--denied]

Reads an audit log (JSON lines), validates every record and prints them.
  --json         print the valid records as JSON lines instead of text
  --kind KIND    only records of one kind: ${recordKinds.join(", ")}
  --denied       only decisions that denied
Exit 0 when every line is valid, 1 when some line is not, 2 on usage or I/O errors.
`;

function summarize(scan: AuditLogScan): string {
  const count = (kind: AuditRecordKind): number => scan.records.filter((record) => record.kind === kind).length;
  const denied = scan.records.filter((record) => record.kind === "decision" && !record.allowed).length;
  const parts = [
    `${scan.records.length} records`,
    `${count("decision")} decisions (${denied} denied)`,
    `${count("complaint")} complaints`,
    `${count("verdict")} verdicts`,
    `${count("reset")} resets`,
    `${scan.problems.length} invalid lines`,
  ];
  if (scan.recoveredFragments > 0) parts.push(`${scan.recoveredFragments} torn lines recovered`);
  if (scan.tornTailBytes > 0) parts.push(`torn last line of ${scan.tornTailBytes} bytes skipped`);
  return `${parts.join(", ")}\n`;
}

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const parsed = parseArguments("audit", args, { json: { kind: "boolean" }, kind: { kind: "string", values: recordKinds }, denied: { kind: "boolean" } });
  const [logPath, ...extra] = parsed.positionals;
  if (logPath === undefined) throw new CliUsageError("audit: missing the audit log path (run `proto-desc audit --help`)");
  if (extra.length > 0) throw new CliUsageError(`audit: expected one audit log, got ${parsed.positionals.length}`);
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, logPath), "utf8");
  } catch (error) {
    const code = (error as { readonly code?: unknown }).code;
    throw new CliUsageError(`audit: cannot read '${logPath}': ${typeof code === "string" ? code : "unreadable"}`);
  }
  const scan = scanAuditLogText(text);
  const kind = parsed.strings.get("kind");
  const deniedOnly = parsed.booleans.has("denied");
  const selected = scan.records.filter((record) => (kind === undefined || record.kind === kind) && (!deniedOnly || (record.kind === "decision" && !record.allowed)));
  const json = parsed.booleans.has("json");
  io.stdout(selected.map((record) => `${json ? JSON.stringify(record) : formatAuditRecord(record)}\n`).join(""));
  for (const problem of scan.problems) io.stderr(`${logPath}:${problem.line}: ${problem.code} ${problem.message}\n`);
  if (!json) io.stdout(summarize(scan));
  return scan.problems.length > 0 ? ExitCode.findings : ExitCode.ok;
}
