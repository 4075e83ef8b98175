// The records of the append-only audit log: one per policy decision, complaint, verdict and
// reset, plus a marker each time the log is opened. Also the validator the reader uses.

/** JSON values, for evidence that the policer attaches to complaints and verdicts. */
export type AuditJsonValue = null | boolean | number | string | readonly AuditJsonValue[] | { readonly [key: string]: AuditJsonValue };

/** A party of a connection, as blame and resets name it. */
export interface AuditParty {
  readonly role: string;
  readonly domainId: number;
}

interface AuditRecordHeader {
  /** Strictly increasing across the whole life of the file, also across restarts. */
  readonly seq: number;
  /** Milliseconds from the clock injected into the writer (virtual in tests). */
  readonly time: number;
}

/** Written first after every open; `tornFragmentBytes` > 0 means a crash left a partial line. */
export interface AuditLogOpenedRecord extends AuditRecordHeader {
  readonly kind: "log-opened";
  readonly tornFragmentBytes: number;
}

/** One access-control decision, allowed or denied, with the rule that decided it. */
export interface AuditDecisionRecord extends AuditRecordHeader {
  readonly kind: "decision";
  /** What was asked: an RBAC operation (connect, ...) or a hook (evtchn-bind, grant-map, ...). */
  readonly operation: string;
  /** The principal that asked, when there is one (hooks act for a domain, not a principal). */
  readonly principal: string | null;
  /** The domains and resources involved, as the decision names them. */
  readonly subjects: readonly string[];
  readonly allowed: boolean;
  readonly rule: string;
  readonly ruleKind: string;
  readonly reason: string;
}

/** A party's runtime library (or the policer's own audit) reports a broken guarantee. */
export interface AuditComplaintRecord extends AuditRecordHeader {
  readonly kind: "complaint";
  readonly connection: string;
  readonly complainer: AuditParty;
  readonly accused: AuditParty;
  /** The guarantee's stable clause id, e.g. `blkif.segments_granted`. */
  readonly clause: string;
  readonly evidence: AuditJsonValue;
}

/** The policer's judgement: who is blamed, and whether the complaint it answers held. */
export interface AuditVerdictRecord extends AuditRecordHeader {
  readonly kind: "verdict";
  readonly connection: string;
  readonly clause: string;
  /** The complaint this verdict answers, or null when the policer found the violation itself. */
  readonly complaintSeq: number | null;
  readonly confirmed: boolean;
  readonly blamed: AuditParty;
  readonly reason: string;
  readonly evidence: AuditJsonValue;
}

/** A forced reset of the blamed party and what it involved. */
export interface AuditResetRecord extends AuditRecordHeader {
  readonly kind: "reset";
  readonly connection: string;
  readonly party: AuditParty;
  /** Steps taken, in order, e.g. "revoke-grants", "close-evtchn", "state-closed". */
  readonly actions: readonly string[];
  readonly quarantined: boolean;
}

export type AuditRecord = AuditLogOpenedRecord | AuditDecisionRecord | AuditComplaintRecord | AuditVerdictRecord | AuditResetRecord;
export type AuditRecordKind = AuditRecord["kind"];

/** What callers hand to the writer: a record without the header the writer assigns. */
export type AuditEntry =
  | Omit<AuditDecisionRecord, "seq" | "time">
  | Omit<AuditComplaintRecord, "seq" | "time">
  | Omit<AuditVerdictRecord, "seq" | "time">
  | Omit<AuditResetRecord, "seq" | "time">;

type JsonObject = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isParty(value: unknown): value is AuditParty {
  return isObject(value) && typeof value["role"] === "string" && isNonNegativeInteger(value["domainId"]);
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === "string");
}

function isJsonValue(value: unknown, depth = 0): value is AuditJsonValue {
  if (depth > 64) return false;
  if (value === null || typeof value === "boolean" || typeof value === "string") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((entry) => isJsonValue(entry, depth + 1));
  if (isObject(value)) return Object.values(value).every((entry) => isJsonValue(entry, depth + 1));
  return false;
}

/**
 * Checks that a parsed JSON value is a well-formed audit record; returns a sentence saying
 * what is wrong, or undefined when it is valid.
 */
export function describeInvalidAuditRecord(value: unknown): string | undefined {
  if (!isObject(value)) return "a record must be a JSON object";
  if (!isNonNegativeInteger(value["seq"])) return "seq must be a non-negative integer";
  if (typeof value["time"] !== "number" || !Number.isFinite(value["time"])) return "time must be a finite number";
  const kind = value["kind"];
  switch (kind) {
    case "log-opened":
      return isNonNegativeInteger(value["tornFragmentBytes"]) ? undefined : "log-opened needs tornFragmentBytes (non-negative integer)";
    case "decision":
      if (typeof value["operation"] !== "string") return "decision needs operation (string)";
      if (value["principal"] !== null && typeof value["principal"] !== "string") return "decision needs principal (string or null)";
      if (!isStringArray(value["subjects"])) return "decision needs subjects (array of strings)";
      if (typeof value["allowed"] !== "boolean") return "decision needs allowed (boolean)";
      if (typeof value["rule"] !== "string" || typeof value["ruleKind"] !== "string" || typeof value["reason"] !== "string") return "decision needs rule, ruleKind and reason (strings)";
      return undefined;
    case "complaint":
      if (typeof value["connection"] !== "string" || typeof value["clause"] !== "string") return "complaint needs connection and clause (strings)";
      if (!isParty(value["complainer"]) || !isParty(value["accused"])) return "complaint needs complainer and accused ({ role, domainId })";
      return isJsonValue(value["evidence"]) ? undefined : "complaint needs evidence (JSON value)";
    case "verdict":
      if (typeof value["connection"] !== "string" || typeof value["clause"] !== "string" || typeof value["reason"] !== "string") return "verdict needs connection, clause and reason (strings)";
      if (value["complaintSeq"] !== null && !isNonNegativeInteger(value["complaintSeq"])) return "verdict needs complaintSeq (integer or null)";
      if (typeof value["confirmed"] !== "boolean") return "verdict needs confirmed (boolean)";
      if (!isParty(value["blamed"])) return "verdict needs blamed ({ role, domainId })";
      return isJsonValue(value["evidence"]) ? undefined : "verdict needs evidence (JSON value)";
    case "reset":
      if (typeof value["connection"] !== "string") return "reset needs connection (string)";
      if (!isParty(value["party"])) return "reset needs party ({ role, domainId })";
      if (!isStringArray(value["actions"])) return "reset needs actions (array of strings)";
      return typeof value["quarantined"] === "boolean" ? undefined : "reset needs quarantined (boolean)";
    default:
      return `unknown record kind ${JSON.stringify(kind)}`;
  }
}
