// Request/response shared rings: the header byte for byte, the entries formula, frontend
// init and backend attach, push-and-notify, final checks, the overflow checks against
// hostile peers, and copy-once consumption.
import { describe, it, expect } from "vitest";
import { SharedRingBackend } from "../../runtime/ring/shared-ring-backend.js";
import { SharedRingFrontend } from "../../runtime/ring/shared-ring-frontend.js";
import { computeSharedRingBytes, computeSharedRingEntryCount } from "../../runtime/ring/shared-ring-layout.js";
import { RingStatus, describeRingStatus } from "../../runtime/ring/ring-status.js";
import { findSharedRingHeaderProblem, readSharedRingHeader } from "../../runtime/ring/shared-ring-header.js";

function readU32(memory: Uint8Array, offset: number): number {
  return new DataView(memory.buffer, memory.byteOffset).getUint32(offset, true);
}
function writeU32(memory: Uint8Array, offset: number, value: number): void {
  new DataView(memory.buffer, memory.byteOffset).setUint32(offset, value >>> 0, true);
}
function message(slotBytes: number, value: number): Uint8Array {
  const bytes = new Uint8Array(slotBytes);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
  return bytes;
}
function messageValue(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
}

describe("shared ring layout", () => {
  it("computes Xen's entry counts for blkif and netif slots", () => {
    expect(computeSharedRingEntryCount(computeSharedRingBytes(0), 112)).toBe(32);
    expect(computeSharedRingEntryCount(computeSharedRingBytes(0), 108)).toBe(32);
    expect([1, 2, 3, 4].map((order) => computeSharedRingEntryCount(computeSharedRingBytes(order), 112))).toEqual([64, 128, 256, 512]);
    expect(computeSharedRingEntryCount(4096, 12)).toBe(256);
    expect(computeSharedRingEntryCount(4096, 8)).toBe(256);
    expect(computeSharedRingEntryCount(4096, 4032)).toBe(1);
    expect(computeSharedRingEntryCount(4096, 4033)).toBe(0);
  });

  it("refuses memory that is not 4096 << order bytes or a slot that does not fit", () => {
    expect(() => SharedRingFrontend.initialize(new Uint8Array(3000), 16)).toThrow(/4096 << order/);
    expect(() => SharedRingFrontend.initialize(new Uint8Array(3 * 4096), 16)).toThrow(/4096 << order/);
    expect(() => SharedRingBackend.attach(new Uint8Array(4096), 5000)).toThrow(/does not fit/);
    const untouched = new Uint8Array(4096).fill(0x5a);
    expect(() => SharedRingFrontend.initialize(untouched, 4096)).toThrow(/does not fit/);
    expect(untouched.every((byte) => byte === 0x5a)).toBe(true);
    expect(() => SharedRingFrontend.initialize(new Uint8Array(new ArrayBuffer(4100), 2, 4096), 64)).toThrow(/4-byte boundary/);
  });

  it("writes the header byte for byte on frontend init and leaves slots alone", () => {
    const memory = new Uint8Array(4096).fill(0xaa);
    const frontend = SharedRingFrontend.initialize(memory, 112);
    expect(Array.from(memory.subarray(0, 64))).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, ...new Array<number>(48).fill(0)]);
    expect(memory[64]).toBe(0xaa);
    expect(frontend.entryCount).toBe(32);
    expect(frontend.freeRequestCount()).toBe(32);
  });

  it("puts requests at 64 + slot * size, responses in the answered request's slot, indices in the header", () => {
    const memory = new Uint8Array(4096);
    const frontend = SharedRingFrontend.initialize(memory, 112);
    const backend = SharedRingBackend.attach(memory, 112);
    expect(frontend.produceRequest(Uint8Array.of(1, 2, 3))).toBe(true);
    expect(frontend.produceRequest(Uint8Array.of(4))).toBe(true);
    expect(readU32(memory, 0)).toBe(0); // not yet pushed
    expect(frontend.pushRequests()).toBe(true); // req_event 1 lies in (0, 2]
    expect(readU32(memory, 0)).toBe(2);
    expect(Array.from(memory.subarray(64, 68))).toEqual([1, 2, 3, 0]);
    expect(memory[64 + 112]).toBe(4);
    expect(backend.beginRequestBatch()).toBe(2);
    const copy = new Uint8Array(112);
    expect(backend.consumeRequestInto(copy)).toBe(true);
    expect(Array.from(copy.subarray(0, 4))).toEqual([1, 2, 3, 0]);
    expect(backend.produceResponse(Uint8Array.of(9, 9))).toBe(true);
    expect(Array.from(memory.subarray(64, 67))).toEqual([9, 9, 0]);
    expect(backend.pushResponses()).toBe(true); // rsp_event 1 lies in (0, 1]
    expect(readU32(memory, 8)).toBe(1);
    expect(frontend.beginResponseBatch()).toBe(1);
    expect(Array.from(frontend.consumeResponse()?.subarray(0, 2) ?? [])).toEqual([9, 9]);
    expect(frontend.finalCheckForResponses()).toBe(0);
    expect(readU32(memory, 12)).toBe(2); // rsp_event = rsp_cons + 1
    expect(backend.consumeRequestInto(copy)).toBe(true);
    expect(backend.finalCheckForRequests()).toBe(0);
    expect(readU32(memory, 4)).toBe(3); // req_event = req_cons + 1
  });

  it("refuses to produce past the ring size or to answer what was not consumed", () => {
    const memory = new Uint8Array(4096);
    const frontend = SharedRingFrontend.initialize(memory, 1024); // 3 slots fit: 2 entries
    const backend = SharedRingBackend.attach(memory, 1024);
    expect(frontend.entryCount).toBe(2);
    expect(frontend.produceRequest(message(4, 1))).toBe(true);
    expect(frontend.claimRequestSlot()).not.toBeNull();
    expect(frontend.produceRequest(message(4, 3))).toBe(false);
    expect(frontend.claimRequestSlot()).toBeNull();
    expect(() => frontend.produceRequest(new Uint8Array(1025))).toThrow(RangeError);
    expect(backend.produceResponse(message(4, 0))).toBe(false);
    expect(backend.claimResponseSlot()).toBeNull();
    frontend.pushRequests();
    expect(backend.beginRequestBatch()).toBe(2);
    expect(backend.consumeRequest()).not.toBeNull();
    expect(backend.produceResponse(message(4, 0))).toBe(true);
    expect(backend.produceResponse(message(4, 0))).toBe(false);
    expect(() => backend.consumeRequestInto(new Uint8Array(10))).toThrow(/smaller than/);
  });
});

