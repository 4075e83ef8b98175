// The store's Unix-socket transport: listens on a configurable path (Xen's clients find it
// through XENSTORED_PATH), maps every client to a privileged dom0 connection of the core,
// pipelines requests, and bounds what a client that does not read can make the daemon hold.
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { StoreConnection, StoreMessage } from "./connection.js";
import type { StoreConnectionOpener } from "./connection-opener.js";
import { XsWireFrameDecoder } from "./wire-frame-decoder.js";
import { createErrorReply, encodeStoreMessage } from "./wire-frame-encoder.js";
import { resolveStoreTransportLimits, type StoreTransportLimits } from "./transport-limits.js";

export interface StoreSocketServerOptions {
  readonly store: StoreConnectionOpener;
  readonly socketPath: string;
  readonly limits?: Partial<StoreTransportLimits>;
  /** The policy principal socket clients act as in control commands (the toolstack's name). */
  readonly clientPrincipal?: string;
  /** Receives one line per notable event (client dropped, internal error); no trailing newline. */
  readonly log?: (line: string) => void;
}

/** Raised when the socket cannot be served; the CLI prints its message on one line. */
export class StoreSocketServerError extends Error {
  override readonly name = "StoreSocketServerError";
}

/** Socket clients are dom0 and privileged, as with Xen's xenstored. */
const socketClientDomainId = 0;

export class StoreSocketServer {
  private readonly limits: StoreTransportLimits;
  private readonly log: (line: string) => void;
  private readonly clients = new Set<SocketClient>();
  private server: Server | undefined;
  private nextClientNumber = 1;
  private readonly peakBacklog = { bytes: 0 };

