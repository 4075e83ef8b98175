import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import { runBinary } from "../support/run-cli.js";

let directory: string;
let logPath: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "proto-desc-audit-cli-"));
  logPath = join(directory, "audit.jsonl");
  const writer = AuditLogWriter.open(logPath, { now: () => 7 });
  writer.append({ kind: "decision", operation: "connect", principal: "xl", subjects: ["domain 1", "domain 2"], allowed: true, rule: "rbac-permission:toolstack/*/connect", ruleKind: "rbac-permission", reason: "principal 'xl' holds role 'toolstack'" });
  writer.append({ kind: "decision", operation: "grant-map", principal: null, subjects: ["domain 3", "domain 1"], allowed: false, rule: "type-enforcement:disjoint-types", ruleKind: "type-enforcement", reason: "no type in common" });
  writer.append({ kind: "complaint", connection: "vbd/1/51712", complainer: { role: "frontend", domainId: 1 }, accused: { role: "backend", domainId: 2 }, clause: "blkif.padding_zero", evidence: { slot: 3 } });
  writer.append({ kind: "verdict", connection: "vbd/1/51712", clause: "blkif.padding_zero", complaintSeq: 4, confirmed: true, blamed: { role: "backend", domainId: 2 }, reason: "padding byte 11 is 0xff", evidence: null });
  writer.append({ kind: "reset", connection: "vbd/1/51712", party: { role: "backend", domainId: 2 }, actions: ["revoke-grants", "close-evtchn", "state-closed"], quarantined: true });
  writer.close();
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("proto-desc audit", () => {
  it("prints every record readably with a summary and exits 0", () => {
    const run = runBinary(["audit", logPath]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.split("\n")).toEqual([
      "#1 @7 log opened",
      "#2 @7 ALLOW connect by xl [domain 1, domain 2] rbac-permission:toolstack/*/connect: principal 'xl' holds role 'toolstack'",
      "#3 @7 DENY grant-map [domain 3, domain 1] type-enforcement:disjoint-types: no type in common",
      "#4 @7 COMPLAINT vbd/1/51712: frontend(domain 1) accuses backend(domain 2) of blkif.padding_zero",
      "#5 @7 VERDICT vbd/1/51712: blkif.padding_zero confirmed, blamed backend(domain 2) (complaint #4): padding byte 11 is 0xff",
      "#6 @7 RESET vbd/1/51712: backend(domain 2) revoke-grants, close-evtchn, state-closed (quarantined)",
      "6 records, 2 decisions (1 denied), 1 complaints, 1 verdicts, 1 resets, 0 invalid lines",
      "",
    ]);
  });

  it("filters denied decisions and emits JSON lines", () => {
    const run = runBinary(["audit", logPath, "--denied", "--json"]);
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ seq: 3, kind: "decision", allowed: false });
    const verdicts = runBinary(["audit", logPath, "--kind", "verdict", "--json"]);
    expect(verdicts.stdout.trim().split("\n").map((line) => (JSON.parse(line) as { kind: string }).kind)).toEqual(["verdict"]);
  });

  it("reports invalid lines with their line number and exits 1; a torn tail is only noted", () => {
    const broken = join(directory, "broken.jsonl");
    writeFileSync(broken, `${JSON.stringify({ seq: 1, time: 0, kind: "log-opened", tornFragmentBytes: 0 })}\nnot json\n`);
    appendFileSync(broken, '{"seq":2,"ti');
    const run = runBinary(["audit", broken]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`${broken}:2: PDA100 line 2 is not JSON and no log-opened record declares it as a torn fragment\n`);
    expect(run.stdout).toContain("torn last line of 12 bytes skipped");
  });

  it("exits 2 with one line for a missing file, a missing argument and a bad option", () => {
    const missing = runBinary(["audit", join(directory, "nope.jsonl")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^proto-desc audit: cannot read '.*nope\.jsonl': ENOENT\n$/);
    expect(runBinary(["audit"]).stderr).toBe("proto-desc audit: missing the audit log path (run `proto-desc audit --help`)\n");
    const badKind = runBinary(["audit", logPath, "--kind", "rumour"]);
    expect(badKind.status).toBe(2);
    expect(badKind.stderr.split("\n")).toHaveLength(2);
  });
});
