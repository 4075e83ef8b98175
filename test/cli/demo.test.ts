// `proto-desc demo` through the real binary: it runs a whole policed host, exits 0, the JSON
// timeline has every stage with the right verdicts and blamed roles, and it is deterministic
// for a seed. Bad arguments and spec directories that are not a host fail with clear codes.
import { cpSync, appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { monitorSpecX86_64 } from "../../drivers/blk/generated/blkif.js";
import type { DemoTimelineEvent } from "../../runtime/host/demo-timeline.js";
import { repositoryRoot, runBinary } from "../support/run-cli.js";

function parseTimeline(stdout: string): DemoTimelineEvent[] {
  return stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as DemoTimelineEvent);
}

describe("proto-desc demo", () => {
  const first = runBinary(["demo", "--json", "--seed", "5"]);
  const again = runBinary(["demo", "--json", "--seed", "5"]);

  it("runs the whole host and exits 0 with a timeline of every stage", () => {
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    const events = parseTimeline(first.stdout);
    const stages = new Set(events.map((event) => event.stage));
    for (const stage of ["host", "policy", "connect", "handshake", "traffic", "attack", "violation", "verdict", "reset", "recovery", "denied", "summary"]) expect(stages.has(stage as DemoTimelineEvent["stage"]), stage).toBe(true);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    const times = events.map((event) => event.time);
    expect([...times].sort((left, right) => left - right)).toEqual(times);
  });

  it("blames the malicious frontend, the malicious backend and the lying complainer, never an honest party", () => {
    const verdicts = parseTimeline(first.stdout).filter((event) => event.stage === "verdict").map((event) => [event.scenario, event.detail["clause"], event.detail["blamedRole"], event.detail["confirmed"]]);
    expect(verdicts).toEqual([
      ["malicious-frontend", "blkif.request_index_sane", "frontend", true],
      ["malicious-backend", "blkif.response_padding_zero", "backend", true],
      ["false-complaint", "blkif.request_stable_until_consumed", "backend", false],
    ]);
    const violations = parseTimeline(first.stdout).filter((event) => event.stage === "violation");
    for (const violation of violations) expect(violation.detail["specSpan"]).toMatch(/^protocols\/blkif\.proto-desc:\d+:\d+$/);
    // Every clause the demo reports is one the code generator emitted, at the generated location and owner.
    const generatedClauses = new Map(monitorSpecX86_64.clauses.map((clause) => [clause.id, clause]));
    expect(violations.map((violation) => [violation.detail["clause"], violation.detail["specSpan"], violation.detail["blamedRole"]])).toEqual(
      ["blkif.request_index_sane", "blkif.response_padding_zero"].map((id) => [id, generatedClauses.get(id)?.specSpan, generatedClauses.get(id)?.ownerRole]),
    );
    const summary = parseTimeline(first.stdout).find((event) => event.stage === "summary");
    expect(summary?.detail["honestBlames"]).toBe(0);
    // The real frontend driver re-issues the two reads the leaky backend left in flight.
    expect(summary?.detail["requestsReissued"]).toBe(2);
  });

  it("reports the policy's denials with the rule that decided", () => {
    const denials = parseTimeline(first.stdout).filter((event) => event.stage === "denied").map((event) => event.detail["rule"]);
    expect(denials).toEqual(["chinese-wall:conflict-set/banks", "default-deny:no-permission/vbd/provide", "type-enforcement:disjoint-types"]);
  });

  it("prints the same timeline for the same seed, and different traffic for another", () => {
    expect(again.stdout).toBe(first.stdout);
    const other = runBinary(["demo", "--json", "--seed", "6"]);
    expect(other.status).toBe(0);
    expect(other.stdout).not.toBe(first.stdout);
  });

  it("prints a readable timeline by default", () => {
    const text = runBinary(["demo"]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/malicious-frontend\s+verdict\s+Verdict: confirmed — blame frontend/);
    expect(text.stdout).toMatch(/Summary: \d+ requests answered/);
    expect(text.stdout).toContain("| guarantee request_index_sane by frontend on ring: io {");
  });

  it("rejects bad arguments with exit 2 and one line", () => {
    const badSeed = runBinary(["demo", "--seed", "twelve"]);
    expect(badSeed.status).toBe(2);
    expect(badSeed.stderr.trim().split("\n")).toHaveLength(1);
    expect(badSeed.stderr).toContain("--seed");
    expect(runBinary(["demo", "extra"]).status).toBe(2);
    expect(runBinary(["demo", "--protocols", "no/such/dir"]).status).toBe(2);
  });

  it("reports spec directories that are not a demo host with PD7001, PD7002 and PD7003", () => {
    for (const [directory, code] of [["no-policy", "PD7001"], ["two-policies", "PD7002"], ["no-blkif", "PD7003"]] as const) {
      const run = runBinary(["demo", "--protocols", `test/host/fixtures/${directory}`]);
      expect(run.status, directory).toBe(1);
      expect(run.stderr).toContain(`error[${code}]`);
      expect(run.stdout).toBe("");
    }
  });

  it("checks the loaded blkif spec against the generated module by spec hash: a copy elsewhere runs, an edited one is PD7004", () => {
    const directory = mkdtempSync(join(tmpdir(), "proto-desc-demo-hash-"));
    try {
      const copy = join(directory, "protocols");
      cpSync(join(repositoryRoot, "protocols"), copy, { recursive: true });
      const unchanged = runBinary(["demo", "--json", "--protocols", copy]);
      expect(unchanged.stderr).toBe("");
      expect(unchanged.status).toBe(0);
      appendFileSync(join(copy, "blkif.proto-desc"), "// An edit the generated monitor has not seen.\n");
      const edited = runBinary(["demo", "--protocols", copy]);
      expect(edited.status).toBe(1);
      expect(edited.stdout).toBe("");
      expect(edited.stderr).toContain("error[PD7004]");
      expect(edited.stderr).toContain("blkif.proto-desc");
      expect(edited.stderr).toContain("npx proto-desc compile protocols/blkif.proto-desc --out drivers/blk/generated");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("keeps the audit log when asked, readable by 'proto-desc audit', and refuses an unusable path", () => {
    const directory = mkdtempSync(join(tmpdir(), "proto-desc-demo-cli-"));
    try {
      const logPath = join(directory, "audit.jsonl");
      expect(runBinary(["demo", "--audit-log", logPath]).status).toBe(0);
      const audit = runBinary(["audit", logPath]);
      expect(audit.status).toBe(0);
      expect(audit.stdout).toMatch(/VERDICT vbd\/2\/51712: blkif\.request_index_sane confirmed, blamed frontend\(domain 2\)/);
      expect(audit.stdout).toMatch(/3 verdicts, 3 resets, 0 invalid lines/);
      const unusable = runBinary(["demo", "--audit-log", join(directory, "missing", "audit.jsonl")]);
      expect(unusable.status).toBe(2);
      expect(unusable.stderr.trim().split("\n")).toHaveLength(1);
      expect(unusable.stderr).toContain("cannot use the audit log");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
