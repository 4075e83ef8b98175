// The contract between the store's core and its transports: one xs_wire message, a connection
// that executes requests synchronously, and the sink through which watch events leave the core.

/** One xs_wire message: the header fields and the payload (reference/xen-abi.md §8). */
export interface StoreMessage {
  /** An XsMessageType value (runtime/store/wire-types.ts). */
  readonly type: number;
  /** Unsigned 32-bit request id, echoed in the reply. */
  readonly requestId: number;
  /** Unsigned 32-bit transaction id; 0 means no transaction. */
  readonly transactionId: number;
  /** At most 4096 bytes; NUL-separated arguments. */
  readonly payload: Uint8Array;
}

/** Where the core sends messages that are not replies to a request of this connection. */
export interface StoreConnectionSink {
  /** Watch events (type WATCH_EVENT, requestId 0, transactionId 0, payload "path\0token\0"). */
  deliver(message: StoreMessage): void;
}

/** One client of the store: a socket client, a domain's ring, or an in-process user. */
export interface StoreConnection {
  readonly domainId: number;
  readonly privileged: boolean;
  /**
   * Executes one request synchronously and returns its reply (type ERROR + "ENAME\0" on error).
   * A committed change is journaled before this returns.
   */
  handle(request: StoreMessage): StoreMessage;
  /** Drops the connection's watches and aborts its transactions. */
  close(): void;
}

export interface StoreConnectionOptions {
  readonly domainId: number;
  readonly privileged: boolean;
  readonly sink: StoreConnectionSink;
  /** The policy principal this connection acts as (a socket's tool), passed to control commands. */
  readonly principal?: string;
}
