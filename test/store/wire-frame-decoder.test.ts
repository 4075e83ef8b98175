import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StoreMessage } from "../../runtime/store/connection.js";
import { XsWireFrameDecoder } from "../../runtime/store/wire-frame-decoder.js";
import { createErrorReply, encodeStoreMessage } from "../../runtime/store/wire-frame-encoder.js";
import { XsMessageType, xsPayloadMaxBytes } from "../../runtime/store/wire-types.js";

function decodeAll(decoder: XsWireFrameDecoder, chunks: readonly Uint8Array[]): StoreMessage[] {
  const messages: StoreMessage[] = [];
  for (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      const consumed = decoder.feed(chunk, offset, chunk.length);
      offset += consumed;
      const message = decoder.takeCompletedMessage();
      if (message !== undefined) messages.push(message);
      if (decoder.failure !== undefined) return messages;
      if (consumed === 0 && message === undefined) throw new Error("decoder made no progress");
    }
  }
  return messages;
}

function header(type: number, requestId: number, transactionId: number, length: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, requestId, true);
  view.setUint32(8, transactionId, true);
  view.setUint32(12, length, true);
  return bytes;
}

const arbitraryMessage = fc.record({
  type: fc.integer({ min: 0, max: 0xffff_ffff }),
  requestId: fc.integer({ min: 0, max: 0xffff_ffff }),
  transactionId: fc.integer({ min: 0, max: 0xffff_ffff }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

describe("xs_wire frame decoder", () => {
  it("decodes any sequence of messages however the stream is cut into chunks", () => {
    fc.assert(
      fc.property(fc.array(arbitraryMessage, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (messages, cuts) => {
        const stream = Buffer.concat(messages.map((message) => encodeStoreMessage(message)));
        const chunks: Uint8Array[] = [];
        let offset = 0;
        for (let index = 0; offset < stream.length; index++) {
          const size = cuts[index % cuts.length] ?? 1;
          chunks.push(stream.subarray(offset, offset + size));
          offset += size;
        }
        const decoded = decodeAll(new XsWireFrameDecoder(), chunks);
        expect(decoded.map((message) => ({ ...message, payload: [...message.payload] }))).toEqual(
          messages.map((message) => ({ ...message, payload: [...message.payload] })),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("stops after each complete message so a transport can pause between requests", () => {
    const stream = Buffer.concat([
      encodeStoreMessage({ type: XsMessageType.read, requestId: 1, transactionId: 0, payload: new Uint8Array([97, 0]) }),
      encodeStoreMessage({ type: XsMessageType.read, requestId: 2, transactionId: 0, payload: new Uint8Array([98, 0]) }),
    ]);
    const decoder = new XsWireFrameDecoder();
    expect(decoder.feed(stream, 0, stream.length)).toBe(18);
    expect(decoder.feed(stream, 18, stream.length)).toBe(0);
    expect(decoder.takeCompletedMessage()?.requestId).toBe(1);
    expect(decoder.feed(stream, 18, stream.length)).toBe(18);
    expect(decoder.takeCompletedMessage()?.requestId).toBe(2);
    expect(decoder.isMidMessage).toBe(false);
  });

  it("accepts a payload of exactly 4096 bytes and rejects 4097 after reading only the header", () => {
    const largest = Buffer.concat([header(XsMessageType.write, 7, 0, xsPayloadMaxBytes), new Uint8Array(xsPayloadMaxBytes)]);
    expect(decodeAll(new XsWireFrameDecoder(), [largest])[0]?.payload.length).toBe(xsPayloadMaxBytes);

    const decoder = new XsWireFrameDecoder();
    const tooLong = Buffer.concat([header(XsMessageType.write, 7, 0, xsPayloadMaxBytes + 1), new Uint8Array(64)]);
    expect(decoder.feed(tooLong, 0, tooLong.length)).toBe(16);
    expect(decoder.failure?.code).toBe("payload-too-long");
    expect(decoder.failure?.message).toContain("4097-byte payload");
    expect(decoder.feed(tooLong, 16, tooLong.length)).toBe(0);
  });

  it("copies the payload so the caller's buffer is never retained", () => {
    const frame = encodeStoreMessage({ type: XsMessageType.read, requestId: 3, transactionId: 0, payload: new Uint8Array([120, 0]) });
    const decoder = new XsWireFrameDecoder();
    decoder.feed(frame, 0, frame.length);
    frame.fill(0);
    expect([...(decoder.takeCompletedMessage()?.payload ?? [])]).toEqual([120, 0]);
  });

  it("passes unknown message types through for the core to answer", () => {
    const frame = encodeStoreMessage({ type: 999, requestId: 4, transactionId: 0, payload: new Uint8Array() });
    const [message] = decodeAll(new XsWireFrameDecoder(), [frame]);
    expect(message?.type).toBe(999);
  });
});

describe("xs_wire frame encoder", () => {
  it("writes a little-endian header and refuses payloads over 4096 bytes", () => {
    const frame = encodeStoreMessage({ type: 2, requestId: 0x01020304, transactionId: 5, payload: new Uint8Array([1, 2]) });
    expect([...frame.subarray(0, 16)]).toEqual([2, 0, 0, 0, 4, 3, 2, 1, 5, 0, 0, 0, 2, 0, 0, 0]);
    expect(() => encodeStoreMessage({ type: 2, requestId: 0, transactionId: 0, payload: new Uint8Array(4097) })).toThrow(RangeError);
  });

  it("builds Xen's error replies: type ERROR, the request's ids, the name NUL-terminated", () => {
    const reply = createErrorReply({ requestId: 9, transactionId: 4 }, "EACCES");
    expect(reply.type).toBe(XsMessageType.error);
    expect(reply.requestId).toBe(9);
    expect(reply.transactionId).toBe(4);
    expect(Buffer.from(reply.payload).toString("latin1")).toBe("EACCES\0");
  });
});
