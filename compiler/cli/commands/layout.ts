// `proto-desc layout <specs...> [--abi x86_64|x86_32|arm] [--format table|json]`: prints the C
// layout of every struct and message and the geometry of every ring for one target ABI.
// Specifications with errors are reported like `check` does (exit 1) and nothing is printed.
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { renderHuman } from "../../diagnostics/render-human.js";
import { checkSources } from "../../pipeline/check.js";
import type { TargetAbi } from "../../semantic/layout-abi.js";
import { buildLayoutReport, renderLayoutJson, renderLayoutTable } from "../../semantic/layout-report.js";
import { parseArguments } from "../arguments.js";
import { CliUsageError, ExitCode, type CliIo } from "../io.js";
import { createImportLoader, loadSpecArguments } from "../load-specs.js";

const usage = `usage: proto-desc layout <files or directories...> [--abi x86_64|x86_32|arm] [--format table|json]

Prints, for one target ABI, the size and alignment of every struct and message with every
field's offset and size (implicit padding included), and each ring's slot size and entries
per allowed page order. Exit codes: 0 printed, 1 the specifications have errors, 2 usage or I/O error.

options:
  --abi x86_64|x86_32|arm   target ABI (default x86_64; arm lays out like x86_64)
  --format table|json       output format (default table; the JSON shape is documented in docs/semantics.md)
  --help                    show this help
`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArguments("layout", args, {
    abi: { kind: "string", values: ["x86_64", "x86_32", "arm"] },
    format: { kind: "string", values: ["table", "json"] },
    help: { kind: "boolean" },
  });
  if (parsed.booleans.has("help")) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  if (parsed.positionals.length === 0) throw new CliUsageError("layout: expected at least one file or directory (see `proto-desc layout --help`)");
  const roots = loadSpecArguments("layout", parsed.positionals, io.cwd);
  const result = checkSources(roots, createImportLoader(io.cwd));
  const model = result.value.model;
  if (hasErrors(result.diagnostics) || model === undefined) {
    const colour = io.stdoutIsTty && (io.env["NO_COLOR"] ?? "") === "";
    io.stderr(`${renderHuman(result.diagnostics, result.value.sources, { colour })}\n`);
    io.stderr("layout: the specifications have errors (run `proto-desc check` for details)\n");
    return ExitCode.findings;
  }
  const abi = (parsed.strings.get("abi") ?? "x86_64") as TargetAbi;
  const report = buildLayoutReport(model, abi);
  io.stdout(parsed.strings.get("format") === "json" ? renderLayoutJson(report) : renderLayoutTable(report));
  return ExitCode.ok;
}