describe("notification suppression", () => {
  it("notifies only when the peer's event index was passed", () => {
    const memory = new Uint8Array(4096);
    const frontend = SharedRingFrontend.initialize(memory, 64);
    const backend = SharedRingBackend.attach(memory, 64);
    frontend.produceRequest(message(64, 0));
    expect(frontend.pushRequests()).toBe(true);
    // The backend has not re-armed (req_event still 1), so further pushes stay silent.
    frontend.produceRequest(message(64, 1));
    expect(frontend.pushRequests()).toBe(false);
    expect(frontend.pushRequests()).toBe(false); // nothing new to push
    expect(backend.beginRequestBatch()).toBe(2);
    while (backend.consumeRequest() !== null) backend.produceResponse(message(64, 0));
    expect(backend.finalCheckForRequests()).toBe(0); // re-arms at req_cons + 1 = 3
    frontend.produceRequest(message(64, 2));
    expect(frontend.pushRequests()).toBe(true);
  });

  it("closes the final-check race: a push between the check and the re-arm is still seen", () => {
    const memory = new Uint8Array(4096);
    const frontend = SharedRingFrontend.initialize(memory, 64);
    const backend = SharedRingBackend.attach(memory, 64);
    frontend.produceRequest(message(64, 0));
    frontend.pushRequests();
    backend.beginRequestBatch();
    backend.consumeRequest();
    // The backend found nothing more (its first look); before it re-arms, the frontend
    // pushes, sees the stale event index and does not notify.
    expect(backend.beginRequestBatch()).toBe(0);
    frontend.produceRequest(message(64, 1));
    expect(frontend.pushRequests()).toBe(false);
    // The second half of the final check re-arms and then looks again, so the request is
    // not lost.
    expect(backend.armEventAndCheckForRequests()).toBe(1);
  });

  it("sends at most one notification per batch of B messages to a consumer that sleeps when idle", () => {
    for (const batchSize of [1, 32]) {
      const memory = new Uint8Array(computeSharedRingBytes(2));
      const frontend = SharedRingFrontend.initialize(memory, 64);
      const backend = SharedRingBackend.attach(memory, 64);
      let requestNotifications = 0;
      let responseNotifications = 0;
      const messages = 32 * 100;
      const payload = message(64, 7);
      for (let sent = 0; sent < messages; sent += batchSize) {
        for (let index = 0; index < batchSize; index++) expect(frontend.produceRequest(payload)).toBe(true);
        if (frontend.pushRequests()) requestNotifications++;
        // The backend was asleep; it drains everything, answers, and sleeps again.
        let waiting = backend.beginRequestBatch();
        while (waiting > 0) {
          while (backend.consumeRequest() !== null) backend.produceResponse(payload);
          if (backend.pushResponses()) responseNotifications++;
          waiting = backend.finalCheckForRequests();
        }
        waiting = frontend.beginResponseBatch();
        while (waiting > 0) {
          while (frontend.consumeResponse() !== null);
          waiting = frontend.finalCheckForResponses();
        }
      }
      expect(requestNotifications / messages).toBeLessThanOrEqual(1 / batchSize);
      expect(responseNotifications / messages).toBeLessThanOrEqual(1 / batchSize);
      expect(requestNotifications).toBeGreaterThan(0);
    }
  });
});

