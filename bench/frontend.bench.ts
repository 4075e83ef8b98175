// Front-end throughput: parse + lower of a large generated spec, and the cold `proto-desc
// check` of the bundled specs and of that large spec, each against a baseline measured in the
// same run (a plain sticky-regex tokenizer over the same text; node's own startup).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "../compiler/syntax/parse.js";
import { protoDescLexer } from "../grammar/lexer.js";
import type { BenchSuite } from "./suite.js";

const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));
const binaryPath = join(repositoryRoot, "bin/proto-desc.js");

/** One protocol of roughly a hundred lines using every kind of declaration. */
function generateProtocol(index: number): string {
  return `/// Generated protocol number ${index}.
protocol generated_${index} version 1 {
  roles frontend, backend;
  const MAX_${index} = (1 << 4) - 1;
  const MASK_${index} = 0xFFFF_0000 | 0b1010;
  enum Operation : u8 { read = 0, write = 1, flush = 3, discard = 5 }
  flags enum Flags : u16 { more = 1, extra = 2, checksum = 4 }
  struct Segment {
    gref: grant;
    first_sect: u8;
    last_sect: u8;
    _pad: pad[2];
    where in_frame: first_sect <= last_sect && last_sect <= 7;
  }
  message Request from frontend {
    operation: Operation;
    switch operation {
      case read, write {
        count: u8;
        handle: u16;
        id: u64;
        sector: u64;
        segments: Segment[11] count count;
        where count <= 11;
      }
      case discard {
        flag: u8;
        handle: u16;
        id: u64;
        sector: u64;
        sectors: u64;
      }
      default {
        _rest: pad[8];
      }
    }
  }
  message Response from backend {
    id: u64;
    operation: Operation;
    status: i16;
  }
  ring io {
    request Request;
    response Response;
    order 0 ..= backend.max-ring-page-order;
  }
  store backend {
    feature-discard: bool = false enables Request.discard;
    max-ring-page-order: u32 = 0 where value <= 4;
    sectors: u64;
    sector-size: u32 = 512 where value >= 512 && (value & (value - 1)) == 0;
  }
  store frontend {
    ring-ref: grant optional for io;
    event-channel: evtchn for io;
    protocol: abi optional;
  }
  lifecycle {
    backend {
      Initialising -> InitWait publishes feature-discard, max-ring-page-order;
      InitWait -> Connected when frontend in {Initialised, Connected} publishes sectors;
      teardown: * -> Closing;
      Closing -> Closed when frontend >= Closing;
    }
    frontend {
      Initialising -> Initialised when backend >= InitWait publishes event-channel;
      Initialised -> Connected when backend == Connected;
      teardown: * -> Closing;
      Closing -> Closed;
    }
    data when frontend == Connected && backend == Connected;
  }
  exchange io: Request -> Response {
    correlate response.id == request.id;
    exactly once;
    unordered;
    deadline 30s;
    outstanding at most entries(io);
  }
  guarantee granted_${index} by frontend on request: Request {
    forall i in 0 .. request.count: granted(request.segments[i].gref, backend) until answered(request);
  }
  guarantee padding_${index} by backend on response: Response {
    padding_is_zero(response);
  }
  guarantee timely_${index} by backend on request: Request {
    answered(request) within 30s;
    at most 10_000 notify per 1s;
  }
}
`;
}

function generateSpec(minimumLines: number): string {
  const parts: string[] = [];
  let lines = 0;
  for (let index = 0; lines < minimumLines; index++) {
    const protocol = generateProtocol(index);
    parts.push(protocol);
    lines += protocol.split("\n").length - 1;
  }
  return parts.join("\n");
}

/**
 * The baseline: the cheapest reasonable tokenizer, one sticky regular expression with an
 * alternative per token class, looping over the text and counting tokens.
 */
