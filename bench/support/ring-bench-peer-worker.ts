// The other thread of the ring benchmark: either a polling backend that echoes every request
// through a SharedArrayBuffer ring, or, for the baseline, a message handler that echoes
// every postMessage. Loaded from dist/ by bench/ring.bench.ts.
import { parentPort, workerData } from "node:worker_threads";
import { SharedRingBackend } from "../../runtime/ring/shared-ring-backend.js";

export type RingBenchPeerData =
  | {
      readonly mode: "polling-ring-backend";
      readonly ringMemory: SharedArrayBuffer;
      readonly slotBytes: number;
      /** Word 0: stop flag, set by the main thread; word 1: ready flag, set here. */
      readonly control: SharedArrayBuffer;
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

if (data.mode === "polling-ring-backend") {
  runPollingRingBackend(data.ringMemory, data.slotBytes, new Int32Array(data.control));
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
