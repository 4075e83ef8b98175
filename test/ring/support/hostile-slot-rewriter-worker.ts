// Worker for the double-fetch race test: a hostile peer that keeps rewriting every slot of
// a shared ring, word by word, so a reader racing with it can see a torn slot. It runs from
// dist/ (compiled by tsc) until the test raises the stop flag.
import { workerData } from "node:worker_threads";

export interface HostileSlotRewriterData {
  readonly ringMemory: SharedArrayBuffer;
  /** Word 0: stop flag (set by the test); word 1: completed full rewrites (set here). */
  readonly control: SharedArrayBuffer;
  readonly slotBytes: number;
  readonly entryCount: number;
}

const data = workerData as HostileSlotRewriterData;
const control = new Int32Array(data.control);
const wordsPerSlot = data.slotBytes / 4;
const slotWords = new Int32Array(data.ringMemory, 64, (data.entryCount * data.slotBytes) / 4);

let value = 1;
while (Atomics.load(control, 0) === 0) {
  // Every word of a slot gets the same value; the rewrite is deliberately not atomic.
  for (let slot = 0; slot < data.entryCount; slot++) {
    const base = slot * wordsPerSlot;
    for (let word = 0; word < wordsPerSlot; word++) {
      slotWords[base + word] = value;
    }
  }
  value = (value + 1) | 0;
  Atomics.add(control, 1, 1);
}
