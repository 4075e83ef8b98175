// The socket transport against hostile and careless clients: malformed frames, bad
// arguments, floods of requests and of watch events. The offending client gets an error
// reply or is disconnected; the daemon and every other client carry on.
import { createConnection } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { StoreMessage } from "../../runtime/store/connection.js";
import { decodeText, encodeStringArguments, encodeWriteArguments } from "../../runtime/store/request-payloads.js";
import { StoreSocketServer } from "../../runtime/store/socket-server.js";
import { XsWireFrameDecoder } from "../../runtime/store/wire-frame-decoder.js";
import { encodeStoreMessage } from "../../runtime/store/wire-frame-encoder.js";
import { XsMessageType } from "../../runtime/store/wire-types.js";
import { startInProcessDaemon, type InProcessDaemon } from "./support/in-process-daemon.js";

let daemon: InProcessDaemon | undefined;

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
});

function errorName(reply: StoreMessage): string {
  return reply.type === XsMessageType.error ? decodeText(reply.payload) : `not an error (type ${reply.type})`;
}

function waitForEnd(client: { onEnd(listener: () => void): void; isClosed: boolean }): Promise<void> {
  return client.isClosed ? Promise.resolve() : new Promise((resolve) => client.onEnd(resolve));
}

describe("store socket server: malformed input", () => {
  it("answers an unknown message type with an error and keeps the client", async () => {
    daemon = await startInProcessDaemon();
    const client = await daemon.connect();
    expect(errorName(await client.send(99, encodeStringArguments("x")))).toBe("ENOSYS");
    expect(errorName(await client.send(XsMessageType.watchEvent, encodeStringArguments("/a", "t")))).toMatch(/^E[A-Z0-9]+$/);
    await client.write("/still/usable", "yes");
    expect(await client.read("/still/usable")).toBe("yes");
  });

  it("disconnects a client announcing a payload over 4096 bytes, and only that client", async () => {
    daemon = await startInProcessDaemon();
    const bystander = await daemon.connect();
    const offender = await daemon.connect();
    const header = new Uint8Array(16);
    new DataView(header.buffer).setUint32(0, XsMessageType.write, true);
    new DataView(header.buffer).setUint32(12, 4097, true);
    offender.sendRawBytes(header);
    await waitForEnd(offender);
    expect(daemon.log.some((line) => line.includes("4097-byte payload"))).toBe(true);
    await bystander.write("/bystander", "fine");
    expect(await bystander.read("/bystander")).toBe("fine");
    expect(daemon.server.clientCount).toBe(1);
  });

  it("rejects arguments without their NUL, bad path characters, over-long paths and bad permissions", async () => {
    daemon = await startInProcessDaemon();
    const client = await daemon.connect();
    await client.write("/perm", "v");
    expect(errorName(await client.send(XsMessageType.read, new TextEncoder().encode("/perm")))).toBe("EINVAL");
    expect(errorName(await client.send(XsMessageType.write, new TextEncoder().encode("/no-nul-at-all")))).toBe("EINVAL");
    expect(errorName(await client.send(XsMessageType.read, encodeStringArguments("/bad path")))).toBe("EINVAL");
    expect(errorName(await client.send(XsMessageType.write, encodeWriteArguments("/bad//path", "v")))).toBe("EINVAL");
    expect(errorName(await client.send(XsMessageType.read, encodeStringArguments("/trailing/")))).toBe("EINVAL");
    expect(errorName(await client.send(XsMessageType.read, encodeStringArguments(`/${"a".repeat(3072)}`)))).toBe("EINVAL");
    expect(errorName(await client.send(XsMessageType.setPerms, encodeStringArguments("/perm", "q1")))).toBe("EINVAL");
    expect(errorName(await client.send(XsMessageType.setPerms, encodeStringArguments("/perm", "rabc")))).toBe("EINVAL");
    expect(errorName(await client.send(XsMessageType.setPerms, encodeStringArguments("/perm")))).toBe("EINVAL");
    expect(await client.getPermissions("/perm")).toEqual(["n0"]);
  });

  it("survives arbitrary garbage from one client while another keeps working", async () => {
    daemon = await startInProcessDaemon();
    const bystander = await daemon.connect();
    const current = daemon;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), async (garbage) => {
        const attacker = await current.connect();
        attacker.sendRawBytes(garbage);
        // A request behind the garbage is answered or the attacker is disconnected; either way
        // the attacker's session ends when we close it, and the daemon must still serve others.
        attacker.sendRawBytes(encodeStoreMessage({ type: XsMessageType.read, requestId: 0xfffffff0, transactionId: 0, payload: encodeStringArguments("/") }));
        await bystander.write("/garbage/bystander", String(garbage.length));
        expect(await bystander.read("/garbage/bystander")).toBe(String(garbage.length));
        attacker.close();
      }),
      { numRuns: 40 },
    );
  });
});

