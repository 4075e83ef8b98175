// Problems a split-driver connection reports instead of throwing: a stable code, a sentence
// saying what went wrong, and the store path or ring index it concerns.

export type ConnectionProblemCode =
  | "connection-store-failed"
  | "connection-bad-peer-key"
  | "connection-grant-failed"
  | "connection-event-channel-failed"
  | "connection-ring-fault"
  | "connection-unknown-response-id"
  | "connection-handler-failed"
  | "connection-own-key-refused"
  | "connection-peer-reset"
  | "connection-closed";

export interface ConnectionProblem {
  readonly code: ConnectionProblemCode;
  readonly message: string;
  /** The store path, ring index or id the problem concerns, when there is one. */
  readonly location?: string;
}

/** The rejection reason of a request that will never be answered on this connection. */
export class ConnectionRequestFailed extends Error {
  constructor(readonly problem: ConnectionProblem) {
    super(`${problem.code}: ${problem.message}`);
    this.name = "ConnectionRequestFailed";
  }
}

export type ConnectionProblemListener = (problem: ConnectionProblem) => void;
