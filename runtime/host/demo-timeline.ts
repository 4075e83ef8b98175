// The demo host's timeline: one event per step a person watching the host should see
// (handshake, traffic, violation, verdict, reset, recovery, denial), stamped with the virtual
// clock, as plain data the CLI prints as text or as JSON lines.

export type DemoStage =
  | "host"
  | "policy"
  | "connect"
  | "handshake"
  | "traffic"
  | "attack"
  | "violation"
  | "verdict"
  | "reset"
  | "recovery"
  | "denied"
  | "summary";

export type DemoScenario = "setup" | "honest" | "malicious-frontend" | "malicious-backend" | "false-complaint" | "denied" | "summary";

export type DemoDetailValue = string | number | boolean | null | readonly string[];

export interface DemoTimelineEvent {
  /** 1, 2, 3, … in the order things happened. */
  readonly seq: number;
  /** Milliseconds on the host's virtual clock. */
  readonly time: number;
  readonly scenario: DemoScenario;
  readonly stage: DemoStage;
  /** One readable sentence. */
  readonly message: string;
  readonly detail: Readonly<Record<string, DemoDetailValue>>;
}

export interface DemoVerdictSummary {
  readonly scenario: DemoScenario;
  readonly clauseId: string;
  readonly specSpan: string;
  readonly blamedRole: string;
  readonly blamedDomainId: number;
  readonly confirmed: boolean;
}

export interface DemoSummary {
  readonly requestsAnswered: number;
  readonly requestsReissued: number;
  readonly verdicts: readonly DemoVerdictSummary[];
  readonly policyDenials: readonly string[];
  /** Verdicts during honest traffic: the demo fails if this is not zero. */
  readonly honestBlames: number;
  readonly auditRecords: number;
}
