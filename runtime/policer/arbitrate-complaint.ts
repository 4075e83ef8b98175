// Decides a complaint once the policer's re-check has run: which recorded violation, if any,
// confirms it, and why not when none does. Pure: the policer does the snapshot, freeze and reset.

import type { MonitorClause, Violation } from "../monitor/index.js";

export type ComplaintJudgement =
  | { readonly confirmed: true; readonly violation: Violation }
  | { readonly confirmed: false; readonly reason: string };

/**
 * A complaint against `accusedRole` under `clause` is confirmed by a violation of that clause
 * the monitor blamed on the accused. For a clause with a fixed owner the accused must own it,
 * or the complaint is a false accusation without looking further; for a clause whose blame is
 * decided when it fires (lifecycle moves, the handshake deadline) the monitor's blame is the
 * only authority, so the same code that produces observed verdicts judges the complaint.
 */
export function judgeComplaint(clause: MonitorClause, accusedRole: string, violations: readonly Violation[]): ComplaintJudgement {
  if (clause.blameDecidedWhenFired !== true && clause.ownerRole !== accusedRole) {
    return { confirmed: false, reason: `false accusation: ${clause.id} is owned by the ${clause.ownerRole}, not the accused ${accusedRole}` };
  }
  const violation = violations.find((candidate) => candidate.clauseId === clause.id && candidate.blamedRole === accusedRole);
  if (violation !== undefined) return { confirmed: true, violation };
  return { confirmed: false, reason: `false accusation: the policer's re-check of ${clause.id} (${clause.specSpan}) against shared state finds no violation by the ${accusedRole}` };
}
