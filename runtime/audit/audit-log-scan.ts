// Classifies the text of an audit log into valid records, recovered torn fragments, a torn
// tail and problems. Pure: the reader and the writer do the I/O and call this.
import { describeInvalidAuditRecord, type AuditRecord } from "./audit-record.js";

export const auditProblemCodes = {
  notJson: { code: "PDA100", slug: "audit-line-not-json" },
  invalidRecord: { code: "PDA101", slug: "audit-record-invalid" },
  sequenceOutOfOrder: { code: "PDA102", slug: "audit-sequence-out-of-order" },
} as const;

export interface AuditLogProblem {
  readonly code: string;
  readonly slug: string;
  /** 1-based line number in the file. */
  readonly line: number;
  readonly message: string;
}

export interface AuditLogScan {
  readonly records: readonly AuditRecord[];
  readonly problems: readonly AuditLogProblem[];
  /** Partial lines from earlier crashes that a later open terminated and declared. */
  readonly recoveredFragments: number;
  /** Bytes after the last newline: a write cut short by a crash, skipped and never rewritten. */
  readonly tornTailBytes: number;
}

function parseJson(line: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false } {
  try {
    return { ok: true, value: JSON.parse(line) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * True when `next` is the log-opened record a writer appends after terminating a torn line of
 * exactly `bytes` bytes; that is how a fragment in the middle of the file is told apart from
 * corruption.
 */
function declaresFragment(next: string | undefined, bytes: number): boolean {
  if (next === undefined) return false;
  const parsed = parseJson(next);
  if (!parsed.ok) return false;
  const value = parsed.value as { readonly kind?: unknown; readonly tornFragmentBytes?: unknown } | null;
  return value !== null && typeof value === "object" && value.kind === "log-opened" && value.tornFragmentBytes === bytes && describeInvalidAuditRecord(value) === undefined;
}

export function scanAuditLogText(text: string): AuditLogScan {
  const lines = text.split("\n");
  // The element after the last newline is either "" (clean end) or a torn tail.
  const tail = lines.pop() ?? "";
  const records: AuditRecord[] = [];
  const problems: AuditLogProblem[] = [];
  let recoveredFragments = 0;
  let lastSeq = -1;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const lineNumber = index + 1;
    if (declaresFragment(lines[index + 1], Buffer.byteLength(line, "utf8"))) {
      recoveredFragments++;
      continue;
    }
    const parsed = parseJson(line);
    if (!parsed.ok) {
      problems.push({ ...auditProblemCodes.notJson, line: lineNumber, message: `line ${lineNumber} is not JSON and no log-opened record declares it as a torn fragment` });
      continue;
    }
    const invalid = describeInvalidAuditRecord(parsed.value);
    if (invalid !== undefined) {
      problems.push({ ...auditProblemCodes.invalidRecord, line: lineNumber, message: `line ${lineNumber}: ${invalid}` });
      continue;
    }
    const record = parsed.value as AuditRecord;
    if (record.seq <= lastSeq) {
      problems.push({ ...auditProblemCodes.sequenceOutOfOrder, line: lineNumber, message: `line ${lineNumber}: seq ${record.seq} does not follow seq ${lastSeq}` });
      continue;
    }
    lastSeq = record.seq;
    records.push(record);
  }
  return { records, problems, recoveredFragments, tornTailBytes: Buffer.byteLength(tail, "utf8") };
}

/**
 * The highest valid seq among the complete lines of `text` (a tail of the file whose first
 * line may be partial unless `startsAtFileStart`), or undefined when none is found.
 */
export function findLastSequenceNumber(text: string, startsAtFileStart: boolean): number | undefined {
  const lines = text.split("\n");
  lines.pop();
  const firstComplete = startsAtFileStart ? 0 : 1;
  for (let index = lines.length - 1; index >= firstComplete; index--) {
    const parsed = parseJson(lines[index] ?? "");
    if (parsed.ok && describeInvalidAuditRecord(parsed.value) === undefined) return (parsed.value as AuditRecord).seq;
  }
  return undefined;
}
