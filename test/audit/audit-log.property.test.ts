import { mkdtempSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readAuditLog } from "../../runtime/audit/audit-log-reader.js";
import { scanAuditLogText } from "../../runtime/audit/audit-log-scan.js";
import { AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import type { AuditEntry } from "../../runtime/audit/audit-record.js";

const entryArbitrary: fc.Arbitrary<AuditEntry> = fc.oneof(
  fc.record({
    kind: fc.constant("decision" as const),
    operation: fc.constantFrom("connect", "grant-map", "evtchn-bind"),
    principal: fc.option(fc.string(), { nil: null }),
    subjects: fc.array(fc.string({ unit: "grapheme" }), { maxLength: 3 }),
    allowed: fc.boolean(),
    rule: fc.string(),
    ruleKind: fc.string(),
    reason: fc.string({ unit: "grapheme" }),
  }),
  fc.record({
    kind: fc.constant("reset" as const),
    connection: fc.string(),
    party: fc.record({ role: fc.constantFrom("frontend", "backend"), domainId: fc.nat(0x7fef) }),
    actions: fc.array(fc.string(), { maxLength: 4 }),
    quarantined: fc.boolean(),
  }),
);

describe("audit log crash consistency", () => {
  it("after a crash at any byte, the reader returns exactly the records whose lines were complete, and a reopen continues cleanly", () => {
    fc.assert(
      fc.property(fc.array(entryArbitrary, { minLength: 1, maxLength: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), entryArbitrary, (entries, cutFraction, afterRestart) => {
        const directory = mkdtempSync(join(tmpdir(), "proto-desc-audit-property-"));
        try {
          const path = join(directory, "audit.jsonl");
          const writer = AuditLogWriter.open(path, { now: () => 0 });
          for (const entry of entries) writer.append(entry);
          writer.close();
          const full = readFileSync(path);
          const cut = Math.floor(full.length * cutFraction);
          truncateSync(path, cut);
          const completeLines = full.subarray(0, cut).toString("utf8").split("\n").length - 1;
          const afterCrash = readAuditLog(path);
          expect(afterCrash.problems).toEqual([]);
          expect(afterCrash.records).toHaveLength(completeLines);
          const reopened = AuditLogWriter.open(path, { now: () => 1 });
          const appended = reopened.append(afterRestart);
          reopened.close();
          const afterReopen = readAuditLog(path);
          expect(afterReopen.problems).toEqual([]);
          expect(afterReopen.tornTailBytes).toBe(0);
          expect(afterReopen.records.slice(0, completeLines)).toEqual(afterCrash.records);
          expect(afterReopen.records.at(-1)).toEqual(appended);
          expect(appended.seq).toBe(completeLines + 2);
        } finally {
          rmSync(directory, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });

  it("the scanner never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const scan = scanAuditLogText(text);
        expect(scan.records.length + scan.problems.length + scan.recoveredFragments).toBeLessThanOrEqual(text.split("\n").length);
      }),
      { numRuns: 500 },
    );
  });
});
