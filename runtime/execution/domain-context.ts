// The one API a domain's code runs against, whichever execution hosts it: its memory, its
// hypercalls, and the event-channel data plane (notify, consume, wait). In-process it runs on
// the seeded scheduler's virtual time; on a worker thread, on real time with Atomics.

import type { DomainId, EventChannelResult, EventSent } from "../hypervisor/index.js";
import type { DomainHypercalls } from "./domain-hypercalls.js";

export type ExecutionKind = "in-process" | "worker-threads";

export interface DomainContext {
  readonly domainId: DomainId;
  readonly execution: ExecutionKind;
  /** The domain's whole memory; frame f starts at byte f * 4096. */
  readonly memory: Uint8Array;
  readonly hypercalls: DomainHypercalls;
  /** Milliseconds: virtual in-process, monotonic real time on worker threads. */
  now(): number;
  sleep(milliseconds: number): Promise<void>;
  /**
   * Sends on a local port (EVTCHNOP_send). Allocates nothing on success. On a worker thread
   * this is the shared-memory fast path: the policy verdict is the one cached at bind time
   * and the send is counted in the table, not published to observers.
   */
  notify(port: number): EventChannelResult<EventSent>;
  /** Clears the port's pending bit; true when it was set. */
  consumeEvent(port: number): boolean;
  /** Resolves once the port's pending bit was found set (and cleared). Re-check rings after. */
  waitForEvent(port: number): Promise<void>;
}

/** A domain's program: the same function runs in-process or as a worker's entry. */
export type DomainProgram<Input, Output> = (context: DomainContext, input: Input) => Promise<Output>;
