// Byte-stream rings (console and xenstore layouts): byte-for-byte placement, partial
// transfers, wrap-around on free-running indices, the index sanity check and notify decisions.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { ByteStreamRingEndpoint } from "../../runtime/ring/byte-stream-ring.js";
import {
  consoleRingLayout,
  findByteStreamLayoutProblem,
  xenstoreRingLayout,
  type ByteStreamRingLayout,
} from "../../runtime/ring/byte-stream-ring-layout.js";
import { RingStatus } from "../../runtime/ring/ring-status.js";

function readU32(memory: Uint8Array, offset: number): number {
  return new DataView(memory.buffer, memory.byteOffset).getUint32(offset, true);
}
function writeU32(memory: Uint8Array, offset: number, value: number): void {
  new DataView(memory.buffer, memory.byteOffset).setUint32(offset, value >>> 0, true);
}
function connect(layout: ByteStreamRingLayout, shared = false) {
  const memory = new Uint8Array(shared ? new SharedArrayBuffer(4096) : new ArrayBuffer(4096));
  return {
    memory,
    guest: new ByteStreamRingEndpoint(memory, layout, "guest"),
    backend: new ByteStreamRingEndpoint(memory, layout, "backend"),
  };
}
function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

describe("byte-stream ring layouts", () => {
  it("places the console streams and indices where Xen's console.h does", () => {
    const { memory, guest, backend } = connect(consoleRingLayout);
    expect(guest.write(bytes(0x61, 0x62, 0x63))).toBe(3);
    expect(Array.from(memory.subarray(1024, 1027))).toEqual([0x61, 0x62, 0x63]);
    expect(readU32(memory, 3084)).toBe(3); // out_prod
    expect(backend.read(new Uint8Array(2))).toBe(2);
    expect(readU32(memory, 3080)).toBe(2); // out_cons
    expect(backend.write(bytes(0x7a))).toBe(1);
    expect(memory[0]).toBe(0x7a);
    expect(readU32(memory, 3076)).toBe(1); // in_prod
    expect(guest.read(new Uint8Array(8))).toBe(1);
    expect(readU32(memory, 3072)).toBe(1); // in_cons
    expect(consoleRingLayout.totalBytes).toBe(3092);
    expect(guest.writableByteCount()).toBe(2048 - 1);
  });

  it("places the xenstore streams and indices where Xen's xs_wire.h does", () => {
    const { memory, guest, backend } = connect(xenstoreRingLayout);
    expect(guest.write(bytes(1, 2))).toBe(2);
    expect(Array.from(memory.subarray(0, 2))).toEqual([1, 2]);
    expect(readU32(memory, 2052)).toBe(2); // req_prod
    expect(backend.read(new Uint8Array(2))).toBe(2);
    expect(readU32(memory, 2048)).toBe(2); // req_cons
    expect(backend.write(bytes(9, 8, 7))).toBe(3);
    expect(Array.from(memory.subarray(1024, 1027))).toEqual([9, 8, 7]);
    expect(readU32(memory, 2060)).toBe(3); // rsp_prod
    expect(guest.read(new Uint8Array(3))).toBe(3);
    expect(readU32(memory, 2056)).toBe(3); // rsp_cons
    expect(xenstoreRingLayout.totalBytes).toBe(2080);
  });

  it("rejects layouts whose buffers are not powers of two or overlap the end", () => {
    expect(findByteStreamLayoutProblem(consoleRingLayout)).toBeNull();
    expect(findByteStreamLayoutProblem(xenstoreRingLayout)).toBeNull();
    const bad = { ...xenstoreRingLayout, guestToBackend: { ...xenstoreRingLayout.guestToBackend, dataBytes: 1000 } };
    expect(findByteStreamLayoutProblem(bad)).toMatch(/power of two/);
    expect(() => new ByteStreamRingEndpoint(new Uint8Array(4096), bad, "guest")).toThrow(RangeError);
    expect(() => new ByteStreamRingEndpoint(new Uint8Array(100), xenstoreRingLayout, "guest")).toThrow(/2080 bytes/);
  });
});

