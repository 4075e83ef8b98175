// A benchmark stand-in for an event channel between two threads: one Int32 pending word per
// party. Signalling sets the word and wakes a sleeper; waiting first spins on the word for a
// bounded number of polls (cheap when the peer answers quickly) and then sleeps with
// Atomics.wait, which yields the core to the peer on a busy machine.

export function signalPendingWord(words: Int32Array, party: number): void {
  if (Atomics.exchange(words, party, 1) === 0) {
    Atomics.notify(words, party);
  }
}

/**
 * Consumes the party's pending bit, spinning up to `spinPolls` times and then sleeping for at
 * most `sleepMilliseconds`. Returns false only if the sleep ran out with nothing pending.
 */
export function spinThenWaitForPendingWord(words: Int32Array, party: number, spinPolls: number, sleepMilliseconds: number): boolean {
  for (let poll = 0; poll < spinPolls; poll++) {
    if (Atomics.load(words, party) !== 0) {
      Atomics.store(words, party, 0);
      return true;
    }
  }
  if (Atomics.exchange(words, party, 0) !== 0) {
    return true;
  }
  Atomics.wait(words, party, 0, sleepMilliseconds);
  return Atomics.exchange(words, party, 0) !== 0;
}