const plainTokenPattern =
  /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|[0-9][0-9A-Za-z_]*|[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*|\.\.=|==>|->|==|!=|<=|>=|<<|>>|&&|\|\||\.\.|[{}()[\];,:.=<>+\-*/%&|^~!]/y;

function tokenizeWithPlainRegex(text: string): number {
  let count = 0;
  plainTokenPattern.lastIndex = 0;
  while (plainTokenPattern.lastIndex < text.length) {
    const before = plainTokenPattern.lastIndex;
    if (plainTokenPattern.exec(text) === null) {
      plainTokenPattern.lastIndex = before + 1;
      continue;
    }
    count++;
  }
  return count;
}

/** Runs `work` until at least `minimumMilliseconds` have passed (and at least twice); returns ms per run. */
function measure(work: () => void, minimumMilliseconds: number, maximumRuns: number): number {
  work();
  let runs = 0;
  const start = performance.now();
  while (runs < maximumRuns && (runs < 2 || performance.now() - start < minimumMilliseconds)) {
    work();
    runs++;
  }
  return (performance.now() - start) / runs;
}

function spawnMilliseconds(args: readonly string[], runs: number): number {
  let total = 0;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: repositoryRoot, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    total += performance.now() - start;
    if (result.status !== 0 && result.status !== 1) throw new Error(`benchmark command failed: node ${args.join(" ")}: ${result.stderr}`);
  }
  return total / runs;
}

function format(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export const suite: BenchSuite = {
  name: "frontend",
  async run() {
    const spec = generateSpec(5_000);
    const lineCount = spec.split("\n").length;
    const check = parse("generated.proto-desc", spec);
    if (check.diagnostics.length > 0) throw new Error(`the generated spec has diagnostics: ${check.diagnostics[0]?.message ?? ""}`);

    const baselineMs = measure(() => tokenizeWithPlainRegex(spec), 1_000, 200);
    const lexMs = measure(() => protoDescLexer.tokenize(spec), 1_000, 100);
    const parseMs = measure(() => parse("generated.proto-desc", spec), 2_000, 30);
    const linesPerSecond = (ms: number): number => (lineCount / ms) * 1_000;
    process.stdout.write(`generated spec: ${format(lineCount)} lines\n`);
    process.stdout.write(`baseline  plain regex tokenizer   ${format(linesPerSecond(baselineMs))} lines/s  (${format(baselineMs, 2)} ms)\n`);
    process.stdout.write(
      `lex       chevrotain lexer         ${format(linesPerSecond(lexMs))} lines/s  (${format(lexMs, 2)} ms)  = ${format(baselineMs / lexMs, 2)}x baseline speed\n`,
    );
    process.stdout.write(
      `parse     lex + parse + lower      ${format(linesPerSecond(parseMs))} lines/s  (${format(parseMs, 2)} ms)  = ${format(baselineMs / parseMs, 3)}x baseline speed\n`,
    );

    const bundledDirectory = join(repositoryRoot, "protocols");
    const bundledLines = readdirSync(bundledDirectory)
      .filter((name) => name.endsWith(".proto-desc"))
      .reduce((sum, name) => sum + readFileSync(join(bundledDirectory, name), "utf8").split("\n").length, 0);
    const workspace = mkdtempSync(join(tmpdir(), "proto-desc-bench-"));
    try {
      const largePath = join(workspace, "generated.proto-desc");
      writeFileSync(largePath, spec);
      const runs = 3;
      const nodeStartupMs = spawnMilliseconds(["-e", ""], runs);
      const cliStartupMs = spawnMilliseconds([binaryPath, "--version"], runs);
      const checkBundledMs = spawnMilliseconds([binaryPath, "check", "protocols"], runs);
      const checkLargeMs = spawnMilliseconds([binaryPath, "check", largePath], runs);
      process.stdout.write(`cold processes (mean of ${runs}):\n`);
      process.stdout.write(`baseline  node -e ''                         ${format(nodeStartupMs)} ms\n`);
      process.stdout.write(`          proto-desc --version               ${format(cliStartupMs)} ms  = ${format(cliStartupMs / nodeStartupMs, 2)}x node startup\n`);
      process.stdout.write(
        `          proto-desc check protocols          ${format(checkBundledMs)} ms  = ${format(checkBundledMs / nodeStartupMs, 2)}x node startup  (${format(bundledLines)} lines, ${format((bundledLines / checkBundledMs) * 1_000)} lines/s)\n`,
      );
      process.stdout.write(
        `          proto-desc check (${format(lineCount)} lines)    ${format(checkLargeMs)} ms  = ${format(checkLargeMs / nodeStartupMs, 2)}x node startup  (${format((lineCount / checkLargeMs) * 1_000)} lines/s; front end ${format((parseMs / checkLargeMs) * 100)}% of it)\n`,
      );
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  },
};
