// A DomainContext whose event-channel data plane works from any thread: notify, consume and
// wait touch only the shared event-channel table with Atomics, after a short adaptive spin.
// Hypercalls go wherever the given DomainHypercalls object sends them.

import { PortState, SendOutcome, eventChannelFailure, type DomainId, type EventChannelResult, type EventChannelTable, type EventSent } from "../hypervisor/index.js";
import { AdaptiveSpin } from "./adaptive-spin.js";
import type { DomainContext, ExecutionKind } from "./domain-context.js";
import type { DomainHypercalls } from "./domain-hypercalls.js";

const sentRaised: EventChannelResult<EventSent> = Object.freeze({ ok: true as const, raised: true });
const sentNotRaised: EventChannelResult<EventSent> = Object.freeze({ ok: true as const, raised: false });

/** How long one sleep lasts before re-checking, so a missed wake-up could never hang forever. */
const longestSleepMilliseconds = 1000;

export class SharedMemoryDomainContext implements DomainContext {
  readonly execution: ExecutionKind = "worker-threads";
  private readonly spin = new AdaptiveSpin();

  constructor(
    readonly domainId: DomainId,
    private readonly slot: number,
    private readonly table: EventChannelTable,
    readonly memory: Uint8Array,
    readonly hypercalls: DomainHypercalls,
  ) {}

  now(): number {
    return performance.now();
  }

  sleep(milliseconds: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, milliseconds));
  }

  notify(port: number): EventChannelResult<EventSent> {
    if (!this.table.isValidPort(port)) return eventChannelFailure("EINVAL", `port ${port} is not a valid port`);
    const outcome = this.table.send(this.slot, port);
    if (outcome === SendOutcome.deliveredNewPending) return sentRaised;
    if (outcome === SendOutcome.coalescedAlreadyPending || outcome === SendOutcome.droppedUnbound) return sentNotRaised;
    if (outcome === SendOutcome.deniedByPolicy) return eventChannelFailure("EACCES", `policy denied notifications on port ${port}`);
    return eventChannelFailure("EINVAL", `port ${port} of domain ${this.domainId} is not allocated`);
  }

  consumeEvent(port: number): boolean {
    return this.table.isValidPort(port) && !this.table.isPaused(this.slot) && this.table.consumePending(this.slot, port);
  }

  /**
   * Resolves when the port's pending bit is found set (clearing it), or when the port is
   * closed underneath the waiter (a spurious wake-up: callers re-check their state anyway).
   * Spins adaptively first, then sleeps with Atomics.waitAsync on the domain's wake word.
   */
  async waitForEvent(port: number): Promise<void> {
    if (!this.table.isValidPort(port)) return;
    for (;;) {
      if (this.table.stateOf(this.slot, port) === PortState.free) return;
      const observed = this.table.readWakeSequence(this.slot);
      // A paused domain runs nothing: its events stay pending until it is unpaused.
      if (this.table.isPaused(this.slot)) {
        await this.table.waitForChangeAsync(this.slot, observed, longestSleepMilliseconds);
        continue;
      }
      if (this.table.consumePending(this.slot, port)) return;
      if (this.spin.spinForPending(this.table, this.slot, port)) continue;
      if (this.table.isPending(this.slot, port)) continue;
      await this.table.waitForChangeAsync(this.slot, observed, longestSleepMilliseconds);
    }
  }

  /**
   * The blocking form for a worker's tight loop: spins, then blocks the thread in Atomics.wait.
   * Returns false when `timeoutMilliseconds` passed without an event.
   */
  waitForEventBlocking(port: number, timeoutMilliseconds: number): boolean {
    if (!this.table.isValidPort(port)) return false;
    const deadline = performance.now() + timeoutMilliseconds;
    for (;;) {
      if (this.table.stateOf(this.slot, port) === PortState.free) return false;
      const observed = this.table.readWakeSequence(this.slot);
      const paused = this.table.isPaused(this.slot);
      if (!paused) {
        if (this.table.consumePending(this.slot, port)) return true;
        if (this.spin.spinForPending(this.table, this.slot, port)) continue;
        if (this.table.isPending(this.slot, port)) continue;
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) return false;
      this.table.waitForChangeBlocking(this.slot, observed, Math.min(remaining, longestSleepMilliseconds));
    }
  }

  /** Notifications raised on this domain's port so far (for measuring notifications per message). */
  countRaisedNotifications(port: number): number {
    return this.table.raisedCountOf(this.slot, port);
  }
}
