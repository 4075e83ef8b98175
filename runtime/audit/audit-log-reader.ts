// Reads an audit log file and validates every line; torn fragments from crashes are skipped
// and counted, anything else that is wrong is reported as a problem with its line number.
import { readFileSync } from "node:fs";
import { scanAuditLogText, type AuditLogScan } from "./audit-log-scan.js";

export function readAuditLog(path: string): AuditLogScan {
  return scanAuditLogText(readFileSync(path, "utf8"));
}