  constructor(private readonly options: StoreSocketServerOptions) {
    this.limits = resolveStoreTransportLimits(options.limits);
    this.log = options.log ?? (() => undefined);
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** The most encoded bytes ever left waiting for one client after a batch of its requests. */
  get peakOutboundBacklogBytes(): number {
    return this.peakBacklog.bytes;
  }

  /** Starts listening; a stale socket file left by a killed daemon is replaced, a live one is not. */
  async listen(): Promise<void> {
    if (this.server !== undefined) throw new StoreSocketServerError("the store socket server is already listening");
    await removeStaleSocket(this.options.socketPath);
    const server = createServer({ allowHalfOpen: false }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(new StoreSocketServerError(`cannot listen on '${this.options.socketPath}': ${error.code ?? error.message}`));
      };
      server.once("error", onError);
      server.listen(this.options.socketPath, () => {
        server.off("error", onError);
        resolve();
      });
    });
    server.on("error", (error) => this.log(`socket server error: ${error.message}`));
    this.server = server;
  }

  /** Disconnects every client, closes their store connections and removes the socket file. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Stop accepting first, so no client arrives between the disconnects and the close.
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    for (const client of [...this.clients]) client.disconnect(undefined);
    await closed;
    // libuv unlinks the path on close; this covers a listener that never finished binding.
    if (existsSync(this.options.socketPath) && lstatSync(this.options.socketPath).isSocket()) {
      unlinkSync(this.options.socketPath);
    }
  }

  private accept(socket: Socket): void {
    const client = new SocketClient(socket, `client ${this.nextClientNumber++}`, this.options.store, this.options.clientPrincipal, this.limits, this.log, this.peakBacklog, () =>
      this.clients.delete(client),
    );
    this.clients.add(client);
  }
}

/** One socket client: its decoder, its privileged store connection and its outbound bound. */
class SocketClient {
  private readonly decoder = new XsWireFrameDecoder();
  private readonly connection: StoreConnection;
  private closed = false;
  private handling = false;
  /** Watch events raised while this client's own request runs are sent after its reply. */
  private readonly eventsRaisedWhileHandling: StoreMessage[] = [];
  /** Replies and events produced while processing one chunk, written together afterwards. */
  private outputFrames: Uint8Array[] = [];
  private outputBytes = 0;
  private batchingOutput = false;
  /** Input received but not yet processed because the client is not reading its replies. */
  private unprocessedInput: Uint8Array | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly label: string,
    store: StoreConnectionOpener,
    principal: string | undefined,
    private readonly limits: StoreTransportLimits,
    private readonly log: (line: string) => void,
    private readonly peakBacklog: { bytes: number },
    private readonly onClosed: () => void,
  ) {
    this.connection = store.openConnection({
      domainId: socketClientDomainId,
      privileged: true,
      sink: { deliver: (event) => this.deliverWatchEvent(event) },
      ...(principal === undefined ? {} : { principal }),
    });
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.onDrain());
    socket.on("error", () => this.disconnect(undefined));
    socket.on("close", () => this.disconnect(undefined));
  }

  /** Drops the client; `reason` is logged when the daemon, not the client, ended it. */
  disconnect(reason: string | undefined): void {
    if (this.closed) return;
    this.closed = true;
    if (reason !== undefined) this.log(`${this.label} disconnected: ${reason}`);
    this.eventsRaisedWhileHandling.length = 0;
    this.unprocessedInput = undefined;
    this.outputFrames = [];
    this.outputBytes = 0;
    this.connection.close();
    this.socket.destroy();
    this.onClosed();
  }

  private onData(chunk: Uint8Array): void {
    // Input held back for back-pressure comes first; a chunk the stream had already read
    // when it was paused queues behind it rather than overtaking it.
    if (this.unprocessedInput !== undefined) {
      this.unprocessedInput = Buffer.concat([this.unprocessedInput, chunk]);
      return;
    }
    this.receive(chunk);
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.batchingOutput = true;
    let offset = 0;
    try {
      while (offset < chunk.length && !this.closed) {
        offset += this.decoder.feed(chunk, offset, chunk.length);
        const failure = this.decoder.failure;
        if (failure !== undefined) {
          this.disconnect(failure.message);
          return;
        }
        const request = this.decoder.takeCompletedMessage();
        if (request === undefined) continue;
        this.execute(request);
        // One small request can produce a reply of 4 KiB, so back-pressure is applied between
        // requests, not between chunks: the rest of the chunk waits until the client reads.
        if (this.socket.writableLength + this.outputBytes > this.limits.outboundPauseBytes) break;
      }
    } finally {
      this.batchingOutput = false;
      this.flushOutput();
    }
    if (this.closed) return;
    this.recordBacklog();
    if (offset < chunk.length) {
      this.unprocessedInput = chunk.subarray(offset);
      this.socket.pause();
      // Below the stream's high-water mark no 'drain' will come; go on at the next turn.
      if (!this.socket.writableNeedDrain) setImmediate(() => this.onDrain());
    }
  }

  /** Queues a frame; outside a batch it is written at once. */
  private send(frame: Uint8Array): void {
    this.outputFrames.push(frame);
    this.outputBytes += frame.length;
    if (!this.batchingOutput) this.flushOutput();
  }

  /** One write per batch of replies: a pipelining client costs one system call per batch. */
  private flushOutput(): void {
    const frames = this.outputFrames;
    if (frames.length === 0) return;
    this.outputFrames = [];
    this.outputBytes = 0;
    if (this.closed) return;
    this.socket.write(frames.length === 1 ? (frames[0] ?? new Uint8Array()) : Buffer.concat(frames));
  }

  /** The client read enough of its replies: finish the held-back input, then read again. */
  private onDrain(): void {
    if (this.closed) return;
    const held = this.unprocessedInput;
    this.unprocessedInput = undefined;
    if (held !== undefined) this.receive(held);
    if (!this.closed && this.unprocessedInput === undefined && this.socket.isPaused()) this.socket.resume();
  }

  private recordBacklog(): void {
    const backlog = this.socket.writableLength;
    if (backlog > this.peakBacklog.bytes) this.peakBacklog.bytes = backlog;
  }

  private execute(request: StoreMessage): void {
    let reply: StoreMessage;
    this.handling = true;
    try {
      reply = this.connection.handle(request);
    } catch (error) {
      // The core must answer every request with a reply; a throw is a bug in the daemon, and
      // the client still deserves an answer rather than a hang.
      this.log(`${this.label}: internal error handling message type ${request.type}: ${error instanceof Error ? error.message : String(error)}`);
      reply = createErrorReply(request, "EIO");
    } finally {
      this.handling = false;
    }
    this.send(encodeStoreMessage(reply));
    if (this.eventsRaisedWhileHandling.length > 0) {
      const events = this.eventsRaisedWhileHandling.splice(0);
      for (const event of events) this.deliverWatchEvent(event);
    }
  }

  private deliverWatchEvent(event: StoreMessage): void {
    if (this.closed) return;
    if (this.handling) {
      this.eventsRaisedWhileHandling.push(event);
      return;
    }
    if (this.socket.writableLength + this.outputBytes > this.limits.outboundDisconnectBytes) {
      this.disconnect(`more than ${this.limits.outboundDisconnectBytes} bytes of replies and watch events left unread`);
      return;
    }
    this.send(encodeStoreMessage(event));
    this.recordBacklog();
  }
}

/** Removes a socket file nobody listens on (left by a killed daemon); refuses a live one. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  if (!existsSync(socketPath)) return;
  if (!lstatSync(socketPath).isSocket()) {
    throw new StoreSocketServerError(`cannot listen on '${socketPath}': the path exists and is not a socket`);
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new StoreSocketServerError(`cannot listen on '${socketPath}': another store daemon is serving it`);
  unlinkSync(socketPath);
}
