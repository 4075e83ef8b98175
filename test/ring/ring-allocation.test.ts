// Produce and consume allocate nothing per message: over a long run through the ring (and
// across the 2^32 wrap) no young-generation garbage collection happens and the used heap does
// not grow, while the same loop with one small allocation per message triggers collections
// (which shows the detector works).
import { describe, it, expect } from "vitest";
import { ByteStreamRingEndpoint } from "../../runtime/ring/byte-stream-ring.js";
import { xenstoreRingLayout } from "../../runtime/ring/byte-stream-ring-layout.js";
import { SharedRingBackend } from "../../runtime/ring/shared-ring-backend.js";
import { SharedRingFrontend } from "../../runtime/ring/shared-ring-frontend.js";
import { quietestAllocationDuring, totalMinorCollectionsDuring } from "../support/allocation.js";

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
    const quiet = await quietestAllocationDuring(() => run(1_000_000));
    expect(quiet.minorCollections).toBe(0);
    expect(quiet.heapGrowthBytes).toBeLessThan(64 * 1024); // far below one byte per message
    const allocating = createRingLoop(true);
    allocating(50_000);
    expect(await totalMinorCollectionsDuring(() => allocating(1_000_000), 1)).toBeGreaterThan(0);
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
    const quiet = await quietestAllocationDuring(() => run(500_000));
    expect(quiet.minorCollections).toBe(0);
    expect(quiet.heapGrowthBytes).toBeLessThan(64 * 1024);
  });
});
