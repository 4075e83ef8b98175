// Public entry of runtime time: the virtual clock, the seeded generator and the seeded
// scheduler used by in-process (deterministic) executions.

export { VirtualClock, monotonicClock, type Clock } from "./virtual-clock.js";
export { SeededRandom } from "./seeded-random.js";
export { SeededScheduler, type ScheduledTask, type SchedulerTraceEntry, type TimerHandle, type SeededSchedulerOptions } from "./seeded-scheduler.js";
