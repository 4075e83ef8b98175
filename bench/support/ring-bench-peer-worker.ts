// The other thread of the ring benchmark: a backend that echoes every request through a
// SharedArrayBuffer ring, either polling or sleeping on notifications between batches, or,
// for the baseline, a message handler that echoes every postMessage. Loaded from dist/ by
// bench/ring.bench.ts.
import { parentPort, workerData } from "node:worker_threads";
import { SharedRingBackend } from "../../runtime/ring/shared-ring-backend.js";
import { signalPendingWord, spinThenWaitForPendingWord } from "./spin-then-wait-event.js";

export type RingBenchPeerData =
  | {
      readonly mode: "polling-ring-backend";
      readonly ringMemory: SharedArrayBuffer;
      readonly slotBytes: number;
      /** Word 0: stop flag, set by the main thread; word 1: ready flag, set here. */
      readonly control: SharedArrayBuffer;
    }
  | {
      readonly mode: "notified-ring-backend";
      readonly ringMemory: SharedArrayBuffer;
      readonly slotBytes: number;
      /** Word 0: stop flag; word 1: ready flag; word 2: notifications sent to the frontend. */
      readonly control: SharedArrayBuffer;
      /** Word 0: the backend's pending bit; word 1: the frontend's. */
      readonly events: SharedArrayBuffer;
      readonly spinPolls: number;
    }
  | { readonly mode: "post-message-echo" };

const data = workerData as RingBenchPeerData;

function runPollingRingBackend(ringMemory: SharedArrayBuffer, slotBytes: number, control: Int32Array): void {
  const backend = SharedRingBackend.attach(new Uint8Array(ringMemory), slotBytes);
  const privateCopy = new Uint8Array(slotBytes);
  Atomics.store(control, 1, 1);
  let idleSpins = 0;
  for (;;) {
    const waiting = backend.beginRequestBatch();
    if (waiting > 0) {
      idleSpins = 0;
      while (backend.consumeRequestInto(privateCopy)) {
        backend.produceResponse(privateCopy);
      }
      backend.pushResponses();
    } else if (++idleSpins >= 1024) {
      // Checking the stop flag only while idle keeps it off the busy path.
      idleSpins = 0;
      if (Atomics.load(control, 0) !== 0) return;
    }
  }
}

function runNotifiedRingBackend(ringMemory: SharedArrayBuffer, slotBytes: number, control: Int32Array, events: Int32Array, spinPolls: number): void {
  const backend = SharedRingBackend.attach(new Uint8Array(ringMemory), slotBytes);
  const privateCopy = new Uint8Array(slotBytes);
  Atomics.store(control, 1, 1);
  while (Atomics.load(control, 0) === 0) {
    let waiting = backend.beginRequestBatch();
    while (waiting > 0) {
      while (backend.consumeRequestInto(privateCopy)) {
        backend.produceResponse(privateCopy);
      }
      if (backend.pushResponses()) {
        Atomics.add(control, 2, 1);
        signalPendingWord(events, 1);
      }
      waiting = backend.finalCheckForRequests();
    }
    // The final check armed req_event, so the next push notifies; sleep until it does (the
    // timeout only bounds how late the stop flag is seen).
    spinThenWaitForPendingWord(events, 0, spinPolls, 100);
  }
}

if (data.mode === "polling-ring-backend") {
  runPollingRingBackend(data.ringMemory, data.slotBytes, new Int32Array(data.control));
  parentPort?.postMessage("stopped");
} else if (data.mode === "notified-ring-backend") {
  runNotifiedRingBackend(data.ringMemory, data.slotBytes, new Int32Array(data.control), new Int32Array(data.events), data.spinPolls);
  parentPort?.postMessage("stopped");
} else {
  const port = parentPort;
  port?.on("message", (message: Uint8Array | "stop") => {
    if (message === "stop") {
      port.close();
      return;
    }
    port.postMessage(message);
  });
}
