// The guest's side of a xenstore interface page: writes request frames into the request
// stream, reads replies and watch events from the response stream, and wakes the store
// through the event channel. Simulated guests and the ring transport's tests use it.
import { ByteStreamRingEndpoint, RingStatus, xenstoreRingLayout } from "../ring/index.js";
import type { StoreMessage } from "./connection.js";
import { XsWireFrameDecoder } from "./wire-frame-decoder.js";
import { encodeStoreMessage } from "./wire-frame-encoder.js";
import { xsPayloadMaxBytes } from "./wire-types.js";
import { XenstoreConnectionState, XenstoreInterfaceControl } from "./xenstore-interface-page.js";

export interface DomainRingClientOptions {
  /** The same interface page the store serves. */
  readonly page: Uint8Array;
  /** Raises the store's end of the event channel. */
  notify(): void;
  /** Receives every reply and watch event, in stream order. */
  onMessage(message: StoreMessage): void;
}

export class DomainRingClient {
  private readonly ring: ByteStreamRingEndpoint;
  private readonly control: XenstoreInterfaceControl;
  private decoder = new XsWireFrameDecoder();
  private readonly responseScratch = new Uint8Array(xsPayloadMaxBytes);
  /** Encoded requests not yet wholly in the request stream. */
  private pendingFrames: Uint8Array[] = [];
  private pendingOffset = 0;
  private processing = false;
  private notifiedWhileProcessing = false;
  private notifyPending = false;
  private failed: string | undefined;

  constructor(private readonly options: DomainRingClientOptions) {
    this.ring = new ByteStreamRingEndpoint(options.page, xenstoreRingLayout, "guest");
    this.control = new XenstoreInterfaceControl(options.page);
  }

  /** Set when the store's replies could not be decoded or its indices were inconsistent. */
  get failure(): string | undefined {
    return this.failed;
  }

  /** The error field the store sets before it stops serving the ring (0 while it serves). */
  get serverError(): number {
    return this.control.load("error");
  }

  /** Encoded request bytes still waiting for room in the request stream. */
  get pendingRequestBytes(): number {
    return this.pendingFrames.reduce((total, frame) => total + frame.length, 0) - this.pendingOffset;
  }

  /** Queues a request and copies as much of it as fits into the request stream. */
  send(message: StoreMessage): void {
    this.sendRawFrame(encodeStoreMessage(message));
  }

  /** Queues bytes as they are, for tests that write malformed frames. */
  sendRawFrame(frame: Uint8Array): void {
    this.pendingFrames.push(frame);
    if (this.processing) return;
    this.writeRequests();
    this.flushNotification();
  }

  /** Asks the store for a fresh connection (the reconnection handshake). */
  requestReconnect(): void {
    this.pendingFrames = [];
    this.pendingOffset = 0;
    this.decoder = new XsWireFrameDecoder();
    this.control.store("connection", XenstoreConnectionState.reconnect);
    this.options.notify();
  }

  /** True once the store has completed the reconnection handshake. */
  get isConnected(): boolean {
    return this.control.load("connection") === XenstoreConnectionState.connected;
  }

  /** To be called whenever the store raises the event channel. */
  onEventChannelNotified(): void {
    if (this.processing) {
      this.notifiedWhileProcessing = true;
      return;
    }
    this.processing = true;
    try {
      do {
        this.notifiedWhileProcessing = false;
        let progress = true;
        while (progress && this.failed === undefined) {
          const read = this.readResponses();
          const wrote = this.writeRequests();
          progress = read || wrote;
        }
      } while (this.notifiedWhileProcessing && this.failed === undefined);
    } finally {
      this.processing = false;
    }
    this.flushNotification();
  }

  private flushNotification(): void {
    if (!this.notifyPending) return;
    this.notifyPending = false;
    this.options.notify();
  }

  private writeRequests(): boolean {
    let progress = false;
    while (this.pendingFrames.length > 0) {
      const frame = this.pendingFrames[0];
      if (frame === undefined) break;
      const count = this.ring.write(frame, this.pendingOffset, frame.length);
      if (count === RingStatus.byteStreamIndicesOutOfRange) {
        this.failed = "request ring indices are inconsistent";
        return false;
      }
      if (count === 0) break;
      progress = true;
      this.notifyPending ||= this.ring.peerNotificationRequired;
      this.pendingOffset += count;
      if (this.pendingOffset === frame.length) {
        this.pendingFrames.shift();
        this.pendingOffset = 0;
      }
    }
    return progress;
  }

  private readResponses(): boolean {
    let progress = false;
    for (;;) {
      const count = this.ring.read(this.responseScratch, 0, this.decoder.bytesWanted);
      if (count === RingStatus.byteStreamIndicesOutOfRange) {
        this.failed = "response ring indices are inconsistent";
        return false;
      }
      if (count === 0) return progress;
      progress = true;
      this.notifyPending ||= this.ring.peerNotificationRequired;
      this.decoder.feed(this.responseScratch, 0, count);
      if (this.decoder.failure !== undefined) {
        this.failed = this.decoder.failure.message;
        return false;
      }
      const message = this.decoder.takeCompletedMessage();
      if (message !== undefined) this.options.onMessage(message);
    }
  }
}
