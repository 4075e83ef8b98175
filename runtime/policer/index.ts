// Public entry of runtime/policer: the policer, complaints, verdicts and reset notices.

export { Policer, type PolicerOptions, type PolicedConnectionOptions, type PolicedRingPages, type PolicedConnectionStatus, type AttachResult, type PolicerTimers, type ComplaintRefusal } from "./policer.js";
export type { Complaint, PolicerVerdict, PeerResetNotice } from "./complaint.js";
export { judgeComplaint, type ComplaintJudgement } from "./arbitrate-complaint.js";