describe("overflow checks against hostile peers", () => {
  function connectedRing() {
    const memory = new Uint8Array(4096);
    const frontend = SharedRingFrontend.initialize(memory, 112);
    const backend = SharedRingBackend.attach(memory, 112);
    return { memory, frontend, backend };
  }

  it("catches a frontend publishing more than size requests ahead of the responses", () => {
    const { memory, backend } = connectedRing();
    writeU32(memory, 0, 32);
    expect(backend.beginRequestBatch()).toBe(32);
    writeU32(memory, 0, 33);
    expect(backend.beginRequestBatch()).toBe(RingStatus.frontendRequestOverflow);
    expect(backend.consumeRequest()).toBeNull();
    expect(describeRingStatus(RingStatus.frontendRequestOverflow)).toMatch(/overflow/);
  });

  it("catches a frontend moving req_prod behind requests already consumed", () => {
    const { memory, frontend, backend } = connectedRing();
    for (let index = 0; index < 4; index++) frontend.produceRequest(message(112, index));
    frontend.pushRequests();
    backend.beginRequestBatch();
    for (let index = 0; index < 4; index++) backend.consumeRequest();
    for (let index = 0; index < 4; index++) backend.produceResponse(message(112, index));
    writeU32(memory, 0, 2);
    expect(backend.beginRequestBatch()).toBe(RingStatus.frontendRequestOverflow);
  });

  it("catches req_prod moved behind req_cons while still within Xen's bound from rsp_prod_pvt", () => {
    const { memory, frontend, backend } = connectedRing();
    for (let index = 0; index < 4; index++) frontend.produceRequest(message(112, index));
    frontend.pushRequests();
    backend.beginRequestBatch();
    for (let index = 0; index < 4; index++) backend.consumeRequest();
    // Nothing answered yet: rsp_prod_pvt 0, req_cons 4. req_prod 2 passes Xen's check
    // (2 - 0 <= 32) but would make the backend take 28 stale slots as new requests.
    writeU32(memory, 0, 2);
    expect(backend.beginRequestBatch()).toBe(RingStatus.frontendRequestOverflow);
    expect(backend.consumeRequest()).toBeNull();
  });

  it("never lets the backend consume a request whose slot still holds an unanswered one", () => {
    const { memory, frontend, backend } = connectedRing();
    for (let index = 0; index < 32; index++) frontend.produceRequest(message(112, index));
    frontend.pushRequests();
    expect(backend.beginRequestBatch()).toBe(32);
    while (backend.consumeRequest() !== null);
    // 32 consumed, none answered: publishing 8 more puts req_prod 40 ahead of
    // rsp_prod_pvt, beyond the ring size, so it is an overflow.
    writeU32(memory, 0, 40);
    expect(backend.beginRequestBatch()).toBe(RingStatus.frontendRequestOverflow);
    // Within the bound, the room for responses is exhausted, so the batch is empty.
    writeU32(memory, 0, 32);
    expect(backend.beginRequestBatch()).toBe(0);
    expect(backend.consumeRequest()).toBeNull();
  });

  it("catches a backend publishing more than size responses, or responses to unsent requests", () => {
    const { memory, frontend } = connectedRing();
    for (let index = 0; index < 3; index++) frontend.produceRequest(message(112, index));
    frontend.pushRequests();
    writeU32(memory, 8, 33);
    expect(frontend.beginResponseBatch()).toBe(RingStatus.backendResponseOverflow);
    expect(frontend.consumeResponse()).toBeNull();
    writeU32(memory, 8, 0xffff_ffff); // behind rsp_cons
    expect(frontend.finalCheckForResponses()).toBe(RingStatus.backendResponseOverflow);
    writeU32(memory, 8, 4);
    expect(frontend.beginResponseBatch()).toBe(RingStatus.backendResponsesWithoutRequests);
    writeU32(memory, 8, 3);
    expect(frontend.beginResponseBatch()).toBe(3);
  });

  it("ignores a backend that rewrites req_prod: the frontend's pushes use its private index", () => {
    const { memory, frontend, backend } = connectedRing();
    frontend.produceRequest(message(112, 1));
    frontend.pushRequests();
    writeU32(memory, 0, 1000);
    frontend.produceRequest(message(112, 2));
    frontend.pushRequests();
    expect(readU32(memory, 0)).toBe(2);
    expect(backend.beginRequestBatch()).toBe(2);
  });
});

