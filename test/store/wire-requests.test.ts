import { describe, expect, it } from "vitest";
import type { StoreMessage } from "../../runtime/store/connection.js";
import { XenStore } from "../../runtime/store/store.js";
import { XsMessageType } from "../../runtime/store/wire-types.js";

function openPrivileged(): { handle(type: number, payload: string | Uint8Array, transactionId?: number): StoreMessage; events: StoreMessage[] } {
  const store = XenStore.open();
  const events: StoreMessage[] = [];
  const connection = store.openConnection({ domainId: 0, privileged: true, sink: { deliver: (message) => events.push(message) } });
  let requestId = 100;
  return {
    events,
    handle(type, payload, transactionId = 0) {
      const bytes = typeof payload === "string" ? new Uint8Array(Buffer.from(payload, "latin1")) : payload;
      return connection.handle({ type, requestId: requestId++, transactionId, payload: bytes });
    },
  };
}

function text(message: StoreMessage): string {
  return Buffer.from(message.payload).toString("latin1");
}

describe("store requests in wire form", () => {
  it("echoes type, request id and transaction id in replies", () => {
    const client = openPrivileged();
    const reply = client.handle(XsMessageType.write, "/a\0v");
    expect(reply).toMatchObject({ type: XsMessageType.write, requestId: 100, transactionId: 0 });
    expect(text(reply)).toBe("OK\0");
  });

  it("returns READ values raw, without a terminator", () => {
    const client = openPrivileged();
    client.handle(XsMessageType.write, "/a\0value");
    expect(text(client.handle(XsMessageType.read, "/a\0"))).toBe("value");
  });

  it("writes an empty value when nothing follows the path's NUL", () => {
    const client = openPrivileged();
    expect(text(client.handle(XsMessageType.write, "/e\0"))).toBe("OK\0");
    expect(client.handle(XsMessageType.read, "/e\0").payload.length).toBe(0);
  });

  it("keeps NUL bytes inside WRITE values", () => {
    const client = openPrivileged();
    client.handle(XsMessageType.write, "/z\0a\0b");
    expect(text(client.handle(XsMessageType.read, "/z\0"))).toBe("a\0b");
  });

  it("sends errors as an ERROR message carrying the name", () => {
    const client = openPrivileged();
    const reply = client.handle(XsMessageType.read, "/missing\0");
    expect(reply.type).toBe(XsMessageType.error);
    expect(text(reply)).toBe("ENOENT\0");
  });

  it("answers ENOSYS for unknown and unsupported types", () => {
    const client = openPrivileged();
    for (const type of [20, 99, XsMessageType.watchEvent, XsMessageType.error, XsMessageType.getFeature, XsMessageType.setFeature]) {
      expect(text(client.handle(type, "x\0")), String(type)).toBe("ENOSYS\0");
    }
  });

  it("answers EINVAL to a CONTROL command word nobody registered, as xenstored does", () => {
    const client = openPrivileged();
    expect(text(client.handle(XsMessageType.control, "x\0"))).toBe("EINVAL\0");
    expect(text(client.handle(XsMessageType.control, ""))).toBe("EINVAL\0");
  });

  it("answers EACCES to unprivileged callers of privileged-only types, even unsupported ones", () => {
    const store = XenStore.open();
    const guest = store.openConnection({ domainId: 3, privileged: false, sink: { deliver: () => undefined } });
    for (const type of [XsMessageType.control, XsMessageType.resume, XsMessageType.setTarget, XsMessageType.setFeature]) {
      const reply = guest.handle({ type, requestId: 1, transactionId: 0, payload: new Uint8Array([0x31, 0]) });
      expect(text(reply), String(type)).toBe("EACCES\0");
    }
  });

  it("answers EINVAL for a missing NUL terminator", () => {
    const client = openPrivileged();
    expect(text(client.handle(XsMessageType.read, "/a"))).toBe("EINVAL\0");
    expect(text(client.handle(XsMessageType.write, "/a"))).toBe("EINVAL\0");
    expect(text(client.handle(XsMessageType.watch, "/a\0tok"))).toBe("EINVAL\0");
    expect(text(client.handle(XsMessageType.mkdir, ""))).toBe("EINVAL\0");
  });

  it("answers EINVAL when a single-argument request carries extra arguments", () => {
    const client = openPrivileged();
    expect(text(client.handle(XsMessageType.read, "/a\0/b\0"))).toBe("EINVAL\0");
  });

  it("answers E2BIG for a payload beyond 4096 bytes", () => {
    const client = openPrivileged();
    expect(text(client.handle(XsMessageType.write, new Uint8Array(4097).fill(0x61)))).toBe("E2BIG\0");
  });

  it("formats GET_PERMS as NUL-terminated entries", () => {
    const client = openPrivileged();
    client.handle(XsMessageType.write, "/p\0v");
    client.handle(XsMessageType.setPerms, "/p\0b3\0r4\0");
    expect(text(client.handle(XsMessageType.getPerms, "/p\0"))).toBe("b3\0r4\0");
  });

  it("formats watch events as path and token with request id 0", () => {
    const client = openPrivileged();
    client.handle(XsMessageType.watch, "/w\0my-token\0");
    expect(client.events).toHaveLength(1);
    expect(client.events[0]).toMatchObject({ type: XsMessageType.watchEvent, requestId: 0, transactionId: 0 });
    expect(text(client.events[0]!)).toBe("/w\0my-token\0");
  });

  it("returns the transaction id from TRANSACTION_START as decimal text", () => {
    const client = openPrivileged();
    const reply = client.handle(XsMessageType.transactionStart, "\0");
    expect(text(reply)).toMatch(/^[1-9][0-9]*\0$/);
  });

  it("rejects a malformed domain id with EINVAL", () => {
    const client = openPrivileged();
    expect(text(client.handle(XsMessageType.getDomainPath, "x1\0"))).toBe("EINVAL\0");
    expect(text(client.handle(XsMessageType.isDomainIntroduced, "70000\0"))).toBe("EINVAL\0");
    expect(text(client.handle(XsMessageType.introduce, "5\0abc\0"))).toBe("EINVAL\0");
  });

  it("survives arbitrary payloads for every type without throwing", () => {
    const client = openPrivileged();
    let seed = 12345;
    const nextByte = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    };
    for (let round = 0; round < 2000; round++) {
      const length = nextByte() % 40;
      const payload = new Uint8Array(length);
      for (let index = 0; index < length; index++) {
        const byte = nextByte();
        payload[index] = byte < 40 ? 0 : byte < 80 ? 0x2f : byte;
      }
      const type = nextByte() % 28;
      const reply = client.handle(type, payload, type % 3 === 0 ? nextByte() : 0);
      expect(reply.requestId).toBeGreaterThan(0);
    }
  });
});
