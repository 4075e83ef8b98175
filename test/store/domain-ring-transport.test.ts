import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { xenstoreRingFieldOffsets, xenstoreRingLayout } from "../../runtime/ring/index.js";
import { decodeStringArguments, decodeText, encodeStringArguments, encodeWriteArguments } from "../../runtime/store/request-payloads.js";
import { XsMessageType } from "../../runtime/store/wire-types.js";
import { XenstoreConnectionState, XenstoreRingError } from "../../runtime/store/xenstore-interface-page.js";
import { openTestStore } from "./support/test-store.js";
import { createRingPair } from "./support/ring-pair.js";

const requestProducerOffset = xenstoreRingLayout.guestToBackend.producerIndexOffset;
const responseProducerOffset = xenstoreRingLayout.backendToGuest.producerIndexOffset;
const connectionFieldOffset = xenstoreRingFieldOffsets.connection;
const errorFieldOffset = xenstoreRingFieldOffsets.error;

function wordAt(page: Uint8Array, offset: number): number {
  return new DataView(page.buffer, page.byteOffset).getUint32(offset, true);
}

function setWordAt(page: Uint8Array, offset: number, value: number): void {
  new DataView(page.buffer, page.byteOffset).setUint32(offset, value >>> 0, true);
}

describe("domain ring transport", () => {
  it("serves requests and replies through the 2080-byte interface page", () => {
    const store = openTestStore();
    const pair = createRingPair(store, 0);
    pair.client.send({ type: XsMessageType.write, requestId: 1, transactionId: 0, payload: encodeWriteArguments("/ring/key", "value") });
    pair.client.send({ type: XsMessageType.read, requestId: 2, transactionId: 0, payload: encodeStringArguments("/ring/key") });
    expect(pair.received.map((message) => [message.type, message.requestId])).toEqual([
      [XsMessageType.write, 1],
      [XsMessageType.read, 2],
    ]);
    expect(decodeText(pair.received[1]?.payload ?? new Uint8Array())).toBe("value");
  });

  it("streams many requests larger than the ring across wrap-around, in order", () => {
    const store = openTestStore();
    const pair = createRingPair(store, 0);
    const value = "x".repeat(900);
    for (let index = 0; index < 60; index++) {
      pair.client.send({ type: XsMessageType.write, requestId: 100 + index, transactionId: 0, payload: encodeWriteArguments(`/bulk/${index}`, value) });
      pair.client.send({ type: XsMessageType.read, requestId: 1000 + index, transactionId: 0, payload: encodeStringArguments(`/bulk/${index}`) });
    }
    expect(pair.received).toHaveLength(120);
    expect(pair.received.filter((message) => message.requestId >= 1000).every((message) => decodeText(message.payload) === value)).toBe(true);
    expect(wordAt(pair.page, requestProducerOffset)).toBeGreaterThan(60 * 900);
  });

  it("stops reading requests at the outstanding-request quota while the guest does not read replies", () => {
    const store = openTestStore();
    const pair = createRingPair(store, 0, { outstandingRequestsPerDomain: 20 });
    const value = "y".repeat(100);
    for (let index = 0; index < 60; index++) {
      pair.client.send({ type: XsMessageType.write, requestId: index + 1, transactionId: 0, payload: encodeWriteArguments(`/quota/${index}`, value) });
    }
    pair.received.length = 0;
    pair.guestStalled = true;
    for (let index = 0; index < 60; index++) {
      pair.client.send({ type: XsMessageType.read, requestId: index + 1, transactionId: 0, payload: encodeStringArguments(`/quota/${index}`) });
    }
    // The response stream holds at most 1024 bytes; beyond it, 20 replies wait and no more requests are read.
    expect(pair.transport.outstandingRequests).toBe(20);
    expect(pair.received).toHaveLength(0);
    const unreadRequestBytes = wordAt(pair.page, requestProducerOffset) - wordAt(pair.page, xenstoreRingLayout.guestToBackend.consumerIndexOffset);
    expect(unreadRequestBytes).toBeGreaterThan(0);
    pair.guestStalled = false;
    pair.client.onEventChannelNotified();
    expect(pair.received.map((message) => message.requestId)).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
    expect(pair.transport.outstandingRequests).toBe(0);
  });

  it("drops a domain whose request indices are more than 1024 apart, and only that domain", () => {
    const store = openTestStore();
    const hostile = createRingPair(store, 0);
    const honest = createRingPair(store, 0);
    setWordAt(hostile.page, requestProducerOffset, 1025);
    hostile.transport.onEventChannelNotified();
    expect(hostile.transport.disconnectReason).toContain("indices are inconsistent");
    expect(wordAt(hostile.page, errorFieldOffset)).toBe(XenstoreRingError.ringIndex);
    honest.client.send({ type: XsMessageType.write, requestId: 1, transactionId: 0, payload: encodeWriteArguments("/honest", "1") });
    expect(honest.received).toHaveLength(1);
    expect(honest.received[0]?.type).toBe(XsMessageType.write);
  });

  it("serves a dropped domain again after the reconnection handshake, but not a closed one", () => {
    const store = openTestStore();
    const pair = createRingPair(store, 0);
    setWordAt(pair.page, requestProducerOffset, 4000);
    pair.transport.onEventChannelNotified();
    expect(pair.client.serverError).toBe(XenstoreRingError.ringIndex);
    pair.client.requestReconnect();
    expect(pair.transport.disconnectReason).toBeUndefined();
    expect(pair.client.serverError).toBe(XenstoreRingError.none);
    pair.client.send({ type: XsMessageType.write, requestId: 1, transactionId: 0, payload: encodeWriteArguments("/recovered", "1") });
    expect(pair.received.map((message) => message.type)).toEqual([XsMessageType.write]);
    pair.transport.close();
    pair.client.requestReconnect();
    expect(pair.transport.disconnectReason).toBe("closed by the store");
  });

  it("drops a domain whose response indices it corrupted", () => {
    const store = openTestStore();
    const pair = createRingPair(store, 0);
    pair.guestStalled = true;
    setWordAt(pair.page, responseProducerOffset, 5000);
    pair.client.send({ type: XsMessageType.read, requestId: 1, transactionId: 0, payload: encodeStringArguments("/nothing") });
    expect(pair.transport.disconnectReason).toContain("response ring indices");
    expect(pair.client.serverError).toBe(XenstoreRingError.ringIndex);
  });

  it("drops a domain that announces a payload over 4096 bytes", () => {
    const store = openTestStore();
    const pair = createRingPair(store, 0);
    const header = new Uint8Array(16);
    new DataView(header.buffer).setUint32(12, 5000, true);
    pair.client.sendRawFrame(header);
    expect(pair.transport.disconnectReason).toContain("5000-byte payload");
    expect(pair.client.serverError).toBe(XenstoreRingError.protocol);
  });

  it("drops a stalled domain whose watch events exceed the bound, leaving the writer unaffected", () => {
    const store = openTestStore();
    const watcher = createRingPair(store, 0, { pendingWatchEventsPerDomain: 8 });
    const writer = createRingPair(store, 0);
    watcher.client.send({ type: XsMessageType.watch, requestId: 1, transactionId: 0, payload: encodeStringArguments("/storm", "t") });
    expect(watcher.received.map((message) => message.type)).toEqual([XsMessageType.watch, XsMessageType.watchEvent]);
    watcher.guestStalled = true;
    const value = "z".repeat(200);
    for (let index = 0; index < 40; index++) {
      writer.client.send({ type: XsMessageType.write, requestId: index + 1, transactionId: 0, payload: encodeWriteArguments(`/storm/${"p".repeat(100)}${index}`, value) });
    }
    expect(writer.received).toHaveLength(40);
    expect(watcher.transport.disconnectReason).toContain("watch events left unread");
    expect(watcher.client.serverError).toBe(XenstoreRingError.communication);
  });

  it("delivers a watch event after the reply to the request that caused it", () => {
    const store = openTestStore();
    const pair = createRingPair(store, 0);
    pair.client.send({ type: XsMessageType.watch, requestId: 1, transactionId: 0, payload: encodeStringArguments("/order", "tok") });
    pair.client.send({ type: XsMessageType.write, requestId: 2, transactionId: 0, payload: encodeWriteArguments("/order/a", "1") });
    expect(pair.received.map((message) => [message.type, message.requestId])).toEqual([
      [XsMessageType.watch, 1],
      [XsMessageType.watchEvent, 0],
      [XsMessageType.write, 2],
      [XsMessageType.watchEvent, 0],
    ]);
    expect(decodeStringArguments(pair.received[3]?.payload ?? new Uint8Array())).toEqual(["/order/a", "tok"]);
  });

  it("honours the reconnection handshake: streams restart at 0 and old watches are gone", () => {
    const store = openTestStore();
    const pair = createRingPair(store, 0);
    pair.client.send({ type: XsMessageType.watch, requestId: 1, transactionId: 0, payload: encodeStringArguments("/reconnect", "old") });
    pair.client.requestReconnect();
    expect(pair.client.isConnected).toBe(true);
    expect(wordAt(pair.page, connectionFieldOffset)).toBe(XenstoreConnectionState.connected);
    expect(wordAt(pair.page, requestProducerOffset)).toBe(0);
    pair.received.length = 0;
    pair.client.send({ type: XsMessageType.write, requestId: 2, transactionId: 0, payload: encodeWriteArguments("/reconnect/x", "1") });
    expect(pair.received.map((message) => message.type)).toEqual([XsMessageType.write]);
  });

  it("never throws on a hostile page (random indices and bytes) and leaves other domains served", () => {
    const store = openTestStore();
    const honest = createRingPair(store, 0);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2048, maxLength: 2048 }),
        fc.array(fc.record({ word: fc.constantFrom(2048, 2052, 2056, 2060, 2068), value: fc.integer({ min: 0, max: 0xffff_ffff }) }), { maxLength: 6 }),
        (streams, words) => {
          const hostile = createRingPair(store, 0);
          hostile.page.set(streams, 0);
          for (const { word, value } of words) setWordAt(hostile.page, word, value);
          expect(() => {
            for (let round = 0; round < 3; round++) hostile.transport.onEventChannelNotified();
          }).not.toThrow();
          if (hostile.transport.disconnectReason !== undefined) expect(wordAt(hostile.page, errorFieldOffset)).not.toBe(0);
          hostile.transport.close();
        },
      ),
      { numRuns: 150 },
    );
    honest.client.send({ type: XsMessageType.write, requestId: 1, transactionId: 0, payload: encodeWriteArguments("/after-hostile", "ok") });
    expect(honest.received.map((message) => message.type)).toEqual([XsMessageType.write]);
  });
});
