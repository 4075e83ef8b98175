// Worker for the cross-thread wake-up test: a backend that answers every request with an
// echo and sleeps on an emulated event channel (a pending word with Atomics.wait) whenever
// its final check finds nothing, so a lost wake-up would leave it asleep with work pending.
import { parentPort, workerData } from "node:worker_threads";
import { SharedRingBackend } from "../../../runtime/ring/shared-ring-backend.js";
import { signalPendingEvent, waitForPendingEvent } from "./pending-event-word.js";

export interface SleepingEchoBackendData {
  readonly ringMemory: SharedArrayBuffer;
  readonly slotBytes: number;
  /** Word 0: backend's pending bit; word 1: frontend's pending bit. */
  readonly events: SharedArrayBuffer;
  readonly requestCount: number;
  readonly lostWakeUpTimeoutMilliseconds: number;
}

export interface SleepingEchoBackendReport {
  readonly requestsAnswered: number;
  readonly sleeps: number;
  readonly lostWakeUps: number;
  readonly faults: number;
}

const data = workerData as SleepingEchoBackendData;
const events = new Int32Array(data.events);
const backend = SharedRingBackend.attach(new Uint8Array(data.ringMemory), data.slotBytes);
let requestsAnswered = 0;
let sleeps = 0;
let lostWakeUps = 0;
let faults = 0;

while (requestsAnswered < data.requestCount && faults === 0) {
  let waiting = backend.beginRequestBatch();
  while (waiting > 0) {
    for (let request = backend.consumeRequest(); request !== null; request = backend.consumeRequest()) {
      backend.produceResponse(request);
      requestsAnswered++;
    }
    if (backend.pushResponses()) signalPendingEvent(events, 1);
    waiting = backend.finalCheckForRequests();
  }
  if (waiting < 0) {
    faults++;
    break;
  }
  if (requestsAnswered >= data.requestCount) break;
  sleeps++;
  if (!waitForPendingEvent(events, 0, data.lostWakeUpTimeoutMilliseconds)) {
    // Timed out: if requests were published meanwhile, their notification was lost.
    if (backend.beginRequestBatch() > 0) lostWakeUps++;
  }
}

const report: SleepingEchoBackendReport = { requestsAnswered, sleeps, lostWakeUps, faults };
parentPort?.postMessage(report);
