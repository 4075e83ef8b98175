import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAuditLog } from "../../runtime/audit/audit-log-reader.js";
import { scanAuditLogText } from "../../runtime/audit/audit-log-scan.js";
import { AuditLogLockedError, AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import type { AuditEntry } from "../../runtime/audit/audit-record.js";

let directory: string;
let virtualTime: number;
const now = (): number => virtualTime;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "proto-desc-audit-"));
  virtualTime = 1_000;
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const denyConnect: AuditEntry = {
  kind: "decision",
  operation: "connect",
  principal: "driver",
  subjects: ["domain 'sandbox'", "domain 'driver'"],
  allowed: false,
  rule: "type-enforcement:disjoint-types",
  ruleKind: "type-enforcement",
  reason: "no type in common",
};
const complaint: AuditEntry = {
  kind: "complaint",
  connection: "vbd/1/51712",
  complainer: { role: "frontend", domainId: 1 },
  accused: { role: "backend", domainId: 2 },
  clause: "blkif.padding_zero",
  evidence: { slot: 3, bytes: [0, 255], note: "padding byte 11 is 0xff" },
};
const verdict: AuditEntry = {
  kind: "verdict",
  connection: "vbd/1/51712",
  clause: "blkif.padding_zero",
  complaintSeq: 3,
  confirmed: true,
  blamed: { role: "backend", domainId: 2 },
  reason: "the policer read the slot itself and found byte 11 non-zero",
  evidence: null,
};
const reset: AuditEntry = {
  kind: "reset",
  connection: "vbd/1/51712",
  party: { role: "backend", domainId: 2 },
  actions: ["revoke-grants", "close-evtchn", "state-closed"],
  quarantined: true,
};

