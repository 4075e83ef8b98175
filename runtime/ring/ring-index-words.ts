// Loads and stores of the 32-bit index words inside ring memory. When the memory is a
// SharedArrayBuffer the accesses are Atomics (sequentially consistent), which gives the
// ordering Xen's barriers provide: slot writes before a producer store are visible to a
// consumer whose load sees that store, and a store followed by a load is never reordered.

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Whether a byte view lives in memory another thread can see. */
export function isSharedMemory(bytes: Uint8Array): boolean {
  return typeof SharedArrayBuffer !== "undefined" && bytes.buffer instanceof SharedArrayBuffer;
}

export class RingIndexWords {
  private readonly words: Int32Array;
  private readonly atomic: boolean;

  /**
   * @param memory ring memory; its byte offset must be 4-aligned (page memory always is).
   * @param byteLength how many leading bytes of `memory` hold index words (multiple of 4).
   */
  constructor(memory: Uint8Array, byteLength: number) {
    if (!hostIsLittleEndian) {
      throw new Error("Xen ring indices are little-endian; this host is big-endian and is not supported");
    }
    if (memory.byteOffset % 4 !== 0) {
      throw new RangeError(`ring memory must start on a 4-byte boundary (byte offset ${memory.byteOffset})`);
    }
    if (byteLength % 4 !== 0 || byteLength > memory.length) {
      throw new RangeError(`ring index area of ${byteLength} bytes does not fit the ${memory.length}-byte memory`);
    }
    this.words = new Int32Array(memory.buffer, memory.byteOffset, byteLength / 4);
    this.atomic = isSharedMemory(memory);
  }

  /** Reads the index word at `byteOffset` (a multiple of 4) as its signed 32-bit pattern. */
  load(byteOffset: number): number {
    const wordIndex = byteOffset >> 2;
    return this.atomic ? Atomics.load(this.words, wordIndex) : (this.words[wordIndex] as number);
  }

  /** Writes a 32-bit index word; for shared memory this is also a full barrier. */
  store(byteOffset: number, value: number): void {
    const wordIndex = byteOffset >> 2;
    if (this.atomic) {
      Atomics.store(this.words, wordIndex, value | 0);
    } else {
      this.words[wordIndex] = value | 0;
    }
  }
}