describe("byte-stream transfers", () => {
  it("writes partially when the stream fills and reads partially into a small target", () => {
    const { guest, backend } = connect(xenstoreRingLayout);
    const payload = new Uint8Array(1500).map((_, index) => index & 0xff);
    expect(guest.write(payload)).toBe(1024);
    expect(guest.write(payload, 1024)).toBe(0);
    expect(guest.writableByteCount()).toBe(0);
    const target = new Uint8Array(1500);
    expect(backend.read(target, 0, 100)).toBe(100);
    expect(guest.write(payload, 1024)).toBe(100);
    expect(backend.read(target, 100)).toBe(1024);
    expect(Array.from(target.subarray(0, 1124))).toEqual(Array.from(payload.subarray(0, 1124)));
    expect(backend.read(target)).toBe(0);
  });

  it("wraps free-running indices through 2^32 without losing a byte", () => {
    const { memory, guest, backend } = connect(consoleRingLayout);
    const start = 0xffff_fff0;
    writeU32(memory, 3080, start);
    writeU32(memory, 3084, start);
    const payload = new Uint8Array(40).map((_, index) => 200 - index);
    expect(guest.write(payload)).toBe(40);
    expect(readU32(memory, 3084)).toBe((start + 40) >>> 0);
    const target = new Uint8Array(40);
    expect(backend.read(target)).toBe(40);
    expect(target).toEqual(payload);
    expect(readU32(memory, 3080)).toBe(24);
  });

  it("reports corrupt indices from a hostile peer and changes nothing", () => {
    const { memory, guest, backend } = connect(xenstoreRingLayout);
    writeU32(memory, 2048, 10); // req_cons
    writeU32(memory, 2052, 10 + 1025); // req_prod: more than 1024 unread
    const before = Uint8Array.from(memory);
    expect(backend.read(new Uint8Array(16))).toBe(RingStatus.byteStreamIndicesOutOfRange);
    expect(backend.readableByteCount()).toBe(RingStatus.byteStreamIndicesOutOfRange);
    expect(guest.write(bytes(1))).toBe(RingStatus.byteStreamIndicesOutOfRange);
    expect(guest.writableByteCount()).toBe(RingStatus.byteStreamIndicesOutOfRange);
    expect(memory).toEqual(before);
    // A producer behind the consumer is the same fault seen through u32 arithmetic.
    writeU32(memory, 2052, 9);
    expect(backend.read(new Uint8Array(16))).toBe(RingStatus.byteStreamIndicesOutOfRange);
    // Exactly full is legal.
    writeU32(memory, 2052, 10 + 1024);
    expect(backend.readableByteCount()).toBe(1024);
  });

  it("notifies the reader only when it had drained the stream, and the writer only when it was full", () => {
    const { guest, backend } = connect(xenstoreRingLayout);
    guest.write(bytes(1, 2, 3));
    expect(guest.peerNotificationRequired).toBe(true);
    guest.write(bytes(4));
    expect(guest.peerNotificationRequired).toBe(false);
    backend.read(new Uint8Array(4));
    expect(backend.peerNotificationRequired).toBe(false);
    guest.write(new Uint8Array(1024));
    expect(guest.peerNotificationRequired).toBe(true);
    backend.read(new Uint8Array(10));
    expect(backend.peerNotificationRequired).toBe(true);
    backend.read(new Uint8Array(10));
    expect(backend.peerNotificationRequired).toBe(false);
  });

  it("uses atomic index accesses over shared memory with the same results", () => {
    const { guest, backend } = connect(consoleRingLayout, true);
    expect(guest.write(bytes(5, 6, 7))).toBe(3);
    const target = new Uint8Array(3);
    expect(backend.read(target)).toBe(3);
    expect(Array.from(target)).toEqual([5, 6, 7]);
  });
});

describe("byte-stream properties", () => {
  type Step = { readonly kind: "write"; readonly length: number } | { readonly kind: "read"; readonly room: number };
  const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("write" as const), length: fc.integer({ min: 0, max: 1500 }) }),
    fc.record({ kind: fc.constant("read" as const), room: fc.integer({ min: 0, max: 1500 }) }),
  );

  it("delivers every byte in order, keeps 0 <= prod - cons <= len and never loses a wake-up", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(consoleRingLayout, xenstoreRingLayout),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.array(stepArbitrary, { maxLength: 60 }),
        (layout, startIndex, steps) => {
          const { memory, guest, backend } = connect(layout);
          const direction = layout.guestToBackend;
          writeU32(memory, direction.consumerIndexOffset, startIndex);
          writeU32(memory, direction.producerIndexOffset, startIndex);
          let nextByteToWrite = 0;
          let nextByteExpected = 0;
          // The reader sleeps after finding the stream empty; the writer sleeps after finding
          // it full. Each is woken only by a notification from the other.
          let readerAsleep = true;
          let readerPending = false;
          let writerAsleep = false;
          let writerPending = false;
          const scratch = new Uint8Array(1500);
          for (const step of steps) {
            if (step.kind === "write") {
              if (writerAsleep && !writerPending) continue;
              writerAsleep = false;
              writerPending = false;
              for (let index = 0; index < step.length; index++) scratch[index] = (nextByteToWrite + index) & 0xff;
              const written = guest.write(scratch, 0, step.length);
              expect(written).toBeGreaterThanOrEqual(0);
              nextByteToWrite += written;
              if (guest.peerNotificationRequired) readerPending = true;
              if (written < step.length) writerAsleep = true;
            } else {
              if (readerAsleep && !readerPending) continue;
              readerAsleep = false;
              readerPending = false;
              const count = backend.read(scratch, 0, step.room);
              expect(count).toBeGreaterThanOrEqual(0);
              let firstWrongByte = -1;
              for (let index = 0; index < count && firstWrongByte < 0; index++) {
                if (scratch[index] !== ((nextByteExpected + index) & 0xff)) firstWrongByte = index;
              }
              expect(firstWrongByte).toBe(-1);
              nextByteExpected += count;
              if (backend.peerNotificationRequired) writerPending = true;
              if (step.room > 0 && count === 0) readerAsleep = true;
            }
            const unread = (readU32(memory, direction.producerIndexOffset) - readU32(memory, direction.consumerIndexOffset)) >>> 0;
            expect(unread).toBeLessThanOrEqual(direction.dataBytes);
            expect(unread).toBe(nextByteToWrite - nextByteExpected);
            // No lost wake-up: a sleeper without a pending notification has nothing to do.
            if (readerAsleep && !readerPending) expect(unread).toBe(0);
            if (writerAsleep && !writerPending) expect(unread).toBe(direction.dataBytes);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
