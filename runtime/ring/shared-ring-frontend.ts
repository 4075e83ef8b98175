// The frontend end of a Xen request/response shared ring: it initialises the page, produces
// requests, pushes them with Xen's notify check, and consumes responses copy-once with the
// response overflow checks. No allocation per message.

import { isNotificationRequired } from "./ring-index-arithmetic.js";
import { RingIndexWords } from "./ring-index-words.js";
import { RingStatus } from "./ring-status.js";
import { describeSharedRingGeometry, sharedRingHeaderBytes, sharedRingHeaderOffsets } from "./shared-ring-layout.js";
import { copySharedRingSlotOnce, createSharedRingSlotViews, fillSharedRingSlot, rejectOversizedMessage } from "./shared-ring-slots.js";

/**
 * Writes a fresh ring header the way Xen's SHARED_RING_INIT does: both producers 0, both
 * event indices 1, private and reserved bytes zero. `startIndex` (default 0, which is Xen's
 * behaviour) lets tests and resumed rings start the free-running indices anywhere, e.g. near 2^32.
 */
export function initializeSharedRingHeader(memory: Uint8Array, startIndex = 0): void {
  const indices = new RingIndexWords(memory, sharedRingHeaderBytes);
  memory.fill(0, sharedRingHeaderOffsets.protocolPrivate, sharedRingHeaderBytes);
  indices.store(sharedRingHeaderOffsets.requestEvent, startIndex + 1);
  indices.store(sharedRingHeaderOffsets.responseEvent, startIndex + 1);
  indices.store(sharedRingHeaderOffsets.responseProducer, startIndex);
  indices.store(sharedRingHeaderOffsets.requestProducer, startIndex);
}

export class SharedRingFrontend {
  readonly entryCount: number;
  readonly slotBytes: number;
  private readonly indices: RingIndexWords;
  private readonly slots: readonly Uint8Array[];
  private readonly slotMask: number;
  private readonly ownPrivateCopy: Uint8Array;
  // Private indices, kept as signed 32-bit patterns so they stay small integers in V8.
  private requestProducerPrivate: number;
  private requestProducerPushed: number;
  private responseConsumer: number;
  /** The response producer index as read at the start of the current batch. */
  private responseProducerSnapshot: number;

  /** Initialises the shared page (frontend only) and returns the frontend's end of it. */
  static initialize(memory: Uint8Array, slotBytes: number, startIndex = 0): SharedRingFrontend {
    // Constructing first checks the geometry, so a refused ring leaves the page untouched.
    const frontend = new SharedRingFrontend(memory, slotBytes, startIndex);
    initializeSharedRingHeader(memory, startIndex);
    return frontend;
  }

  /**
   * Attaches to a page the frontend initialised earlier with every request answered at
   * `index` (Xen's FRONT_RING_ATTACH, used when resuming).
   */
  static attach(memory: Uint8Array, slotBytes: number, index: number): SharedRingFrontend {
    return new SharedRingFrontend(memory, slotBytes, index);
  }

  private constructor(memory: Uint8Array, slotBytes: number, index: number) {
    const geometry = describeSharedRingGeometry(memory.length, slotBytes);
    this.entryCount = geometry.entryCount;
    this.slotBytes = slotBytes;
    this.indices = new RingIndexWords(memory, sharedRingHeaderBytes);
    this.slots = createSharedRingSlotViews(memory, geometry);
    this.slotMask = geometry.entryCount - 1;
    this.ownPrivateCopy = new Uint8Array(slotBytes);
    this.requestProducerPrivate = index | 0;
    this.requestProducerPushed = index | 0;
    this.responseConsumer = index | 0;
    this.responseProducerSnapshot = index | 0;
  }

  /** Slots free for new requests: size - (req_prod_pvt - rsp_cons). */
  freeRequestCount(): number {
    return this.entryCount - ((this.requestProducerPrivate - this.responseConsumer) >>> 0);
  }

  /** Requests produced (pushed or not) that have no consumed response yet. */
  outstandingRequestCount(): number {
    return (this.requestProducerPrivate - this.responseConsumer) >>> 0;
  }

  /** Requests produced but not yet pushed. */
  unpushedRequestCount(): number {
    return (this.requestProducerPrivate - this.requestProducerPushed) >>> 0;
  }

  /** Copies `request` (at most one slot long) into the next slot; false when the ring is full. */
  produceRequest(request: Uint8Array): boolean {
    rejectOversizedMessage(request, this.slotBytes);
    if (this.freeRequestCount() === 0) {
      return false;
    }
    fillSharedRingSlot(this.slots[this.requestProducerPrivate & this.slotMask] as Uint8Array, request);
    this.requestProducerPrivate = (this.requestProducerPrivate + 1) | 0;
    return true;
  }

