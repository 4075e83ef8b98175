// A domain's memory: a fixed number of 4 KiB frames backed by ONE SharedArrayBuffer, so that a
// run of contiguous frames is one contiguous view (multi-page rings need that) and the pages
// can be shared with worker threads. Tracks which frames are allocated and how many foreign
// mappings keep each frame alive after its owner freed it.

import { pageSizeBytes } from "./constants.js";

const FrameState = { free: 0, allocated: 1, releasedWhileMapped: 2 } as const;

export interface FrameRelease {
  /** Frames returned to the free pool now. */
  readonly freedNow: number;
  /** Frames still mapped by another domain: they return to the pool on the last unmap. */
  readonly deferred: number;
}

export class DomainMemory {
  readonly buffer: SharedArrayBuffer;
  readonly frameCount: number;
  /** The whole memory as bytes; frame f starts at f * 4096. */
  readonly bytes: Uint8Array;
  private readonly frameStates: Uint8Array;
  private readonly foreignMappingCounts: Uint32Array;
  private readonly singleFrameViews: (Uint8Array | undefined)[] = [];

  constructor(frameCount: number) {
    if (!Number.isInteger(frameCount) || frameCount < 1) {
      throw new RangeError(`a domain needs at least one memory frame, not ${frameCount}`);
    }
    this.frameCount = frameCount;
    this.buffer = new SharedArrayBuffer(frameCount * pageSizeBytes);
    this.bytes = new Uint8Array(this.buffer);
    this.frameStates = new Uint8Array(frameCount);
    this.foreignMappingCounts = new Uint32Array(frameCount);
  }

  /**
   * Allocates `count` contiguous frames (first fit) and zeroes them, as Xen scrubs pages
   * before handing them out; returns the first frame, or undefined when no run is free.
   */
  allocateFrames(count: number): number | undefined {
    if (!Number.isInteger(count) || count < 1) return undefined;
    let runStart = 0;
    let runLength = 0;
    for (let frame = 0; frame < this.frameCount; frame += 1) {
      if (this.frameStates[frame] === FrameState.free) {
        if (runLength === 0) runStart = frame;
        runLength += 1;
        if (runLength === count) {
          this.frameStates.fill(FrameState.allocated, runStart, runStart + count);
          this.bytes.fill(0, runStart * pageSizeBytes, (runStart + count) * pageSizeBytes);
          return runStart;
        }
      } else {
        runLength = 0;
      }
    }
    return undefined;
  }

  isValidFrame(frame: number): boolean {
    return Number.isInteger(frame) && frame >= 0 && frame < this.frameCount;
  }

  isAllocated(frame: number): boolean {
    return this.isValidFrame(frame) && this.frameStates[frame] === FrameState.allocated;
  }

  /** Counts free frames (for tests and for checking that a destroyed domain left nothing). */
  countFreeFrames(): number {
    let free = 0;
    for (let frame = 0; frame < this.frameCount; frame += 1) if (this.frameStates[frame] === FrameState.free) free += 1;
    return free;
  }

  countForeignMappings(frame: number): number {
    return this.foreignMappingCounts[frame] ?? 0;
  }

  /**
   * Frees frames the owner no longer uses. A frame another domain still maps is not reused
   * until that mapping goes away (XSA-396): it is parked and freed by the last unpin.
   */
  freeFrames(firstFrame: number, count: number): FrameRelease {
    let freedNow = 0;
    let deferred = 0;
    for (let frame = firstFrame; frame < firstFrame + count; frame += 1) {
      if (!this.isAllocated(frame)) continue;
      if ((this.foreignMappingCounts[frame] ?? 0) > 0) {
        this.frameStates[frame] = FrameState.releasedWhileMapped;
        deferred += 1;
      } else {
        this.frameStates[frame] = FrameState.free;
        freedNow += 1;
      }
    }
    return { freedNow, deferred };
  }

  /** Frees every allocated frame (domain destroy or reset), deferring those still mapped. */
  freeAllFrames(): FrameRelease {
    return this.freeFrames(0, this.frameCount);
  }

  /** Counts frames parked because a foreign mapping still holds them. */
  countDeferredFrames(): number {
    let deferred = 0;
    for (let frame = 0; frame < this.frameCount; frame += 1) if (this.frameStates[frame] === FrameState.releasedWhileMapped) deferred += 1;
    return deferred;
  }

  /** Records one more foreign mapping of `frame`. */
  pinForeignMapping(frame: number): void {
    this.foreignMappingCounts[frame] = (this.foreignMappingCounts[frame] ?? 0) + 1;
  }

  /** Drops one foreign mapping; returns true when that released a parked frame to the pool. */
  unpinForeignMapping(frame: number): boolean {
    const remaining = (this.foreignMappingCounts[frame] ?? 1) - 1;
    this.foreignMappingCounts[frame] = remaining;
    if (remaining === 0 && this.frameStates[frame] === FrameState.releasedWhileMapped) {
      this.frameStates[frame] = FrameState.free;
      return true;
    }
    return false;
  }

  /**
   * A view of `count` frames starting at `firstFrame`; shares memory with the domain. Views of
   * single frames are made once and reused: a view over a SharedArrayBuffer costs about a
   * microsecond to create, more than the rest of a grant map.
   */
  viewFrames(firstFrame: number, count = 1): Uint8Array {
    if (count !== 1) return new Uint8Array(this.buffer, firstFrame * pageSizeBytes, count * pageSizeBytes);
    let view = this.singleFrameViews[firstFrame];
    if (view === undefined) {
      view = new Uint8Array(this.buffer, firstFrame * pageSizeBytes, pageSizeBytes);
      this.singleFrameViews[firstFrame] = view;
    }
    return view;
  }
}
