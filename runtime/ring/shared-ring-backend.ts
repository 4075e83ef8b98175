// The backend end of a Xen request/response shared ring: it attaches to the page the
// frontend initialised, consumes requests copy-once with the request overflow checks, and
// writes responses into the slots of the requests they answer. No allocation per message.

import { isNotificationRequired } from "./ring-index-arithmetic.js";
import { RingIndexWords } from "./ring-index-words.js";
import { RingStatus } from "./ring-status.js";
import { describeSharedRingGeometry, sharedRingHeaderBytes, sharedRingHeaderOffsets } from "./shared-ring-layout.js";
import { copySharedRingSlotOnce, createSharedRingSlotViews, fillSharedRingSlot, rejectOversizedMessage } from "./shared-ring-slots.js";

export class SharedRingBackend {
  readonly entryCount: number;
  readonly slotBytes: number;
  private readonly indices: RingIndexWords;
  private readonly slots: readonly Uint8Array[];
  private readonly slotMask: number;
  private readonly ownPrivateCopy: Uint8Array;
  private responseProducerPrivate: number;
  private responseProducerPushed: number;
  private requestConsumer: number;
  /** Where the current batch of requests ends (req_cons + unconsumed at batch start). */
  private requestBatchEnd: number;

  /**
   * Attaches to a ring the frontend initialised (BACK_RING_INIT, or BACK_RING_ATTACH with a
   * non-zero `index` when resuming). The backend never writes the header on attach.
   */
  static attach(memory: Uint8Array, slotBytes: number, index = 0): SharedRingBackend {
    return new SharedRingBackend(memory, slotBytes, index);
  }

  private constructor(memory: Uint8Array, slotBytes: number, index: number) {
    const geometry = describeSharedRingGeometry(memory.length, slotBytes);
    this.entryCount = geometry.entryCount;
    this.slotBytes = slotBytes;
    this.indices = new RingIndexWords(memory, sharedRingHeaderBytes);
    this.slots = createSharedRingSlotViews(memory, geometry);
    this.slotMask = geometry.entryCount - 1;
    this.ownPrivateCopy = new Uint8Array(slotBytes);
    this.responseProducerPrivate = index | 0;
    this.responseProducerPushed = index | 0;
    this.requestConsumer = index | 0;
    this.requestBatchEnd = index | 0;
  }

  /**
   * Starts a batch of requests: reads req_prod once and returns how many requests the batch
   * holds, min(req_prod - req_cons, size - (req_cons - rsp_prod_pvt)), or
   * RingStatus.frontendRequestOverflow when req_prod is more than `size` ahead of
   * rsp_prod_pvt (RING_REQUEST_PROD_OVERFLOW) or behind req_cons.
   */
  beginRequestBatch(): number {
    const requestProducer = this.indices.load(sharedRingHeaderOffsets.requestProducer);
    const published = (requestProducer - this.requestConsumer) >>> 0;
    if ((requestProducer - this.responseProducerPrivate) >>> 0 > this.entryCount || published > this.entryCount) {
      this.requestBatchEnd = this.requestConsumer;
      return RingStatus.frontendRequestOverflow;
    }
    const roomForResponses = this.entryCount - ((this.requestConsumer - this.responseProducerPrivate) >>> 0);
    const unconsumed = published < roomForResponses ? published : roomForResponses;
    this.requestBatchEnd = (this.requestConsumer + unconsumed) | 0;
    return unconsumed;
  }

  /** Requests left in the current batch. */
  batchedRequestCount(): number {
    return (this.requestBatchEnd - this.requestConsumer) >>> 0;
  }

  /**
   * Copies the next request of the batch into `privateCopy` exactly once; false when the
   * batch is exhausted or taking it would overrun unanswered requests
   * (RING_REQUEST_CONS_OVERFLOW). Validate and use only `privateCopy`.
   */
  consumeRequestInto(privateCopy: Uint8Array): boolean {
    if (this.requestConsumer === this.requestBatchEnd) {
      return false;
    }
    if ((this.requestConsumer - this.responseProducerPrivate) >>> 0 >= this.entryCount) {
      return false;
    }
    copySharedRingSlotOnce(this.slots[this.requestConsumer & this.slotMask] as Uint8Array, privateCopy);
    this.requestConsumer = (this.requestConsumer + 1) | 0;
    return true;
  }

  /** Like consumeRequestInto, into this end's own private buffer (overwritten by the next call). */
  consumeRequest(): Uint8Array | null {
    return this.consumeRequestInto(this.ownPrivateCopy) ? this.ownPrivateCopy : null;
  }

  /** Consumed requests that have no response produced yet. */
  unansweredRequestCount(): number {
    return (this.requestConsumer - this.responseProducerPrivate) >>> 0;
  }

  /**
   * Copies `response` into the slot of the oldest unanswered request; false when every
   * consumed request already has a response.
   */
  produceResponse(response: Uint8Array): boolean {
    rejectOversizedMessage(response, this.slotBytes);
    if (this.requestConsumer === this.responseProducerPrivate) {
      return false;
    }
    fillSharedRingSlot(this.slots[this.responseProducerPrivate & this.slotMask] as Uint8Array, response);
    this.responseProducerPrivate = (this.responseProducerPrivate + 1) | 0;
    return true;
  }

  /** Claims the slot for the next response to encode in place, or null (see produceResponse). */
  claimResponseSlot(): Uint8Array | null {
    if (this.requestConsumer === this.responseProducerPrivate) {
      return null;
    }
    const slot = this.slots[this.responseProducerPrivate & this.slotMask] as Uint8Array;
    this.responseProducerPrivate = (this.responseProducerPrivate + 1) | 0;
    return slot;
  }

  /** Publishes produced responses; returns whether the frontend must be notified. */
  pushResponses(): boolean {
    const oldProducer = this.responseProducerPushed;
    const newProducer = this.responseProducerPrivate;
    if (oldProducer === newProducer) {
      return false;
    }
    this.responseProducerPushed = newProducer;
    this.indices.store(sharedRingHeaderOffsets.responseProducer, newProducer);
    return isNotificationRequired(oldProducer, newProducer, this.indices.load(sharedRingHeaderOffsets.responseEvent));
  }

  /**
   * The check before idling (RING_FINAL_CHECK_FOR_REQUESTS): if no request is waiting, set
   * req_event = req_cons + 1 and look again. Returns the new batch size (0: safe to sleep
   * until notified) or a negative RingStatus.
   */
  finalCheckForRequests(): number {
    const waiting = this.beginRequestBatch();
    if (waiting !== 0) {
      return waiting;
    }
    return this.armEventAndCheckForRequests();
  }

  /**
   * The second half of the final check, for a backend that already looked and found nothing:
   * set req_event = req_cons + 1, then look again (a push that raced with the first look saw
   * the old event index and did not notify). Returns the new batch size or a RingStatus.
   */
  armEventAndCheckForRequests(): number {
    this.indices.store(sharedRingHeaderOffsets.requestEvent, (this.requestConsumer + 1) | 0);
    return this.beginRequestBatch();
  }

  inspectPrivateIndices(): { responseProducerPrivate: number; responseProducerPushed: number; requestConsumer: number } {
    return {
      responseProducerPrivate: this.responseProducerPrivate >>> 0,
      responseProducerPushed: this.responseProducerPushed >>> 0,
      requestConsumer: this.requestConsumer >>> 0,
    };
  }
}
