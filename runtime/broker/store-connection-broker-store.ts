// BrokerStore over a store connection (the in-process xenstore++ core or any transport that
// executes xs_wire requests synchronously): encodes each operation as an xs_wire request.
import type { StoreConnection, StoreMessage } from "../store/connection.js";
import { formatPermissionEntry, parsePermissionEntries, type StorePermissionList } from "../store/permissions.js";
import { XsMessageType } from "../store/wire-types.js";
import { BrokerStoreError, type BrokerStore, type BrokerStoreOperations } from "./broker-store.js";

/** How many times a transaction is re-run after EAGAIN before the broker gives up. */
const maximumTransactionAttempts = 8;

function encodeArguments(...values: readonly string[]): Uint8Array {
  return Buffer.from(values.map((value) => `${value}\0`).join(""), "latin1");
}

function decodeText(payload: Uint8Array): string {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("latin1");
}

function decodeNulList(payload: Uint8Array): string[] {
  const text = decodeText(payload);
  const parts = text.split("\0");
  // Every element is NUL-terminated, so the split leaves one empty string at the end.
  parts.pop();
  return parts;
}

class ConnectionOperations implements BrokerStoreOperations {
  constructor(
    private readonly connection: StoreConnection,
    private readonly transactionId: number,
    private readonly nextRequestId: () => number,
  ) {}

  /** Sends one request; returns the reply payload or the error name. */
  request(type: number, payload: Uint8Array): { readonly ok: true; readonly payload: Uint8Array } | { readonly ok: false; readonly error: string } {
    const message: StoreMessage = { type, requestId: this.nextRequestId(), transactionId: this.transactionId, payload };
    const reply = this.connection.handle(message);
    if (reply.type === XsMessageType.error) return { ok: false, error: decodeText(reply.payload).replace(/\0+$/, "") };
    return { ok: true, payload: reply.payload };
  }

  private require(operation: string, path: string, type: number, payload: Uint8Array): Uint8Array {
    const reply = this.request(type, payload);
    if (!reply.ok) throw new BrokerStoreError(reply.error, operation, path);
    return reply.payload;
  }

  read(path: string): string | undefined {
    const reply = this.request(XsMessageType.read, encodeArguments(path));
    if (!reply.ok) {
      if (reply.error === "ENOENT") return undefined;
      throw new BrokerStoreError(reply.error, "read", path);
    }
    return decodeText(reply.payload);
  }

  write(path: string, value: string): void {
    this.require("write", path, XsMessageType.write, Buffer.from(`${path}\0${value}`, "latin1"));
  }

  mkdir(path: string): void {
    this.require("mkdir", path, XsMessageType.mkdir, encodeArguments(path));
  }

  remove(path: string): void {
    const reply = this.request(XsMessageType.rm, encodeArguments(path));
    if (!reply.ok && reply.error !== "ENOENT") throw new BrokerStoreError(reply.error, "rm", path);
  }

  directory(path: string): readonly string[] | undefined {
    const reply = this.request(XsMessageType.directory, encodeArguments(path));
    if (!reply.ok) {
      if (reply.error === "ENOENT") return undefined;
      throw new BrokerStoreError(reply.error, "directory", path);
    }
    return decodeNulList(reply.payload);
  }

  getPermissions(path: string): StorePermissionList | undefined {
    const reply = this.request(XsMessageType.getPerms, encodeArguments(path));
    if (!reply.ok) {
      if (reply.error === "ENOENT") return undefined;
      throw new BrokerStoreError(reply.error, "get-perms", path);
    }
    const parsed = parsePermissionEntries(decodeNulList(reply.payload));
    if (!parsed.ok) throw new BrokerStoreError(parsed.error, "get-perms", path);
    return parsed.permissions;
  }

  setPermissions(path: string, permissions: StorePermissionList): void {
    this.require("set-perms", path, XsMessageType.setPerms, encodeArguments(path, ...permissions.map(formatPermissionEntry)));
  }
}

export class StoreConnectionBrokerStore implements BrokerStore {
  private readonly connection: StoreConnection;
  private readonly outside: ConnectionOperations;
  private requestCounter = 0;

  /** `connection` should be privileged (the broker acts for the toolstack, as dom0 does). */
  constructor(connection: StoreConnection) {
    this.connection = connection;
    this.outside = new ConnectionOperations(connection, 0, () => this.takeRequestId());
  }

  read(path: string): string | undefined {
    return this.outside.read(path);
  }
  write(path: string, value: string): void {
    this.outside.write(path, value);
  }
  mkdir(path: string): void {
    this.outside.mkdir(path);
  }
  remove(path: string): void {
    this.outside.remove(path);
  }
  directory(path: string): readonly string[] | undefined {
    return this.outside.directory(path);
  }
  getPermissions(path: string): StorePermissionList | undefined {
    return this.outside.getPermissions(path);
  }
  setPermissions(path: string, permissions: StorePermissionList): void {
    this.outside.setPermissions(path, permissions);
  }

  transaction<T>(body: (operations: BrokerStoreOperations) => T): T {
    for (let attempt = 1; ; attempt++) {
      const started = this.outside.request(XsMessageType.transactionStart, encodeArguments(""));
      if (!started.ok) throw new BrokerStoreError(started.error, "transaction-start", "/");
      const transactionId = Number(decodeText(started.payload).replace(/\0+$/, ""));
      const operations = new ConnectionOperations(this.connection, transactionId, () => this.takeRequestId());
      let result: T;
      try {
        result = body(operations);
      } catch (error) {
        operations.request(XsMessageType.transactionEnd, encodeArguments("F"));
        throw error;
      }
      const ended = operations.request(XsMessageType.transactionEnd, encodeArguments("T"));
      if (ended.ok) return result;
      if (ended.error !== "EAGAIN" || attempt >= maximumTransactionAttempts) throw new BrokerStoreError(ended.error, "transaction-end", "/");
    }
  }

  private takeRequestId(): number {
    this.requestCounter = (this.requestCounter + 1) >>> 0;
    return this.requestCounter;
  }
}
