// One end of a byte-stream ring (console or xenstore style): partial writes and reads with
// `index & (length - 1)`, the index sanity check, and the notify decisions Linux's xenbus
// and console drivers use. Indices are read once per call; no allocation per call.

import { findByteStreamLayoutProblem, type ByteStreamDirectionLayout, type ByteStreamRingLayout } from "./byte-stream-ring-layout.js";
import { RingIndexWords } from "./ring-index-words.js";
import { RingStatus } from "./ring-status.js";

/** Which party this end is: the guest writes guest-to-backend, the backend writes the other. */
export type ByteStreamRingSide = "guest" | "backend";

export class ByteStreamRingEndpoint {
  readonly layout: ByteStreamRingLayout;
  readonly side: ByteStreamRingSide;
  private readonly memory: Uint8Array;
  private readonly indices: RingIndexWords;
  private readonly outgoing: ByteStreamDirectionLayout;
  private readonly incoming: ByteStreamDirectionLayout;
  private notificationRequired = false;

  /**
   * @param memory the shared structure (at least `layout.totalBytes` long, 4-aligned). When it
   *   is backed by a SharedArrayBuffer, index accesses are atomic.
   */
  constructor(memory: Uint8Array, layout: ByteStreamRingLayout, side: ByteStreamRingSide) {
    const problem = findByteStreamLayoutProblem(layout);
    if (problem !== null) {
      throw new RangeError(problem);
    }
    if (memory.length < layout.totalBytes) {
      throw new RangeError(`${layout.name} ring needs ${layout.totalBytes} bytes of memory, got ${memory.length}`);
    }
    this.layout = layout;
    this.side = side;
    this.memory = memory;
    this.indices = new RingIndexWords(memory, layout.totalBytes - (layout.totalBytes % 4));
    this.outgoing = side === "guest" ? layout.guestToBackend : layout.backendToGuest;
    this.incoming = side === "guest" ? layout.backendToGuest : layout.guestToBackend;
  }

  /**
   * Whether the last `read` or `write` must be followed by an event-channel notification:
   * after a write, iff the reader had consumed everything written before (it may be idle);
   * after a read, iff the stream had been full (the writer may be waiting for space).
   */
  get peerNotificationRequired(): boolean {
    return this.notificationRequired;
  }

  /** Bytes waiting to be read, or `RingStatus.byteStreamIndicesOutOfRange`. */
  readableByteCount(): number {
    const direction = this.incoming;
    const unread = (this.indices.load(direction.producerIndexOffset) - this.indices.load(direction.consumerIndexOffset)) >>> 0;
    return unread > direction.dataBytes ? RingStatus.byteStreamIndicesOutOfRange : unread;
  }

  /** Bytes that can be written now, or `RingStatus.byteStreamIndicesOutOfRange`. */
  writableByteCount(): number {
    const direction = this.outgoing;
    const unread = (this.indices.load(direction.producerIndexOffset) - this.indices.load(direction.consumerIndexOffset)) >>> 0;
    return unread > direction.dataBytes ? RingStatus.byteStreamIndicesOutOfRange : direction.dataBytes - unread;
  }

  /**
   * Copies as many bytes of `source[sourceStart, sourceEnd)` as fit into the outgoing stream
   * and publishes them. Returns the number of bytes written (possibly fewer than offered,
   * possibly 0 when full) or `RingStatus.byteStreamIndicesOutOfRange` if the peer corrupted
   * the indices, in which case nothing is written.
   */
  write(source: Uint8Array, sourceStart = 0, sourceEnd = source.length): number {
    this.notificationRequired = false;
    const direction = this.outgoing;
    const consumer = this.indices.load(direction.consumerIndexOffset);
    const producer = this.indices.load(direction.producerIndexOffset);
    const unread = (producer - consumer) >>> 0;
    if (unread > direction.dataBytes) {
      return RingStatus.byteStreamIndicesOutOfRange;
    }
    const offered = sourceEnd > sourceStart ? sourceEnd - sourceStart : 0;
    const count = Math.min(direction.dataBytes - unread, offered);
    if (count === 0) {
      return 0;
    }
    const memory = this.memory;
    const mask = direction.dataBytes - 1;
    const base = direction.dataOffset;
    for (let copied = 0; copied < count; copied++) {
      memory[base + ((producer + copied) & mask)] = source[sourceStart + copied] as number;
    }
    const newProducer = (producer + count) | 0;
    this.indices.store(direction.producerIndexOffset, newProducer);
    // Re-reading the consumer after the (barrier) store tells whether the reader had already
    // drained up to our old producer index, in which case it may be asleep waiting for us.
    const consumerNow = this.indices.load(direction.consumerIndexOffset);
    this.notificationRequired = (newProducer - consumerNow) >>> 0 <= count;
    return count;
  }

  /**
   * Copies up to `targetEnd - targetStart` unread bytes into `target` and releases them to
   * the writer. Returns the number of bytes read (0 when empty) or
   * `RingStatus.byteStreamIndicesOutOfRange`, in which case nothing is consumed.
   */
  read(target: Uint8Array, targetStart = 0, targetEnd = target.length): number {
    this.notificationRequired = false;
    const direction = this.incoming;
    const consumer = this.indices.load(direction.consumerIndexOffset);
    const producer = this.indices.load(direction.producerIndexOffset);
    const unread = (producer - consumer) >>> 0;
    if (unread > direction.dataBytes) {
      return RingStatus.byteStreamIndicesOutOfRange;
    }
    const room = targetEnd > targetStart ? targetEnd - targetStart : 0;
    const count = Math.min(unread, room);
    if (count === 0) {
      return 0;
    }
    const memory = this.memory;
    const mask = direction.dataBytes - 1;
    const base = direction.dataOffset;
    for (let copied = 0; copied < count; copied++) {
      target[targetStart + copied] = memory[base + ((consumer + copied) & mask)] as number;
    }
    this.indices.store(direction.consumerIndexOffset, (consumer + count) | 0);
    // The writer only waits when the stream is full, so it needs a wake-up only if, as seen
    // after our release, it had filled the stream relative to our old consumer index.
    const producerNow = this.indices.load(direction.producerIndexOffset);
    this.notificationRequired = (producerNow - consumer) >>> 0 >= direction.dataBytes;
    return count;
  }

  /** The raw indices of both streams, for monitors and diagnostics (reads shared memory). */
  inspectIndices(): { outgoingProducer: number; outgoingConsumer: number; incomingProducer: number; incomingConsumer: number } {
    return {
      outgoingProducer: this.indices.load(this.outgoing.producerIndexOffset) >>> 0,
      outgoingConsumer: this.indices.load(this.outgoing.consumerIndexOffset) >>> 0,
      incomingProducer: this.indices.load(this.incoming.producerIndexOffset) >>> 0,
      incomingConsumer: this.indices.load(this.incoming.consumerIndexOffset) >>> 0,
    };
  }
}
