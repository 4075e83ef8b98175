// Detects allocation on a hot path by counting young-generation collections while it runs.
// A stray collection can come from the JIT or the test runner itself, so the quiet side takes
// the fewest collections over a few attempts; code that allocates per message collects on
// every attempt, so the detector still fails it (each test also runs an allocating control).
import { PerformanceObserver, constants, performance, type PerformanceEntry } from "node:perf_hooks";

async function countMinorCollectionsOnce(work: () => void): Promise<number> {
  const collections: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => collections.push(...list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  const start = performance.now();
  work();
  const end = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return collections.filter(
    (entry) =>
      entry.startTime >= start &&
      entry.startTime <= end &&
      (entry as PerformanceEntry & { readonly detail?: { readonly kind: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR,
  ).length;
}

/** All minor collections seen while `work` runs `attempts` times (for the allocating control). */
export async function totalMinorCollectionsDuring(work: () => void, attempts = 3): Promise<number> {
  let total = 0;
  for (let attempt = 0; attempt < attempts; attempt += 1) total += await countMinorCollectionsOnce(work);
  return total;
}

/** The fewest minor collections seen while `work` runs, over up to `attempts` runs. */
export async function fewestMinorCollectionsDuring(work: () => void, attempts = 3): Promise<number> {
  let fewest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < attempts && fewest > 0; attempt += 1) {
    fewest = Math.min(fewest, await countMinorCollectionsOnce(work));
  }
  return fewest;
}