describe("copy-once consumption", () => {
  it("reads indices once per batch and leaves the private copy untouched by later slot writes", () => {
    const memory = new Uint8Array(4096);
    const frontend = SharedRingFrontend.initialize(memory, 16);
    const backend = SharedRingBackend.attach(memory, 16);
    frontend.produceRequest(message(16, 11));
    frontend.pushRequests();
    expect(backend.beginRequestBatch()).toBe(1);
    frontend.produceRequest(message(16, 12));
    frontend.pushRequests();
    const privateCopy = new Uint8Array(16);
    expect(backend.consumeRequestInto(privateCopy)).toBe(true);
    expect(backend.consumeRequestInto(privateCopy)).toBe(false); // the batch held one request
    memory.fill(0xee, 64, 64 + 16); // a hostile rewrite of the consumed slot
    expect(messageValue(privateCopy)).toBe(11);
    expect(backend.beginRequestBatch()).toBe(1);
    expect(messageValue(backend.consumeRequest() ?? new Uint8Array(4))).toBe(12);
  });

  it("works the same over SharedArrayBuffer memory with atomic indices", () => {
    const memory = new Uint8Array(new SharedArrayBuffer(8192));
    const frontend = SharedRingFrontend.initialize(memory, 64);
    const backend = SharedRingBackend.attach(memory, 64);
    expect(frontend.entryCount).toBe(64);
    frontend.produceRequest(message(64, 5));
    expect(frontend.pushRequests()).toBe(true);
    expect(backend.beginRequestBatch()).toBe(1);
    expect(messageValue(backend.consumeRequest() ?? new Uint8Array(4))).toBe(5);
  });
});

describe("outside observers", () => {
  it("reads the header indices and flags requests running more than size ahead of responses", () => {
    const memory = new Uint8Array(4096);
    const frontend = SharedRingFrontend.initialize(memory, 112, 0xffff_fffe);
    frontend.produceRequest(message(112, 1));
    frontend.produceRequest(message(112, 2));
    frontend.pushRequests();
    const header = readSharedRingHeader(memory);
    expect(header).toEqual({ requestProducer: 0, requestEvent: 0xffff_ffff, responseProducer: 0xffff_fffe, responseEvent: 0xffff_ffff });
    expect(findSharedRingHeaderProblem(header, 32)).toBeNull();
    writeU32(memory, 0, 0xffff_fffe + 33);
    expect(findSharedRingHeaderProblem(readSharedRingHeader(memory), 32)).toMatch(/more than the 32 ring entries/);
  });
});
