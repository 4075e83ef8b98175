// A test stand-in for an event channel across threads: one Int32 word per party is its
// pending bit; signalling sets it and wakes a waiter, waiting consumes it (coalescing).

export function signalPendingEvent(words: Int32Array, party: number): void {
  Atomics.store(words, party, 1);
  Atomics.notify(words, party);
}

/** Waits until the party's pending bit is set and clears it; false if the wait timed out. */
export function waitForPendingEvent(words: Int32Array, party: number, timeoutMilliseconds: number): boolean {
  for (;;) {
    if (Atomics.exchange(words, party, 0) !== 0) {
      return true;
    }
    if (Atomics.wait(words, party, 0, timeoutMilliseconds) === "timed-out") {
      return Atomics.exchange(words, party, 0) !== 0;
    }
  }
}
