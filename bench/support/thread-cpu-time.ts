// The CPU time the calling thread has run so far, from Linux's per-thread scheduler statistics.
// On a machine shared with other work, wall time also counts the time a thread waited for a
// core; CPU time does not, so the benchmark prints it beside wall time.
import { readFileSync } from "node:fs";

/** Milliseconds this thread has spent on a CPU, or NaN where /proc/thread-self/schedstat does not exist. */
export function readThreadCpuMilliseconds(): number {
  try {
    const [nanoseconds] = readFileSync("/proc/thread-self/schedstat", "utf8").split(" ");
    return Number(nanoseconds) / 1e6;
  } catch {
    return Number.NaN;
  }
}
