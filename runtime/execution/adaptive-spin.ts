// The short, adaptive busy-wait before a thread sleeps on an event: spinning is far cheaper
// than a futex round trip when the peer answers quickly, and wasteful when it does not, so
// the budget doubles after a spin that caught the event and halves after one that missed.

import type { EventChannelTable } from "../hypervisor/index.js";

export interface AdaptiveSpinLimits {
  readonly minimumIterations: number;
  readonly maximumIterations: number;
}

export const defaultAdaptiveSpinLimits: AdaptiveSpinLimits = Object.freeze({ minimumIterations: 64, maximumIterations: 1 << 16 });

export class AdaptiveSpin {
  private budget: number;

  constructor(private readonly limits: AdaptiveSpinLimits = defaultAdaptiveSpinLimits) {
    this.budget = limits.minimumIterations * 4;
  }

  get currentBudget(): number {
    return this.budget;
  }

  /** Spins until the port is pending or the budget runs out; true when the event came. */
  spinForPending(table: EventChannelTable, slot: number, port: number): boolean {
    for (let iteration = 0; iteration < this.budget; iteration += 1) {
      if (table.isPending(slot, port)) {
        this.budget = Math.min(this.limits.maximumIterations, this.budget * 2);
        return true;
      }
    }
    this.budget = Math.max(this.limits.minimumIterations, this.budget >>> 1);
    return false;
  }
}
