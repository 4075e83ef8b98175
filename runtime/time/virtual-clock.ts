// A clock that only moves when told to: tests and simulations read time from it instead of
// the wall clock, so that nothing depends on how fast the machine is.

export interface Clock {
  /** Milliseconds since the clock's origin. */
  now(): number;
}

export class VirtualClock implements Clock {
  private currentMilliseconds: number;

  constructor(startMilliseconds = 0) {
    this.currentMilliseconds = startMilliseconds;
  }

  now(): number {
    return this.currentMilliseconds;
  }

  /** Moves time forward to `milliseconds`; time never goes backwards. */
  advanceTo(milliseconds: number): void {
    if (!(milliseconds >= this.currentMilliseconds)) {
      throw new RangeError(`a virtual clock cannot go back from ${this.currentMilliseconds} ms to ${milliseconds} ms`);
    }
    this.currentMilliseconds = milliseconds;
  }

  advanceBy(milliseconds: number): void {
    this.advanceTo(this.currentMilliseconds + milliseconds);
  }
}

/** Real monotonic time, for code running on worker threads. */
export const monotonicClock: Clock = Object.freeze({ now: () => performance.now() });
