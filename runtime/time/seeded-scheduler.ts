// A deterministic scheduler for in-process runs: ready tasks run in an order drawn from a
// seeded generator (so tests explore interleavings yet replay exactly from the seed), timers
// fire on a virtual clock, and every step can be recorded as a trace.

import { SeededRandom } from "./seeded-random.js";
import { VirtualClock } from "./virtual-clock.js";

export type ScheduledTask = () => void;

/** One step of a run: which task ran and at what virtual time. */
export interface SchedulerTraceEntry {
  readonly step: number;
  readonly timeMilliseconds: number;
  readonly label: string;
}

export interface TimerHandle {
  cancel(): void;
}

interface PendingTimer {
  readonly dueMilliseconds: number;
  /** Insertion order breaks ties between timers due at the same time. */
  readonly sequence: number;
  readonly label: string;
  readonly task: ScheduledTask;
  cancelled: boolean;
}

interface ReadyTask {
  readonly label: string;
  readonly task: ScheduledTask;
}

export interface SeededSchedulerOptions {
  /** Record a trace entry per step (off by default: long simulations would grow it). */
  readonly recordTrace?: boolean;
}

export class SeededScheduler {
  readonly clock = new VirtualClock();
  readonly random: SeededRandom;
  readonly trace: SchedulerTraceEntry[] = [];
  private readonly recordTrace: boolean;
  private ready: ReadyTask[] = [];
  private timers: PendingTimer[] = [];
  private timerSequence = 0;
  private steps = 0;

  constructor(seed: number, options: SeededSchedulerOptions = {}) {
    this.random = new SeededRandom(seed);
    this.recordTrace = options.recordTrace ?? false;
  }

  get seed(): number {
    return this.random.seed;
  }

  get stepCount(): number {
    return this.steps;
  }

  /** Queues a task to run at the current virtual time, in an order the seed decides. */
  schedule(task: ScheduledTask, label = "task"): void {
    this.ready.push({ label, task });
  }

  /** The hypervisor's delivery hook: event deliveries are ordinary seeded tasks. */
  scheduleDelivery(deliver: () => void): void {
    this.schedule(deliver, "event-delivery");
  }

  /** Runs `task` once `delayMilliseconds` of virtual time have passed. */
  setTimer(delayMilliseconds: number, task: ScheduledTask, label = "timer"): TimerHandle {
    if (!(delayMilliseconds >= 0)) throw new RangeError(`a timer delay must be a non-negative number of milliseconds, not ${delayMilliseconds}`);
    const timer: PendingTimer = { dueMilliseconds: this.clock.now() + delayMilliseconds, sequence: this.timerSequence, label, task, cancelled: false };
    this.timerSequence += 1;
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** A promise resolved after `delayMilliseconds` of virtual time. */
  sleep(delayMilliseconds: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(delayMilliseconds, resolve, "sleep"));
  }

  get hasWork(): boolean {
    return this.ready.length !== 0 || this.timers.some((timer) => !timer.cancelled);
  }

  /**
   * Runs one step: a ready task chosen by the seed, or else the earliest timer (moving the
   * clock to it). Returns false when there was nothing to do.
   */
  runStep(): boolean {
    if (this.ready.length !== 0) {
      const index = this.random.nextBelow(this.ready.length);
      const chosen = this.ready[index] as ReadyTask;
      // Swap-remove keeps the choice O(1); the order of the rest is still seed-determined.
      this.ready[index] = this.ready[this.ready.length - 1] as ReadyTask;
      this.ready.pop();
      this.runTask(chosen.label, chosen.task);
      return true;
    }
    const timer = this.takeEarliestTimer();
    if (timer === undefined) return false;
    this.clock.advanceTo(timer.dueMilliseconds);
    this.runTask(timer.label, timer.task);
    return true;
  }

  /** Runs steps synchronously until nothing is left or `maximumSteps` ran; returns the steps run. */
  runUntilIdle(maximumSteps = 1_000_000): number {
    let ran = 0;
    while (ran < maximumSteps && this.runStep()) ran += 1;
    return ran;
  }

  /**
   * Like runUntilIdle, but lets promise continuations (async domain programs) run after each
   * step, so awaiting code interleaves with tasks exactly as the seed orders them.
   */
  async runUntilIdleAsync(maximumSteps = 1_000_000): Promise<number> {
    let ran = 0;
    await flushMicrotasks();
    while (ran < maximumSteps && this.runStep()) {
      ran += 1;
      await flushMicrotasks();
    }
    return ran;
  }

  /** Runs until the virtual clock would pass `untilMilliseconds`, then sets it there. */
  runUntil(untilMilliseconds: number, maximumSteps = 1_000_000): number {
    let ran = 0;
    while (ran < maximumSteps) {
      if (this.ready.length === 0) {
        const next = this.peekEarliestTimer();
        if (next === undefined || next.dueMilliseconds > untilMilliseconds) break;
      }
      if (!this.runStep()) break;
      ran += 1;
    }
    if (this.clock.now() < untilMilliseconds) this.clock.advanceTo(untilMilliseconds);
    return ran;
  }

  private runTask(label: string, task: ScheduledTask): void {
    this.steps += 1;
    if (this.recordTrace) this.trace.push({ step: this.steps, timeMilliseconds: this.clock.now(), label });
    task();
  }

  private peekEarliestTimer(): PendingTimer | undefined {
    let earliest: PendingTimer | undefined;
    for (const timer of this.timers) {
      if (timer.cancelled) continue;
      if (earliest === undefined || timer.dueMilliseconds < earliest.dueMilliseconds || (timer.dueMilliseconds === earliest.dueMilliseconds && timer.sequence < earliest.sequence)) {
        earliest = timer;
      }
    }
    return earliest;
  }

  private takeEarliestTimer(): PendingTimer | undefined {
    const earliest = this.peekEarliestTimer();
    this.timers = this.timers.filter((timer) => timer !== earliest && !timer.cancelled);
    return earliest;
  }
}

/** Resolves after every queued promise continuation has run (setImmediate follows the microtask queue). */
function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
