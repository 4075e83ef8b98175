// The guest's side of a xenstore interface page: writes request frames into the request
// ring, reads replies and watch events from the response ring, and wakes the store through
// the event channel. Simulated guests and the ring transport's tests use it.
import type { StoreMessage } from "./connection.js";
import { XsWireFrameDecoder } from "./wire-frame-decoder.js";
import { encodeStoreMessage } from "./wire-frame-encoder.js";
import { XenstoreConnectionState, XenstoreInterfacePage, xenstoreRingBytes } from "./xenstore-interface-page.js";

export interface DomainRingClientOptions {
  /** The same interface page the store serves. */
  readonly page: Uint8Array;
  /** Raises the store's end of the event channel. */
  notify(): void;
  /** Receives every reply and watch event, in ring order. */
  onMessage(message: StoreMessage): void;
}

const ringIndexMask = xenstoreRingBytes - 1;

export class DomainRingClient {
  private readonly page: XenstoreInterfacePage;
  private decoder = new XsWireFrameDecoder();
  /** Encoded request bytes not yet in the request ring. */
  private pendingBytes: Uint8Array[] = [];
  private pendingOffset = 0;
  private processing = false;
  private notifiedWhileProcessing = false;
  private failed: string | undefined;

  constructor(private readonly options: DomainRingClientOptions) {
    this.page = new XenstoreInterfacePage(options.page);
  }

  /** Set when the store's replies could not be decoded or its indices were inconsistent. */
  get failure(): string | undefined {
    return this.failed;
  }

  /** The error field the store sets before it stops serving the ring (0 while it serves). */
  get serverError(): number {
    return this.page.load("error");
  }

  /** Queues a request and copies as much of it as fits into the request ring. */
  send(message: StoreMessage): void {
    this.pendingBytes.push(encodeStoreMessage(message));
    if (this.writeRequests()) this.options.notify();
  }

  /** Asks the store for a fresh connection (the reconnection handshake). */
  requestReconnect(): void {
    this.pendingBytes = [];
    this.pendingOffset = 0;
    this.decoder = new XsWireFrameDecoder();
    this.page.store("connection", XenstoreConnectionState.reconnect);
    this.options.notify();
  }

  /** To be called whenever the store raises the event channel. */
  onEventChannelNotified(): void {
    if (this.processing) {
      this.notifiedWhileProcessing = true;
      return;
    }
    this.processing = true;
    let notifyStore = false;
    try {
      do {
        this.notifiedWhileProcessing = false;
        let progress = true;
        while (progress && this.failed === undefined) {
          const read = this.readResponses();
          const wrote = this.writeRequests();
          progress = read || wrote;
          notifyStore ||= progress;
        }
      } while (this.notifiedWhileProcessing && this.failed === undefined);
    } finally {
      this.processing = false;
    }
    if (notifyStore) this.options.notify();
  }

  private writeRequests(): boolean {
    const consumer = this.page.load("requestConsumer");
    const producer = this.page.load("requestProducer");
    let space = xenstoreRingBytes - ((producer - consumer) >>> 0);
    if (space < 0) {
      this.failed = "request ring indices are inconsistent";
      return false;
    }
    let written = 0;
    while (space > 0 && this.pendingBytes.length > 0) {
      const frame = this.pendingBytes[0];
      if (frame === undefined) break;
      const ringOffset = (producer + written) & ringIndexMask;
      const take = Math.min(space, frame.length - this.pendingOffset, xenstoreRingBytes - ringOffset);
      this.page.requestRing.set(frame.subarray(this.pendingOffset, this.pendingOffset + take), ringOffset);
      this.pendingOffset += take;
      written += take;
      space -= take;
      if (this.pendingOffset === frame.length) {
        this.pendingBytes.shift();
        this.pendingOffset = 0;
      }
    }
    if (written > 0) this.page.store("requestProducer", producer + written);
    return written > 0;
  }

  private readResponses(): boolean {
    const consumer = this.page.load("responseConsumer");
    const producer = this.page.load("responseProducer");
    const available = (producer - consumer) >>> 0;
    if (available > xenstoreRingBytes) {
      this.failed = "response ring indices are inconsistent";
      return false;
    }
    let consumed = 0;
    while (consumed < available) {
      const start = (consumer + consumed) & ringIndexMask;
      const end = Math.min(xenstoreRingBytes, start + (available - consumed));
      consumed += this.decoder.feed(this.page.responseRing, start, end);
      if (this.decoder.failure !== undefined) {
        this.failed = this.decoder.failure.message;
        return false;
      }
      const message = this.decoder.takeCompletedMessage();
      if (message !== undefined) this.options.onMessage(message);
    }
    if (consumed > 0) this.page.store("responseConsumer", consumer + consumed);
    return consumed > 0;
  }
}
