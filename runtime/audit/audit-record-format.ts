// Renders audit records as single readable lines, for `proto-desc audit`, the demo's
// timeline and test failure messages. Pure.
import type { AuditParty, AuditRecord } from "./audit-record.js";

export function formatAuditParty(party: AuditParty): string {
  return `${party.role}(domain ${party.domainId})`;
}

/** One readable line per record; the reason comes last because it is the longest part. */
export function formatAuditRecord(record: AuditRecord): string {
  const head = `#${record.seq} @${record.time}`;
  switch (record.kind) {
    case "log-opened":
      return `${head} log opened${record.tornFragmentBytes > 0 ? ` (skipped a torn line of ${record.tornFragmentBytes} bytes left by a crash)` : ""}`;
    case "decision":
      return `${head} ${record.allowed ? "ALLOW" : "DENY"} ${record.operation}${record.principal === null ? "" : ` by ${record.principal}`} [${record.subjects.join(", ")}] ${record.rule}: ${record.reason}`;
    case "complaint":
      return `${head} COMPLAINT ${record.connection}: ${formatAuditParty(record.complainer)} accuses ${formatAuditParty(record.accused)} of ${record.clause}`;
    case "verdict":
      return `${head} VERDICT ${record.connection}: ${record.clause} ${record.confirmed ? "confirmed" : "not confirmed"}, blamed ${formatAuditParty(record.blamed)}${record.complaintSeq === null ? "" : ` (complaint #${record.complaintSeq})`}: ${record.reason}`;
    case "reset":
      return `${head} RESET ${record.connection}: ${formatAuditParty(record.party)} ${record.actions.join(", ")}${record.quarantined ? " (quarantined)" : ""}`;
    default: {
      const unreachable: never = record;
      return `${head} ${JSON.stringify(unreachable)}`;
    }
  }
}

