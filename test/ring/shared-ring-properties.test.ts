// Property tests for the shared ring: random interleavings of produce, push, consume and
// final check between a frontend and a backend that sleep when idle never lose a wake-up
// and keep every index invariant; the notify rule matches (old, new] on wrapped u32 indices.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { distanceForwardU32, isNotificationRequired } from "../../runtime/ring/ring-index-arithmetic.js";
import { SharedRingBackend } from "../../runtime/ring/shared-ring-backend.js";
import { SharedRingFrontend } from "../../runtime/ring/shared-ring-frontend.js";

const twoToThe32 = 2n ** 32n;
const u32Arbitrary = fc.oneof(
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.integer({ min: 0xffff_ffff - 80, max: 0xffff_ffff }),
  fc.integer({ min: 0, max: 80 }),
);

// Events are drawn either anywhere or just around `old`, so both edges of the window are hit.
const eventArbitrary: fc.Arbitrary<{ readonly absolute: number } | { readonly offset: number }> = fc.oneof(
  u32Arbitrary.map((absolute) => ({ absolute })),
  fc.integer({ min: -3, max: 603 }).map((offset) => ({ offset })),
);

describe("notify rule", () => {
  it("notifies iff the event index lies in (old, new] modulo 2^32", () => {
    fc.assert(
      fc.property(u32Arbitrary, fc.integer({ min: 0, max: 600 }), eventArbitrary, (old, span, eventChoice) => {
        const newer = Number((BigInt(old) + BigInt(span)) % twoToThe32);
        const event = "absolute" in eventChoice ? eventChoice.absolute : Number((((BigInt(old) + BigInt(eventChoice.offset)) % twoToThe32) + twoToThe32) % twoToThe32);
        const distance = (((BigInt(event) - BigInt(old)) % twoToThe32) + twoToThe32) % twoToThe32;
        const expected = distance > 0n && distance <= BigInt(span);
        expect(isNotificationRequired(old, newer, event)).toBe(expected);
        // The rings keep indices as signed 32-bit patterns; the decision must not depend on it.
        expect(isNotificationRequired(old | 0, newer | 0, event | 0)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("measures forward distances modulo 2^32", () => {
    fc.assert(
      fc.property(u32Arbitrary, fc.integer({ min: 0, max: 0xffff_ffff }), (from, step) => {
        const to = Number((BigInt(from) + BigInt(step)) % twoToThe32);
        expect(distanceForwardU32(from, to)).toBe(step);
        expect(distanceForwardU32(from | 0, to | 0)).toBe(step);
      }),
    );
  });

  it("decides the classic wrapped cases", () => {
    expect(isNotificationRequired(0xffff_fffe, 1, 0xffff_ffff)).toBe(true);
    expect(isNotificationRequired(0xffff_fffe, 1, 0)).toBe(true);
    expect(isNotificationRequired(0xffff_fffe, 1, 1)).toBe(true);
    expect(isNotificationRequired(0xffff_fffe, 1, 2)).toBe(false);
    expect(isNotificationRequired(0xffff_fffe, 1, 0xffff_fffe)).toBe(false);
    expect(isNotificationRequired(5, 5, 5)).toBe(false);
  });
});

type Action =
  | { readonly kind: "frontend-produce"; readonly count: number }
  | { readonly kind: "frontend-push" }
  | { readonly kind: "frontend-consume" }
  | { readonly kind: "frontend-idle" }
  | { readonly kind: "frontend-arm" }
  | { readonly kind: "backend-consume" }
  | { readonly kind: "backend-respond"; readonly count: number }
  | { readonly kind: "backend-push" }
  | { readonly kind: "backend-idle" }
  | { readonly kind: "backend-arm" };

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("frontend-produce" as const), count: fc.integer({ min: 1, max: 9 }) }),
  fc.constant({ kind: "frontend-push" as const }),
  fc.constant({ kind: "frontend-consume" as const }),
  fc.constant({ kind: "frontend-idle" as const }),
  fc.constant({ kind: "frontend-arm" as const }),
  fc.constant({ kind: "backend-consume" as const }),
  fc.record({ kind: fc.constant("backend-respond" as const), count: fc.integer({ min: 1, max: 9 }) }),
  fc.constant({ kind: "backend-push" as const }),
  fc.constant({ kind: "backend-idle" as const }),
  fc.constant({ kind: "backend-arm" as const }),
);

/** One simulated connection: two ring ends plus each party's sleep state and pending bit. */
class RingConnectionModel {
  readonly memory: Uint8Array;
  readonly frontend: SharedRingFrontend;
  readonly backend: SharedRingBackend;
  readonly view: DataView;
  frontendAsleep = false;
  frontendPending = false;
  backendAsleep = true;
  backendPending = false;
  requestsProduced = 0;
  requestsConsumed = 0;
  responsesProduced = 0;
  responsesConsumed = 0;
  private readonly scratch: Uint8Array;

  constructor(startIndex: number, slotBytes: number) {
    this.memory = new Uint8Array(4096);
    this.view = new DataView(this.memory.buffer);
    this.frontend = SharedRingFrontend.initialize(this.memory, slotBytes, startIndex);
    this.backend = SharedRingBackend.attach(this.memory, slotBytes, startIndex);
    this.scratch = new Uint8Array(slotBytes);
  }

  apply(action: Action): void {
    switch (action.kind) {
      case "frontend-produce":
        for (let index = 0; index < action.count; index++) {
          this.scratch.fill(0);
          new DataView(this.scratch.buffer).setUint32(0, this.requestsProduced, true);
          if (!this.frontend.produceRequest(this.scratch)) break;
          this.requestsProduced++;
        }
        return;
      case "frontend-push":
        if (this.frontend.pushRequests()) this.backendPending = true;
        return;
      case "frontend-consume": {
        if (!this.wakeFrontend()) return;
        this.expectCount(this.frontend.beginResponseBatch());
        for (let copy = this.frontend.consumeResponse(); copy !== null; copy = this.frontend.consumeResponse()) {
          // The backend echoes the request number with the top bit set.
          expect(new DataView(copy.buffer).getUint32(0, true)).toBe((this.responsesConsumed | 0x8000_0000) >>> 0);
          this.responsesConsumed++;
        }
        return;
      }
      case "frontend-idle":
      case "frontend-arm":
        // "arm" is the second half of the final check alone: the first look happened in an
        // earlier consume, and other actions may have interleaved since.
        if (this.frontendAsleep) return;
        if (this.expectCount(action.kind === "frontend-idle" ? this.frontend.finalCheckForResponses() : this.frontend.armEventAndCheckForResponses()) === 0) {
          this.frontendAsleep = true;
        }
        return;
      case "backend-consume": {
        if (!this.wakeBackend()) return;
        this.expectCount(this.backend.beginRequestBatch());
        for (let copy = this.backend.consumeRequest(); copy !== null; copy = this.backend.consumeRequest()) {
          expect(new DataView(copy.buffer).getUint32(0, true)).toBe(this.requestsConsumed);
          this.requestsConsumed++;
        }
        return;
      }
      case "backend-respond":
        // Responses complete asynchronously (think disk I/O), so a sleeping backend may
        // still answer and push what it consumed earlier.
        for (let index = 0; index < action.count; index++) {
          this.scratch.fill(0);
          new DataView(this.scratch.buffer).setUint32(0, (this.responsesProduced | 0x8000_0000) >>> 0, true);
          if (!this.backend.produceResponse(this.scratch)) break;
          this.responsesProduced++;
        }
        return;
      case "backend-push":
        if (this.backend.pushResponses()) this.frontendPending = true;
        return;
      case "backend-idle":
      case "backend-arm": {
        if (this.backendAsleep) return;
        if (this.expectCount(action.kind === "backend-idle" ? this.backend.finalCheckForRequests() : this.backend.armEventAndCheckForRequests()) === 0) {
          this.backendAsleep = true;
        }
        return;
      }
      default: {
        const unreachable: never = action;
        throw new Error(`unknown action ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Drives both parties the way real drivers would until both sleep with nothing pending. */
  drain(): void {
    this.apply({ kind: "frontend-push" });
    for (let round = 0; round < 1000; round++) {
      // Outstanding work completes whether or not the backend sleeps.
      this.apply({ kind: "backend-respond", count: 1 << 20 });
      this.apply({ kind: "backend-push" });
      const backendRuns = !this.backendAsleep || this.backendPending;
      const frontendRuns = !this.frontendAsleep || this.frontendPending;
      if (!backendRuns && !frontendRuns && this.backend.unansweredRequestCount() === 0) return;
      if (backendRuns) {
        this.apply({ kind: "backend-consume" });
        this.apply({ kind: "backend-idle" });
      }
      if (frontendRuns) {
        this.apply({ kind: "frontend-consume" });
        this.apply({ kind: "frontend-idle" });
      }
    }
    throw new Error("the connection did not quiesce");
  }

  /** Throws on the first broken invariant; plain checks, because this runs after every step. */
  checkInvariants(): void {
    const size = this.frontend.entryCount;
    const requestProducer = this.view.getUint32(0, true);
    const responseProducer = this.view.getUint32(8, true);
    const backendIndices = this.backend.inspectPrivateIndices();
    const frontendIndices = this.frontend.inspectPrivateIndices();
    const failures: string[] = [];
    if ((requestProducer - responseProducer) >>> 0 > size) failures.push("req_prod - rsp_prod exceeds the ring size");
    if (this.frontend.outstandingRequestCount() > size) failures.push("more requests outstanding than slots");
    if ((backendIndices.requestConsumer - backendIndices.responseProducerPrivate) >>> 0 > size) failures.push("backend holds more unanswered requests than slots");
    if ((frontendIndices.requestProducerPrivate - requestProducer) >>> 0 > size) failures.push("published req_prod is ahead of the frontend's private producer");
    // No lost wake-up: a sleeper with no pending notification has nothing published for it.
    if (this.backendAsleep && !this.backendPending && requestProducer !== backendIndices.requestConsumer) failures.push("lost wake-up: backend asleep with published requests");
    if (this.frontendAsleep && !this.frontendPending && responseProducer !== frontendIndices.responseConsumer) failures.push("lost wake-up: frontend asleep with published responses");
    expect(failures).toEqual([]);
  }

  private wakeFrontend(): boolean {
    if (this.frontendAsleep && !this.frontendPending) return false;
    this.frontendAsleep = false;
    this.frontendPending = false;
    return true;
  }

  private wakeBackend(): boolean {
    if (this.backendAsleep && !this.backendPending) return false;
    this.backendAsleep = false;
    this.backendPending = false;
    return true;
  }

  private expectCount(result: number): number {
    expect(result).toBeGreaterThanOrEqual(0);
    return result;
  }
}

describe("shared ring interleavings", () => {
  it("never loses a wake-up, keeps every invariant and answers every request, across 2^32", () => {
    fc.assert(
      fc.property(
        u32Arbitrary,
        fc.constantFrom(112, 1000, 12),
        fc.array(actionArbitrary, { minLength: 10, maxLength: 150, size: "max" }),
        (startIndex, slotBytes, actions) => {
          const model = new RingConnectionModel(startIndex, slotBytes);
          for (const action of actions) {
            model.apply(action);
            model.checkInvariants();
          }
          model.drain();
          model.checkInvariants();
          expect(model.requestsConsumed).toBe(model.requestsProduced);
          expect(model.responsesConsumed).toBe(model.requestsProduced);
        },
      ),
      { numRuns: 300 },
    );
  });
});