describe("audit log writer and reader", () => {
  it("writes one JSON line per record with increasing seq and the injected time", () => {
    const path = join(directory, "audit.jsonl");
    const writer = AuditLogWriter.open(path, { now });
    virtualTime = 1_005;
    const written = [denyConnect, complaint, verdict, reset].map((entry) => writer.append(entry));
    writer.close();
    expect(written.map((record) => record.seq)).toEqual([2, 3, 4, 5]);
    const text = readFileSync(path, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(6);
    const scan = readAuditLog(path);
    expect(scan.problems).toEqual([]);
    expect(scan.records.map((record) => record.kind)).toEqual(["log-opened", "decision", "complaint", "verdict", "reset"]);
    expect(scan.records[0]).toEqual({ seq: 1, time: 1_000, kind: "log-opened", tornFragmentBytes: 0 });
    expect(scan.records[1]).toEqual({ seq: 2, time: 1_005, ...denyConnect });
    expect(scan.records[2]).toEqual({ seq: 3, time: 1_005, ...complaint });
  });

  it("each record is on disk as soon as append returns (no buffering)", () => {
    const path = join(directory, "audit.jsonl");
    const writer = AuditLogWriter.open(path, { now, durability: "fsync" });
    writer.append(denyConnect);
    expect(readAuditLog(path).records).toHaveLength(2);
    writer.close();
  });

  it("survives a restart: reopening appends and continues the sequence", () => {
    const path = join(directory, "audit.jsonl");
    const first = AuditLogWriter.open(path, { now });
    first.append(denyConnect);
    first.close();
    const before = readFileSync(path, "utf8");
    const second = AuditLogWriter.open(path, { now });
    second.append(reset);
    second.close();
    const after = readFileSync(path, "utf8");
    expect(after.startsWith(before)).toBe(true);
    const scan = readAuditLog(path);
    expect(scan.problems).toEqual([]);
    expect(scan.records.map((record) => [record.seq, record.kind])).toEqual([
      [1, "log-opened"],
      [2, "decision"],
      [3, "log-opened"],
      [4, "reset"],
    ]);
  });

  it("detects a torn last line on read and skips it", () => {
    const path = join(directory, "audit.jsonl");
    const writer = AuditLogWriter.open(path, { now });
    writer.append(denyConnect);
    writer.append(complaint);
    writer.close();
    const full = readFileSync(path);
    // Simulate a crash in the middle of writing the last record.
    truncateSync(path, full.length - 20);
    const scan = readAuditLog(path);
    expect(scan.problems).toEqual([]);
    expect(scan.tornTailBytes).toBeGreaterThan(0);
    expect(scan.records.map((record) => record.kind)).toEqual(["log-opened", "decision"]);
  });

  it("reopening after a torn line terminates it, keeps its bytes, declares it and reuses its seq", () => {
    const path = join(directory, "audit.jsonl");
    const writer = AuditLogWriter.open(path, { now });
    writer.append(denyConnect);
    writer.close();
    const fragment = '{"seq":3,"time":1000,"kind":"comp';
    appendFileSync(path, fragment);
    const beforeReopen = readFileSync(path, "utf8");
    const reopened = AuditLogWriter.open(path, { now });
    const record = reopened.append(verdict);
    reopened.close();
    expect(record.seq).toBe(4);
    const text = readFileSync(path, "utf8");
    expect(text.startsWith(beforeReopen)).toBe(true);
    const scan = readAuditLog(path);
    expect(scan.problems).toEqual([]);
    expect(scan.recoveredFragments).toBe(1);
    expect(scan.tornTailBytes).toBe(0);
    expect(scan.records.map((entry) => entry.kind)).toEqual(["log-opened", "decision", "log-opened", "verdict"]);
    expect(scan.records[2]).toMatchObject({ kind: "log-opened", tornFragmentBytes: Buffer.byteLength(fragment) });
  });

  it("treats a complete but unterminated last record as torn (its write never returned)", () => {
    const path = join(directory, "audit.jsonl");
    writeFileSync(path, `${JSON.stringify({ seq: 1, time: 0, kind: "log-opened", tornFragmentBytes: 0 })}\n${JSON.stringify({ seq: 2, time: 0, kind: "log-opened", tornFragmentBytes: 0 })}`);
    expect(readAuditLog(path).records).toHaveLength(1);
    const writer = AuditLogWriter.open(path, { now });
    expect(writer.upcomingSeq).toBe(3);
    writer.close();
    const scan = readAuditLog(path);
    expect(scan.recoveredFragments).toBe(1);
    expect(scan.records.map((record) => record.seq)).toEqual([1, 2]);
  });

  it("recovers when the whole file is one torn fragment", () => {
    const path = join(directory, "audit.jsonl");
    writeFileSync(path, '{"seq":1,"ti');
    const writer = AuditLogWriter.open(path, { now });
    writer.append(reset);
    writer.close();
    const scan = readAuditLog(path);
    expect(scan.problems).toEqual([]);
    expect(scan.records.map((record) => [record.seq, record.kind])).toEqual([[1, "log-opened"], [2, "reset"]]);
  });

  it("finds the last seq beyond the first tail chunk on reopen", () => {
    const path = join(directory, "audit.jsonl");
    const writer = AuditLogWriter.open(path, { now });
    for (let index = 0; index < 2_000; index++) writer.append(denyConnect);
    writer.close();
    appendFileSync(path, "x".repeat(70 * 1024));
    const reopened = AuditLogWriter.open(path, { now });
    expect(reopened.upcomingSeq).toBe(2_003);
    reopened.close();
    expect(readAuditLog(path).problems).toEqual([]);
  });
});

describe("audit log single writer", () => {
  it("refuses a second writer while the first is open, and allows one after close", () => {
    const path = join(directory, "audit.jsonl");
    const first = AuditLogWriter.open(path, { now });
    expect(() => AuditLogWriter.open(path, { now })).toThrow(AuditLogLockedError);
    expect(() => AuditLogWriter.open(path, { now })).toThrow(`audit log ${path} is already open for writing by process ${process.pid}`);
    first.close();
    AuditLogWriter.open(path, { now }).close();
    expect(readAuditLog(path).records.map((record) => record.seq)).toEqual([1, 2]);
  });

  it("takes over a lock left by a process that crashed", () => {
    const path = join(directory, "audit.jsonl");
    const finished = spawnSync(process.execPath, ["-e", ""]);
    writeFileSync(`${path}.lock`, String(finished.pid));
    const writer = AuditLogWriter.open(path, { now });
    writer.append(reset);
    writer.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(readAuditLog(path).records).toHaveLength(2);
  });
});

describe("audit log validation", () => {
  const good = (seq: number): string => JSON.stringify({ seq, time: 0, kind: "log-opened", tornFragmentBytes: 0 });

  it("reports non-JSON lines in the middle with their line number", () => {
    const scan = scanAuditLogText(`${good(1)}\ngarbage\n${good(2)}\n`);
    expect(scan.problems).toEqual([{ code: "PDA100", slug: "audit-line-not-json", line: 2, message: expect.stringContaining("line 2") }]);
    expect(scan.records).toHaveLength(2);
  });

  it("reports records of the wrong shape", () => {
    const lines = [
      { seq: 1, time: 0, kind: "decision", operation: "connect", principal: null, subjects: [], allowed: "yes", rule: "r", ruleKind: "k", reason: "x" },
      { seq: 2, time: 0, kind: "verdict", connection: "c", clause: "x", complaintSeq: null, confirmed: true, blamed: { role: "backend" }, reason: "r", evidence: null },
      { seq: 3, time: 0, kind: "reset", connection: "c", party: { role: "frontend", domainId: 1 }, actions: [1], quarantined: false },
      { seq: 4, time: 0, kind: "complaint", connection: "c", clause: "x", complainer: { role: "a", domainId: 1 }, accused: { role: "b", domainId: 2 } },
      { seq: -1, time: 0, kind: "log-opened", tornFragmentBytes: 0 },
      { seq: 6, time: 0, kind: "party" },
    ];
    const scan = scanAuditLogText(`${lines.map((line) => JSON.stringify(line)).join("\n")}\n`);
    expect(scan.records).toEqual([]);
    expect(scan.problems.map((problem) => problem.code)).toEqual(["PDA101", "PDA101", "PDA101", "PDA101", "PDA101", "PDA101"]);
    expect(scan.problems[1]?.message).toContain("blamed");
    expect(scan.problems[5]?.message).toContain('unknown record kind "party"');
  });

  it("reports a seq that does not increase", () => {
    const scan = scanAuditLogText(`${good(1)}\n${good(5)}\n${good(5)}\n${good(4)}\n${good(6)}\n`);
    expect(scan.problems.map((problem) => [problem.code, problem.line])).toEqual([["PDA102", 3], ["PDA102", 4]]);
    expect(scan.records.map((record) => record.seq)).toEqual([1, 5, 6]);
  });

  it("does not mistake a corrupt line for a fragment unless the next record declares its exact size", () => {
    const scan = scanAuditLogText(`${good(1)}\n{"seq":2\n${JSON.stringify({ seq: 3, time: 0, kind: "log-opened", tornFragmentBytes: 99 })}\n`);
    expect(scan.recoveredFragments).toBe(0);
    expect(scan.problems.map((problem) => problem.code)).toEqual(["PDA100"]);
  });
});
