// Public entry of runtime/monitor: the per-connection monitor engine, the spec it runs from and
// the violations it reports. Generated monitors and the policer import from here only.

export type { MonitorSpec, MonitorClause, MonitorRingChannel, MonitorGrantObligation, MonitorStoreKeyCondition, MonitorLifecycle, MonitorLifecycleTransition, MonitorEventFloodBudget, MonitorRoleEventBudget, MonitorStoreQuotaClause, MonitorIdField, MonitorMessageValidator } from "./monitor-spec.js";
export type { Violation, ViolationEvidence } from "./violation.js";
export { ConnectionMonitor, type ConnectionMonitorOptions, type MonitorParty, type MonitorGrantInspector, type MonitorHypervisorOperation } from "./connection-monitor.js";
export { OutstandingRequestTable, absentEntry } from "./outstanding-request-table.js";
export { PartyMonitor, type PartyMonitorOptions } from "./party-monitor.js";
