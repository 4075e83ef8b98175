// The engine's shared fallbacks that the generated blkif MonitorSpec does not use (one event
// budget for both roles waived while the rings progress, one xenstore quota clause, a silent
// pair, a short handshake deadline): the generated spec plus those settings under test-only
// clause ids, with the generated per-role budgets and quota clauses removed so the fallbacks
// apply. The generated clauses themselves are tested in generated-clauses.test.ts.

import type { MonitorSpec } from "../../runtime/monitor/index.js";

export const engineAuditClauseIds = {
  eventFlood: "engine-audit.event_flood",
  storeQuota: "engine-audit.store_quota",
  silence: "engine-audit.silence",
  handshakeDeadline: "engine-audit.handshake_deadline",
} as const;

export const engineAuditSettings = {
  eventFlood: { maximumEvents: 64, windowMilliseconds: 100 },
  silenceMilliseconds: 5000,
  handshakeDeadlineMilliseconds: 2000,
} as const;

/** `spec` with the engine's four audits switched on under the test-only clause ids above. */
export function addEngineAudits(spec: MonitorSpec): MonitorSpec {
  const testOnly = (id: string, summary: string) => ({ id, ownerRole: spec.roles[0], specSpan: "test/policer/engine-audit-spec.ts:1:1", summary: `${summary} (test-only clause)` });
  return {
    ...spec,
    clauses: [
      ...spec.clauses,
      testOnly(engineAuditClauseIds.eventFlood, "no notification storm without ring progress"),
      testOnly(engineAuditClauseIds.storeQuota, "a party stays within its xenstore quota"),
      testOnly(engineAuditClauseIds.silence, "someone makes progress before the handshake ends"),
      testOnly(engineAuditClauseIds.handshakeDeadline, "the handshake finishes in time"),
    ],
    lifecycle: { ...spec.lifecycle, handshakeDeadline: { clauseId: engineAuditClauseIds.handshakeDeadline, milliseconds: engineAuditSettings.handshakeDeadlineMilliseconds } },
    eventFlood: { clauseId: engineAuditClauseIds.eventFlood, ...engineAuditSettings.eventFlood },
    // The generated per-role budgets and quota clauses would take precedence over the shared ones tested here.
    eventBudgets: [],
    storeQuotaClauseId: engineAuditClauseIds.storeQuota,
    storeQuotaClauses: [],
    silence: { clauseId: engineAuditClauseIds.silence, milliseconds: engineAuditSettings.silenceMilliseconds },
  };
}
