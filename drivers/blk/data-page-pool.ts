// The frontend's pool of data pages for request segments: allocated once, handed out per
// request and returned after the answer; callers that find it empty wait their turn in order.

export class DataPagePool {
  private readonly freeFrames: Int32Array;
  private freeCount: number;
  private waiters: Array<() => void> = [];

  constructor(readonly firstFrame: number, readonly frameCount: number) {
    this.freeFrames = new Int32Array(frameCount);
    for (let index = 0; index < frameCount; index++) this.freeFrames[index] = firstFrame + frameCount - 1 - index;
    this.freeCount = frameCount;
  }

  get availableCount(): number {
    return this.freeCount;
  }

  /** Fills `into` with `count` frames, waiting while fewer are free. */
  async take(count: number, into: number[]): Promise<void> {
    if (count > this.frameCount) throw new RangeError(`a request of ${count} pages can never fit a pool of ${this.frameCount}`);
    while (this.freeCount < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    for (let index = 0; index < count; index++) into.push(this.freeFrames[--this.freeCount]!);
  }

  give(frame: number): void {
    this.freeFrames[this.freeCount++] = frame;
    if (this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }
}
