// What a party's runtime library sends the policer when it believes its peer broke a clause,
// and what the policer answers: the verdict, and the notice the honest peer receives.

import type { AuditJsonValue, AuditParty } from "../audit/audit-record.js";
import type { Violation } from "../monitor/index.js";

export interface Complaint {
  readonly connection: string;
  readonly complainerRole: string;
  readonly clauseId: string;
  readonly evidence: AuditJsonValue;
}

export interface PolicerVerdict {
  readonly connection: string;
  readonly clauseId: string;
  /** The audit-log seq of the complaint answered, or null when the policer found it itself. */
  readonly complaintSeq: number | null;
  /** For a complaint: whether the policer's own re-check found the violation. */
  readonly confirmed: boolean;
  readonly blamed: AuditParty;
  readonly reason: string;
  /** The monitor's violation behind a confirmed verdict. */
  readonly violation: Violation | null;
}

/** Sent to the honest peer once the blamed party is reset, so it can reconnect. */
export interface PeerResetNotice {
  readonly connection: string;
  readonly honest: AuditParty;
  readonly blamed: AuditParty;
  readonly clauseId: string;
  /** Requests the honest requester had in flight: re-issue after reconnecting, or fail them. */
  readonly inFlightRequestIds: readonly string[];
}
