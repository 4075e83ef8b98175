// Produce and consume allocate nothing per message: over a long run through the ring (and
// across the 2^32 wrap) no young-generation garbage collection happens and the used heap does
// not grow, while the same loop with one small allocation per message triggers collections
// (which shows the detector works).
import { describe, it, expect } from "vitest";
import { PerformanceObserver, constants, performance, type PerformanceEntry } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { ByteStreamRingEndpoint } from "../../runtime/ring/byte-stream-ring.js";
import { xenstoreRingLayout } from "../../runtime/ring/byte-stream-ring-layout.js";
import { SharedRingBackend } from "../../runtime/ring/shared-ring-backend.js";
import { SharedRingFrontend } from "../../runtime/ring/shared-ring-frontend.js";

interface GcDetail {
  readonly kind: number;
}

interface AllocationObservation {
  /** Minor (scavenge) collections that started while the work ran. */
  readonly minorCollections: number;
  /** Growth of the used heap across the work; with no collection in between, what it allocated. */
  readonly heapGrowthBytes: number;
}

async function observeAllocationDuring(work: () => void): Promise<AllocationObservation> {
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
      (entry as PerformanceEntry & { readonly detail?: GcDetail }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR,
  ).length;
  return { minorCollections, heapGrowthBytes: heapAfter - heapBefore };
}

function createRingLoop(allocatePerMessage: boolean): (messages: number) => void {
  const memory = new Uint8Array(new SharedArrayBuffer(4096 << 1));
  const frontend = SharedRingFrontend.initialize(memory, 64, 0xffff_0000);
  const backend = SharedRingBackend.attach(memory, 64, 0xffff_0000);
  const request = new Uint8Array(64).fill(7);
  const requestCopy = new Uint8Array(64);
  const responseCopy = new Uint8Array(64);
  return (messages) => {
    const batch = 16;
    for (let sent = 0; sent < messages; sent += batch) {
      for (let index = 0; index < batch; index++) {
        frontend.produceRequest(allocatePerMessage ? new Uint8Array(64) : request);
      }
      frontend.pushRequests();
      backend.beginRequestBatch();
      while (backend.consumeRequestInto(requestCopy)) backend.produceResponse(requestCopy);
      backend.pushResponses();
      backend.finalCheckForRequests();
      frontend.beginResponseBatch();
      while (frontend.consumeResponseInto(responseCopy));
      frontend.finalCheckForResponses();
    }
  };
}

describe("allocation per message", () => {
  it("produces and consumes a million messages through a shared ring without a young-generation GC", async () => {
    const run = createRingLoop(false);
    run(200_000); // let the optimising compiler settle before measuring
    const quiet = await observeAllocationDuring(() => run(1_000_000));
    expect(quiet.minorCollections).toBe(0);
    expect(quiet.heapGrowthBytes).toBeLessThan(64 * 1024); // far below one byte per message
    const allocating = createRingLoop(true);
    allocating(50_000);
    expect((await observeAllocationDuring(() => allocating(1_000_000))).minorCollections).toBeGreaterThan(0);
  });

  it("writes and reads a byte stream without a young-generation GC", async () => {
    const memory = new Uint8Array(new SharedArrayBuffer(4096));
    const guest = new ByteStreamRingEndpoint(memory, xenstoreRingLayout, "guest");
    const store = new ByteStreamRingEndpoint(memory, xenstoreRingLayout, "backend");
    const message = new Uint8Array(100).fill(3);
    const received = new Uint8Array(300);
    const run = (rounds: number): void => {
      for (let round = 0; round < rounds; round++) {
        guest.write(message, 0, message.length);
        store.read(received, 0, received.length);
      }
    };
    run(100_000);
    const quiet = await observeAllocationDuring(() => run(500_000));
    expect(quiet.minorCollections).toBe(0);
    expect(quiet.heapGrowthBytes).toBeLessThan(64 * 1024);
  });
});
