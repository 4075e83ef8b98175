// The policer finds what nobody reports on its own schedule (seeded scheduler, virtual time),
// and its complaints, verdicts and resets land in the real append-only audit log file.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import { readAuditLog } from "../../runtime/audit/audit-log-reader.js";
import { Policer } from "../../runtime/policer/index.js";
import { SeededScheduler, VirtualClock } from "../../runtime/time/index.js";
import { connectionName, createBlkifHost, issueRequest, serveRequests, collectResponses } from "./blkif-host.js";

describe("the policer's audit schedule", () => {
  it("finds a stalled backend without being asked, and nothing on an honest connection", () => {
    const scheduler = new SeededScheduler(7);
    const host = createBlkifHost({ clock: scheduler.clock });
    const window = host.wire.ring.progress?.milliseconds ?? 0;
    expect(window).toBeGreaterThan(0);
    const stop = host.policer.startAuditSchedule(scheduler, 250);
    issueRequest(host, 1, 1);
    scheduler.runUntil(window - 100);
    serveRequests(host);
    collectResponses(host);
    scheduler.runUntil(window + 5000);
    expect(host.verdicts).toEqual([]);
    issueRequest(host, 1, 1);
    scheduler.runUntil(2 * window + 5500);
    expect(host.verdicts.map((verdict) => [verdict.clauseId, verdict.blamed.role, verdict.complaintSeq])).toEqual([["blkif.io.progress", "backend", null]]);
    stop();
    expect(() => host.policer.startAuditSchedule(scheduler, 0)).toThrow(RangeError);
  });
});

describe("the audit log", () => {
  it("holds the complaint, the verdict and the reset, in order, in the JSON-lines file", () => {
    const directory = mkdtempSync(join(tmpdir(), "policer-audit-"));
    try {
      const path = join(directory, "audit.jsonl");
      const host = createBlkifHost();
      const clock = new VirtualClock(10);
      const writer = AuditLogWriter.open(path, { now: () => clock.now() });
      const policer = new Policer({ hypervisor: host.hypervisor, store: host.store, clock: host.clock, audit: writer });
      host.policer.close();
      const attached = policer.attach({
        name: connectionName,
        spec: host.policer.monitorOf(connectionName)?.spec ?? (() => { throw new Error("no spec"); })(),
        parties: host.policer.monitorOf(connectionName)?.parties ?? (() => { throw new Error("no parties"); })(),
        ringPages: [{ granterRole: "frontend", references: [host.ringReference] }],
      });
      expect(attached).toEqual({ ok: true });
      const verdict = policer.complain({ connection: connectionName, complainerRole: "frontend", clauseId: "blkif.io.response_id_known", evidence: { claimed: "response 12 unknown" } });
      expect(verdict).toMatchObject({ confirmed: false, blamed: { role: "frontend" } });
      writer.close();
      const scan = readAuditLog(path);
      expect(scan.problems).toEqual([]);
      expect(scan.records.map((record) => record.kind)).toEqual(["log-opened", "complaint", "verdict", "reset"]);
      const complaint = scan.records[1];
      expect(scan.records[2]).toMatchObject({ kind: "verdict", complaintSeq: complaint?.seq, confirmed: false, blamed: { role: "frontend", domainId: 1 } });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
