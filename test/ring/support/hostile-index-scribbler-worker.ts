// Worker for the hostile-index test: a peer that keeps overwriting the index words it can
// write with pseudo-random values, some near the honest values and some wild, until the test
// raises the stop flag. Runs from dist/ (compiled by tsc).
import { workerData } from "node:worker_threads";

export interface HostileIndexScribblerData {
  readonly ringMemory: SharedArrayBuffer;
  /**
   * Index words to overwrite (byte offsets, multiples of 4), each with the honest peer's
   * index it should stay near when the scribbler wants a plausible value: anchor - 8 up to
   * anchor + spread - 8.
   */
  readonly targets: readonly { readonly offset: number; readonly anchorOffset: number; readonly spread: number }[];
  /** Word 0: stop flag (set by the test); word 1: completed scribble rounds (set here). */
  readonly control: SharedArrayBuffer;
  readonly seed: number;
}

const data = workerData as HostileIndexScribblerData;
const control = new Int32Array(data.control);
const words = new Int32Array(data.ringMemory);
let state = data.seed | 1;

function nextRandom(): number {
  // xorshift32: deterministic per seed, cheap, no allocation.
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return state;
}

while (Atomics.load(control, 0) === 0) {
  for (const target of data.targets) {
    const random = nextRandom();
    // Mostly a value near the honest peer's index (plausible, sometimes overflowing, sometimes
    // behind), otherwise anything at all.
    const nearAnchor = (Atomics.load(words, target.anchorOffset >> 2) + ((random >>> 8) % target.spread) - 8) | 0;
    Atomics.store(words, target.offset >> 2, (random & 7) !== 0 ? nearAnchor : random);
  }
  Atomics.add(control, 1, 1);
}
