// A Node client of the store's Unix socket: pipelined requests correlated by request id,
// replies as promises, watch events to a callback. Used by tests, the benchmark and tools
// that run in another process than the daemon.
import { createConnection, type Socket } from "node:net";
import type { StoreMessage } from "./connection.js";
import { decodeStringArguments, decodeText, encodeStringArguments, encodeWriteArguments } from "./request-payloads.js";
import { XsWireFrameDecoder } from "./wire-frame-decoder.js";
import { encodeStoreMessage } from "./wire-frame-encoder.js";
import { XsMessageType } from "./wire-types.js";

/** A request the store answered with an ERROR reply; `errorName` is Xen's name (EACCES, ...). */
export class StoreRequestError extends Error {
  override readonly name = "StoreRequestError";
  constructor(
    readonly errorName: string,
    readonly requestType: number,
  ) {
    super(`store request of type ${requestType} failed with ${errorName}`);
  }
}

/** The connection to the daemon ended before a reply arrived. */
export class StoreConnectionClosedError extends Error {
  override readonly name = "StoreConnectionClosedError";
}

export interface StoreWatchEvent {
  readonly path: string;
  readonly token: string;
}

interface PendingRequest {
  readonly type: number;
  readonly resolve: (reply: StoreMessage) => void;
  readonly reject: (error: Error) => void;
}

export class StoreSocketClient {
  private readonly decoder = new XsWireFrameDecoder();
  private readonly pending = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private ended = false;
  /** Frames written in this turn of the event loop, sent together at its end. */
  private batch: Uint8Array[] = [];
  private readonly watchListeners: ((event: StoreWatchEvent) => void)[] = [];
  private readonly endListeners: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => this.end());
    socket.on("close", () => this.end());
  }

  static connect(socketPath: string): Promise<StoreSocketClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(new StoreSocketClient(socket));
      });
      socket.once("error", reject);
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  onWatchEvent(listener: (event: StoreWatchEvent) => void): void {
    this.watchListeners.push(listener);
  }

  /** Called once when the daemon closes the connection or the client does. */
  onEnd(listener: () => void): void {
    this.endListeners.push(listener);
  }

  /** Sends one request and resolves with its reply, whatever its type (ERROR included). */
  send(type: number, payload: Uint8Array, transactionId = 0): Promise<StoreMessage> {
    if (this.ended) return Promise.reject(new StoreConnectionClosedError("the store connection is closed"));
    const requestId = this.nextRequestId;
    this.nextRequestId = (this.nextRequestId + 1) >>> 0 || 1;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { type, resolve, reject });
      this.writeBatched(encodeStoreMessage({ type, requestId, transactionId, payload }));
    });
  }

  /** Writes raw bytes, for tests that send malformed frames. */
  sendRawBytes(bytes: Uint8Array): void {
    this.writeBatched(bytes);
  }

  /**
   * Requests issued in the same turn of the event loop leave in one write: a pipelining
   * client then costs the daemon one wake-up per batch rather than one per request.
   */
  private writeBatched(bytes: Uint8Array): void {
    this.batch.push(bytes);
    if (this.batch.length > 1) return;
    process.nextTick(() => {
      const frames = this.batch;
      this.batch = [];
      if (!this.ended) this.socket.write(frames.length === 1 ? (frames[0] ?? new Uint8Array()) : Buffer.concat(frames));
    });
  }

  /** Sends a request and rejects with StoreRequestError on an ERROR reply. */
  async request(type: number, payload: Uint8Array, transactionId = 0): Promise<StoreMessage> {
    const reply = await this.send(type, payload, transactionId);
    if (reply.type === XsMessageType.error) throw new StoreRequestError(decodeText(reply.payload), type);
    return reply;
  }

  /** XS_CONTROL: a command word and its arguments; resolves with the reply text. */
  async control(commandArguments: readonly string[]): Promise<string> {
    return decodeText((await this.request(XsMessageType.control, encodeStringArguments(...commandArguments))).payload);
  }

  async read(path: string, transactionId = 0): Promise<string> {
    return decodeText((await this.request(XsMessageType.read, encodeStringArguments(path), transactionId)).payload);
  }

  async write(path: string, value: string | Uint8Array, transactionId = 0): Promise<void> {
    await this.request(XsMessageType.write, encodeWriteArguments(path, value), transactionId);
  }

  async mkdir(path: string, transactionId = 0): Promise<void> {
    await this.request(XsMessageType.mkdir, encodeStringArguments(path), transactionId);
  }

  async remove(path: string, transactionId = 0): Promise<void> {
    await this.request(XsMessageType.rm, encodeStringArguments(path), transactionId);
  }

  async directory(path: string, transactionId = 0): Promise<string[]> {
    return decodeStringArguments((await this.request(XsMessageType.directory, encodeStringArguments(path), transactionId)).payload);
  }

  async getPermissions(path: string, transactionId = 0): Promise<string[]> {
    return decodeStringArguments((await this.request(XsMessageType.getPerms, encodeStringArguments(path), transactionId)).payload);
  }

  async setPermissions(path: string, permissions: readonly string[], transactionId = 0): Promise<void> {
    await this.request(XsMessageType.setPerms, encodeStringArguments(path, ...permissions), transactionId);
  }

  async watch(path: string, token: string): Promise<void> {
    await this.request(XsMessageType.watch, encodeStringArguments(path, token));
  }

  async unwatch(path: string, token: string): Promise<void> {
    await this.request(XsMessageType.unwatch, encodeStringArguments(path, token));
  }

  async startTransaction(): Promise<number> {
    const reply = await this.request(XsMessageType.transactionStart, encodeStringArguments(""));
    return Number.parseInt(decodeText(reply.payload), 10);
  }

  /** Commits (true) or aborts (false); a conflicting commit rejects with errorName EAGAIN. */
  async endTransaction(transactionId: number, commit: boolean): Promise<void> {
    await this.request(XsMessageType.transactionEnd, encodeStringArguments(commit ? "T" : "F"), transactionId);
  }

  close(): void {
    this.socket.destroy();
    this.end();
  }

  private receive(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      offset += this.decoder.feed(chunk, offset, chunk.length);
      if (this.decoder.failure !== undefined) {
        this.close();
        return;
      }
      const message = this.decoder.takeCompletedMessage();
      if (message === undefined) continue;
      if (message.type === XsMessageType.watchEvent) {
        const [path = "", token = ""] = decodeStringArguments(message.payload);
        for (const listener of this.watchListeners) listener({ path, token });
        continue;
      }
      const request = this.pending.get(message.requestId);
      if (request === undefined) continue;
      this.pending.delete(message.requestId);
      request.resolve(message);
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const error = new StoreConnectionClosedError("the store daemon closed the connection");
    for (const request of this.pending.values()) request.reject(error);
    this.pending.clear();
    for (const listener of this.endListeners) listener();
  }
}