describe("store socket server: floods", () => {
  it("stops reading from a client that floods requests without reading replies, then answers them all in order", async () => {
    daemon = await startInProcessDaemon({ outboundPauseBytes: 16 * 1024 });
    const bystander = await daemon.connect();
    await bystander.write("/flood/value", "x".repeat(1000));
    const flooder = createConnection(daemon.socketPath);
    await new Promise<void>((resolve) => flooder.once("connect", () => resolve()));
    flooder.pause();
    const requestCount = 5000;
    const frames: Uint8Array[] = [];
    for (let requestId = 1; requestId <= requestCount; requestId++) {
      frames.push(encodeStoreMessage({ type: XsMessageType.read, requestId, transactionId: 0, payload: encodeStringArguments("/flood/value") }));
    }
    flooder.write(Buffer.concat(frames));
    // The flooder reads nothing; the daemon must keep serving others meanwhile.
    for (let round = 0; round < 20; round++) {
      await bystander.write(`/flood/bystander/${round}`, "ok");
      expect(await bystander.read(`/flood/bystander/${round}`)).toBe("ok");
    }
    const decoder = new XsWireFrameDecoder();
    const seen: number[] = [];
    await new Promise<void>((resolve, reject) => {
      flooder.on("data", (chunk: Buffer) => {
        let offset = 0;
        while (offset < chunk.length) {
          offset += decoder.feed(chunk, offset, chunk.length);
          const reply = decoder.takeCompletedMessage();
          if (reply === undefined) continue;
          if (reply.type !== XsMessageType.read || reply.payload.length !== 1000) reject(new Error(`unexpected reply type ${reply.type}`));
          seen.push(reply.requestId);
          if (seen.length === requestCount) resolve();
        }
      });
      flooder.once("close", () => reject(new Error("the daemon dropped a client that only needed back-pressure")));
      flooder.resume();
    });
    expect(seen).toEqual(Array.from({ length: requestCount }, (_, index) => index + 1));
    // Requests waited in the socket, not replies in the daemon: the backlog stayed near the bound.
    expect(daemon.server.peakOutboundBacklogBytes).toBeLessThanOrEqual(16 * 1024 + 4096 + 16);
    flooder.destroy();
  });

  it("disconnects a watcher that leaves too many watch events unread; the writer is unaffected", async () => {
    daemon = await startInProcessDaemon({ outboundDisconnectBytes: 32 * 1024 });
    const writer = await daemon.connect();
    const watcher = createConnection(daemon.socketPath);
    await new Promise<void>((resolve) => watcher.once("connect", () => resolve()));
    const closed = new Promise<void>((resolve) => watcher.once("close", () => resolve()));
    watcher.write(encodeStoreMessage({ type: XsMessageType.watch, requestId: 1, transactionId: 0, payload: encodeStringArguments("/storm", "tok") }));
    watcher.pause();
    await writer.write("/storm", "");
    for (let index = 0; index < 3000 && daemon.server.clientCount > 1; index++) {
      await writer.write(`/storm/${"n".repeat(2500)}${index}`, "v");
    }
    expect(daemon.server.clientCount).toBe(1);
    // The watcher sees the end of its stream once it reads what was sent before the drop.
    watcher.resume();
    await closed;
    expect(daemon.log.some((line) => line.includes("left unread"))).toBe(true);
    await writer.write("/storm/after", "still fine");
    expect(await writer.read("/storm/after")).toBe("still fine");
  });

  it("sends the reply to WATCH before the watch's first event", async () => {
    daemon = await startInProcessDaemon();
    const raw = createConnection(daemon.socketPath);
    await new Promise<void>((resolve) => raw.once("connect", () => resolve()));
    const decoder = new XsWireFrameDecoder();
    const types: number[] = [];
    const done = new Promise<void>((resolve) => {
      raw.on("data", (chunk: Buffer) => {
        let offset = 0;
        while (offset < chunk.length) {
          offset += decoder.feed(chunk, offset, chunk.length);
          const message = decoder.takeCompletedMessage();
          if (message !== undefined) types.push(message.type);
          if (types.length === 2) resolve();
        }
      });
    });
    raw.write(encodeStoreMessage({ type: XsMessageType.watch, requestId: 5, transactionId: 0, payload: encodeStringArguments("/first", "t") }));
    await done;
    expect(types).toEqual([XsMessageType.watch, XsMessageType.watchEvent]);
    raw.destroy();
  });
});

describe("store socket server: lifecycle", () => {
  it("refuses a socket path another daemon serves and replaces a stale socket file", async () => {
    daemon = await startInProcessDaemon();
    const second = new StoreSocketServer({ store: daemon.store, socketPath: daemon.socketPath });
    await expect(second.listen()).rejects.toThrow(/another store daemon is serving it/);
    const client = await daemon.connect();
    await client.write("/lifecycle", "1");
    expect(await client.read("/lifecycle")).toBe("1");
  });

  it("closes every client and removes the socket file on close", async () => {
    daemon = await startInProcessDaemon();
    const client = await daemon.connect();
    await client.write("/closing", "1");
    const ended = waitForEnd(client);
    await daemon.server.close();
    await ended;
    const { existsSync } = await import("node:fs");
    expect(existsSync(daemon.socketPath)).toBe(false);
  });
});
