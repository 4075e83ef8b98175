// Detects allocation on a hot path by counting young-generation collections while it runs.
// A stray collection can come from the JIT or the test runner itself, so the quiet side takes
// the fewest collections over a few attempts; code that allocates per message collects on
// every attempt, so the detector still fails it (each test also runs an allocating control).
import { PerformanceObserver, constants, performance, type PerformanceEntry } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";

export interface AllocationObservation {
  /** Minor (scavenge) collections that started while the work ran. */
  readonly minorCollections: number;
  /** Growth of the used heap across the work; with no collection in between, what it allocated. */
  readonly heapGrowthBytes: number;
}

async function observeOnce(work: () => void): Promise<AllocationObservation> {
  const collections: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => collections.push(...list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  const heapBefore = getHeapStatistics().used_heap_size;
  const start = performance.now();
  work();
  const end = performance.now();
  const heapAfter = getHeapStatistics().used_heap_size;
  // GC entries are delivered asynchronously; let them arrive before counting.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  const minorCollections = collections.filter(
    (entry) =>
      entry.startTime >= start &&
      entry.startTime <= end &&
      (entry as PerformanceEntry & { readonly detail?: { readonly kind: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR,
  ).length;
  return { minorCollections, heapGrowthBytes: heapAfter - heapBefore };
}

async function countMinorCollectionsOnce(work: () => void): Promise<number> {
  return (await observeOnce(work)).minorCollections;
}

/**
 * The quietest of up to `attempts` runs of `work`: the first without a minor collection (its
 * heap growth is then what the work allocated), else the last one.
 */
export async function quietestAllocationDuring(work: () => void, attempts = 3): Promise<AllocationObservation> {
  let observation = await observeOnce(work);
  for (let attempt = 1; attempt < attempts && observation.minorCollections > 0; attempt += 1) observation = await observeOnce(work);
  return observation;
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
