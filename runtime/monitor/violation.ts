// What a monitor reports when a clause is broken: the clause, where it is written, the role
// blamed, and evidence precise enough for the policer to re-check it and for a person to read.

export interface ViolationEvidence {
  readonly ring?: string;
  /** The ring index (request or response) the offending message was published at. */
  readonly index?: number;
  /** Header indices read at the time, when they matter. */
  readonly requestProducer?: number;
  readonly responseProducer?: number;
  /** The offending slot bytes as hex, when a message is involved. */
  readonly bytes?: string;
  readonly messageId?: string;
  readonly grantReference?: number;
  readonly state?: number;
  readonly path?: string;
  readonly detail: string;
}

export interface Violation {
  readonly protocol: string;
  readonly clauseId: string;
  readonly specSpan: string;
  readonly blamedRole: string;
  /** Milliseconds on the monitor's clock when it was detected. */
  readonly time: number;
  readonly evidence: ViolationEvidence;
}

/** Hex of a slot, for evidence (allocates: only built once a violation is found). */
export function formatBytesAsHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
