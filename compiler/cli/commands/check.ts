// `proto-desc check <files or directories...> [--format pretty|json|sarif]`: parses (and,
// once compiler/semantic is wired into the pipeline, analyzes) specifications and reports
// diagnostics. Exit 0 clean, 1 errors found, 2 usage or I/O error. Loads no code generator.
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { parseArguments } from "../arguments.js";
import { CliUsageError, ExitCode, type CliIo } from "../io.js";
import { createImportLoader, loadSpecArguments } from "../load-specs.js";
import { cliVersion } from "../version.js";

const usage = `usage: proto-desc check <files or directories...> [--format pretty|json|sarif]

Parses and checks .proto-desc specifications. Directories are searched recursively for
*.proto-desc files. Exit codes: 0 no errors, 1 errors found, 2 usage or I/O error.

options:
  --format pretty|json|sarif   output format (default pretty; sarif is SARIF 2.1.0)
  --help                       show this help
`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArguments("check", args, {
    format: { kind: "string", values: ["pretty", "json", "sarif"] },
    help: { kind: "boolean" },
  });
  if (parsed.booleans.has("help")) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  if (parsed.positionals.length === 0) throw new CliUsageError("check: expected at least one file or directory (see `proto-desc check --help`)");

  const roots = loadSpecArguments("check", parsed.positionals, io.cwd);
  // The front end (chevrotain and the parser's construction) loads only once the arguments and
  // files are known to be good, so usage and I/O errors answer immediately.
  const [{ checkSources }, { renderHuman }, { renderJson }, { renderSarif }] = await Promise.all([
    import("../../pipeline/check.js"),
    import("../../diagnostics/render-human.js"),
    import("../../diagnostics/render-json.js"),
    import("../../diagnostics/render-sarif.js"),
  ]);
  const result = checkSources(roots, createImportLoader(io.cwd));
  const { diagnostics } = result;
  const sources = result.value.sources;
  const format = parsed.strings.get("format") ?? "pretty";

  if (format === "json") io.stdout(renderJson(diagnostics, sources));
  else if (format === "sarif") io.stdout(renderSarif(diagnostics, sources, { name: "proto-desc", version: cliVersion }));
  else {
    const colour = io.stdoutIsTty && (io.env["NO_COLOR"] ?? "") === "";
    const rendered = renderHuman(diagnostics, sources, { colour });
    if (rendered !== "") io.stdout(`${rendered}\n`);
    io.stdout(`${summarize(sources.size, diagnostics.filter((d) => d.severity === "error").length, diagnostics.filter((d) => d.severity === "warning").length)}\n`);
  }
  return hasErrors(diagnostics) ? ExitCode.findings : ExitCode.ok;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function summarize(files: number, errors: number, warnings: number): string {
  if (errors === 0 && warnings === 0) return `checked ${plural(files, "file")}: no problems`;
  const parts = [errors > 0 ? plural(errors, "error") : "", warnings > 0 ? plural(warnings, "warning") : ""].filter((part) => part !== "");
  return `checked ${plural(files, "file")}: ${parts.join(", ")}`;
}