  /**
   * Claims the next slot for encoding in place and returns it, or null when the ring is
   * full. The slot keeps whatever bytes it held before: the encoder must write all of them.
   */
  claimRequestSlot(): Uint8Array | null {
    if (this.freeRequestCount() === 0) {
      return null;
    }
    const slot = this.slots[this.requestProducerPrivate & this.slotMask] as Uint8Array;
    this.requestProducerPrivate = (this.requestProducerPrivate + 1) | 0;
    return slot;
  }

  /**
   * Publishes every produced request (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY) and returns
   * whether the backend must be notified: its request event index lies in (old, new].
   */
  pushRequests(): boolean {
    const oldProducer = this.requestProducerPushed;
    const newProducer = this.requestProducerPrivate;
    if (oldProducer === newProducer) {
      return false;
    }
    this.requestProducerPushed = newProducer;
    this.indices.store(sharedRingHeaderOffsets.requestProducer, newProducer);
    return isNotificationRequired(oldProducer, newProducer, this.indices.load(sharedRingHeaderOffsets.requestEvent));
  }

  /**
   * Starts a batch of responses: reads rsp_prod once, checks it, and returns how many
   * responses the batch holds, or a negative RingStatus when the backend broke the ring
   * (then nothing can be consumed until a later batch reads sane indices).
   */
  beginResponseBatch(): number {
    const responseProducer = this.indices.load(sharedRingHeaderOffsets.responseProducer);
    const unconsumed = (responseProducer - this.responseConsumer) >>> 0;
    if (unconsumed > this.entryCount) {
      this.responseProducerSnapshot = this.responseConsumer;
      return RingStatus.backendResponseOverflow;
    }
    if (unconsumed > ((this.requestProducerPushed - this.responseConsumer) >>> 0)) {
      this.responseProducerSnapshot = this.responseConsumer;
      return RingStatus.backendResponsesWithoutRequests;
    }
    this.responseProducerSnapshot = responseProducer;
    return unconsumed;
  }

  /** Responses left in the current batch. */
  batchedResponseCount(): number {
    return (this.responseProducerSnapshot - this.responseConsumer) >>> 0;
  }

  /**
   * Copies the next response of the batch into `privateCopy` exactly once and releases the
   * slot; false when the batch is exhausted. Validate and use only `privateCopy`.
   */
  consumeResponseInto(privateCopy: Uint8Array): boolean {
    if (this.responseConsumer === this.responseProducerSnapshot) {
      return false;
    }
    copySharedRingSlotOnce(this.slots[this.responseConsumer & this.slotMask] as Uint8Array, privateCopy);
    this.responseConsumer = (this.responseConsumer + 1) | 0;
    return true;
  }

  /**
   * Like consumeResponseInto, into this end's own private buffer, which is returned and is
   * overwritten by the next call; null when the batch is exhausted.
   */
  consumeResponse(): Uint8Array | null {
    return this.consumeResponseInto(this.ownPrivateCopy) ? this.ownPrivateCopy : null;
  }

  /**
   * The check before idling (RING_FINAL_CHECK_FOR_RESPONSES): if no response is waiting, ask
   * to be notified at the next one (rsp_event = rsp_cons + 1) and look again, closing the
   * race with a backend pushing meanwhile. Returns the new batch size (0 means it is safe to
   * sleep until notified) or a negative RingStatus.
   */
  finalCheckForResponses(): number {
    const waiting = this.beginResponseBatch();
    if (waiting !== 0) {
      return waiting;
    }
    return this.armEventAndCheckForResponses();
  }

  /**
   * The second half of the final check, for a frontend that already looked and found
   * nothing: set rsp_event = rsp_cons + 1, then look again. Returns the new batch size or a
   * RingStatus.
   */
  armEventAndCheckForResponses(): number {
    this.indices.store(sharedRingHeaderOffsets.responseEvent, (this.responseConsumer + 1) | 0);
    return this.beginResponseBatch();
  }

  /** Private indices as unsigned numbers, for monitors, tests and diagnostics. */
  inspectPrivateIndices(): { requestProducerPrivate: number; requestProducerPushed: number; responseConsumer: number } {
    return {
      requestProducerPrivate: this.requestProducerPrivate >>> 0,
      requestProducerPushed: this.requestProducerPushed >>> 0,
      responseConsumer: this.responseConsumer >>> 0,
    };
  }
}
