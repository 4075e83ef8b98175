// The store's side of one domain's connection: requests read from the request stream of the
// domain's xenstore interface page, replies and watch events written to its response stream,
// woken by the domain's event channel. Enforces the ring index sanity check and the
// outstanding-request quota, and bounds the watch events queued for a domain that stalls.
import { ByteStreamRingEndpoint, RingStatus, xenstoreRingLayout } from "../ring/index.js";
import type { StoreConnection, StoreMessage } from "./connection.js";
import type { StoreConnectionOpener } from "./connection-opener.js";
import { resolveStoreTransportLimits, type StoreTransportLimits } from "./transport-limits.js";
import { XsWireFrameDecoder } from "./wire-frame-decoder.js";
import { createErrorReply } from "./wire-frame-encoder.js";
import { XsMessageType, xsHeaderBytes, xsPayloadMaxBytes } from "./wire-types.js";
import {
  XenstoreConnectionState,
  XenstoreInterfaceControl,
  XenstoreRingError,
  XenstoreServerFeature,
} from "./xenstore-interface-page.js";

/** The domain end as the transport sees it: the shared page and the event channel's send. */
export interface DomainRingEndpoint {
  /** The interface page (at least 2080 bytes, 4-byte aligned), possibly shared memory. */
  readonly page: Uint8Array;
  /** Raises the domain's event channel. */
  notify(): void;
}

export interface DomainRingTransportOptions {
  readonly store: StoreConnectionOpener;
  readonly domainId: number;
  readonly endpoint: DomainRingEndpoint;
  readonly limits?: Partial<StoreTransportLimits>;
  readonly log?: (line: string) => void;
}

export class DomainRingTransport {
  private readonly ring: ByteStreamRingEndpoint;
  private readonly control: XenstoreInterfaceControl;
  private readonly limits: StoreTransportLimits;
  private readonly log: (line: string) => void;
  private connection: StoreConnection;
  private decoder = new XsWireFrameDecoder();
  /** Request bytes copied out of shared memory exactly once, then decoded from here. */
  private readonly requestScratch = new Uint8Array(xsPayloadMaxBytes);
  /** Messages waiting for room in the response stream, oldest first from outboundHead. */
  private outbound: StoreMessage[] = [];
  private outboundHead = 0;
  private outboundRepliesQueued = 0;
  private outboundWatchEventsQueued = 0;
  /** How many bytes of outbound[outboundHead] are already in the ring, and its header bytes. */
  private currentWritten = 0;
  private readonly currentHeader = new Uint8Array(xsHeaderBytes);
  private readonly currentHeaderView = new DataView(this.currentHeader.buffer);
  private processing = false;
  private handling = false;
  /** Watch events raised while this domain's own request runs are queued after its reply. */
  private readonly eventsRaisedWhileHandling: StoreMessage[] = [];
  private notifiedWhileProcessing = false;
  private notifyPending = false;
  private droppedReason: string | undefined;
  private closedByStore = false;

  constructor(private readonly options: DomainRingTransportOptions) {
    this.ring = new ByteStreamRingEndpoint(options.endpoint.page, xenstoreRingLayout, "backend");
    this.control = new XenstoreInterfaceControl(options.endpoint.page);
    this.limits = resolveStoreTransportLimits(options.limits);
    this.log = options.log ?? (() => undefined);
    this.connection = this.openStoreConnection();
    this.control.store("serverFeatures", XenstoreServerFeature.reconnection | XenstoreServerFeature.error);
    this.control.store("error", XenstoreRingError.none);
  }

  get domainId(): number {
    return this.options.domainId;
  }

  /** Why the transport stopped serving the domain, or undefined while it serves. */
  get disconnectReason(): string | undefined {
    return this.droppedReason;
  }

  /** Requests read whose replies are not yet wholly in the response stream. */
  get outstandingRequests(): number {
    return this.outboundRepliesQueued;
  }

  /** To be called whenever the domain's event channel fires. */
  onEventChannelNotified(): void {
    if (this.droppedReason !== undefined) {
      // A domain dropped for a ring error may start afresh through the reconnection
      // handshake (that is what the error feature is for); a closed transport stays closed.
      if (this.closedByStore || this.control.load("connection") !== XenstoreConnectionState.reconnect) return;
      this.droppedReason = undefined;
    }
    if (this.processing) {
      this.notifiedWhileProcessing = true;
      return;
    }
    this.processing = true;
    try {
      do {
        this.notifiedWhileProcessing = false;
        if (this.control.load("connection") === XenstoreConnectionState.reconnect) this.reconnect();
        let progress = true;
        while (progress && this.droppedReason === undefined) {
          const wrote = this.writeResponses();
          const read = this.readRequests();
          progress = wrote || read;
        }
      } while (this.notifiedWhileProcessing && this.droppedReason === undefined);
    } finally {
      this.processing = false;
    }
    this.flushNotification();
  }

  /** Stops serving the domain (domain released or destroyed) and closes its store connection. */
  close(): void {
    if (this.closedByStore) return;
    this.closedByStore = true;
    if (this.droppedReason !== undefined) return;
    this.droppedReason = "closed by the store";
    this.connection.close();
    this.outbound = [];
  }

  private openStoreConnection(): StoreConnection {
    return this.options.store.openConnection({
      domainId: this.options.domainId,
      privileged: false,
      sink: { deliver: (event) => this.enqueueWatchEvent(event) },
    });
  }

  private flushNotification(): void {
    if (!this.notifyPending) return;
    this.notifyPending = false;
    this.options.endpoint.notify();
  }

  /**
   * The guest asked for a fresh connection: everything queued or half-read is discarded, its
   * watches and transactions go with the old store connection, and both streams restart at 0.
   */
  private reconnect(): void {
    this.connection.close();
    this.outbound = [];
    this.outboundHead = 0;
    this.outboundRepliesQueued = 0;
    this.outboundWatchEventsQueued = 0;
    this.currentWritten = 0;
    this.eventsRaisedWhileHandling.length = 0;
    this.decoder = new XsWireFrameDecoder();
    this.control.resetStreamIndices();
    this.control.store("error", XenstoreRingError.none);
    this.connection = this.openStoreConnection();
    this.control.store("connection", XenstoreConnectionState.connected);
    this.notifyPending = true;
  }

  private drop(reason: string, error: number): void {
    if (this.droppedReason !== undefined) return;
    this.droppedReason = reason;
    this.log(`domain ${this.options.domainId} ring dropped: ${reason}`);
    this.control.store("error", error);
    this.connection.close();
    this.outbound = [];
    this.notifyPending = true;
  }

  /** Reads requests, never past the current message, while the domain is under its quota. */
  private readRequests(): boolean {
    let progress = false;
    while (this.outboundRepliesQueued < this.limits.outstandingRequestsPerDomain && this.droppedReason === undefined) {
      const count = this.ring.read(this.requestScratch, 0, this.decoder.bytesWanted);
      if (count === RingStatus.byteStreamIndicesOutOfRange) {
        this.drop("request ring indices are inconsistent (producer - consumer exceeds 1024)", XenstoreRingError.ringIndex);
        return false;
      }
      if (count === 0) break;
      progress = true;
      this.notifyPending ||= this.ring.peerNotificationRequired;
      this.decoder.feed(this.requestScratch, 0, count);
      const failure = this.decoder.failure;
      if (failure !== undefined) {
        this.drop(failure.message, XenstoreRingError.protocol);
        return false;
      }
      const request = this.decoder.takeCompletedMessage();
      if (request === undefined) continue;
      this.execute(request);
      // Writing the reply at once keeps a domain that reads promptly far from its quota.
      this.writeResponses();
    }
    return progress;
  }

  private execute(request: StoreMessage): void {
    let reply: StoreMessage;
    this.handling = true;
    try {
      reply = this.connection.handle(request);
    } catch (error) {
      this.log(`domain ${this.options.domainId}: internal error handling message type ${request.type}: ${error instanceof Error ? error.message : String(error)}`);
      reply = createErrorReply(request, "EIO");
    } finally {
      this.handling = false;
    }
    this.outbound.push(reply);
    this.outboundRepliesQueued++;
    if (this.eventsRaisedWhileHandling.length > 0) {
      for (const event of this.eventsRaisedWhileHandling.splice(0)) this.enqueueWatchEvent(event);
    }
  }

  private enqueueWatchEvent(event: StoreMessage): void {
    if (this.droppedReason !== undefined) return;
    if (this.handling) {
      this.eventsRaisedWhileHandling.push(event);
      return;
    }
    if (this.outboundWatchEventsQueued >= this.limits.pendingWatchEventsPerDomain) {
      this.drop(`more than ${this.limits.pendingWatchEventsPerDomain} watch events left unread`, XenstoreRingError.communication);
      if (!this.processing) this.flushNotification();
      return;
    }
    this.outbound.push(event);
    this.outboundWatchEventsQueued++;
    // An event caused by another connection is written at once; one caused by this domain's
    // own request is written by the processing loop, after the reply that caused it.
    if (!this.processing) {
      this.writeResponses();
      this.flushNotification();
    }
  }

  /** Copies queued messages into the response stream as far as the domain has made room. */
  private writeResponses(): boolean {
    let progress = false;
    while (this.outboundHead < this.outbound.length) {
      const message = this.outbound[this.outboundHead];
      if (message === undefined) break;
      if (this.currentWritten === 0) {
        this.currentHeaderView.setUint32(0, message.type >>> 0, true);
        this.currentHeaderView.setUint32(4, message.requestId >>> 0, true);
        this.currentHeaderView.setUint32(8, message.transactionId >>> 0, true);
        this.currentHeaderView.setUint32(12, message.payload.length, true);
      }
      const count =
        this.currentWritten < xsHeaderBytes
          ? this.ring.write(this.currentHeader, this.currentWritten, xsHeaderBytes)
          : this.ring.write(message.payload, this.currentWritten - xsHeaderBytes, message.payload.length);
      if (count === RingStatus.byteStreamIndicesOutOfRange) {
        this.drop("response ring indices are inconsistent (producer - consumer exceeds 1024)", XenstoreRingError.ringIndex);
        return false;
      }
      const messageBytes = xsHeaderBytes + message.payload.length;
      if (count === 0 && this.currentWritten < messageBytes) break;
      progress ||= count > 0;
      this.notifyPending ||= this.ring.peerNotificationRequired;
      this.currentWritten += count;
      if (this.currentWritten === messageBytes) {
        this.currentWritten = 0;
        this.outboundHead++;
        // A reply carries its request's type or ERROR, so WATCH_EVENT marks an event.
        if (message.type === XsMessageType.watchEvent) this.outboundWatchEventsQueued--;
        else this.outboundRepliesQueued--;
      }
    }
    if (this.outboundHead === this.outbound.length) {
      this.outbound.length = 0;
      this.outboundHead = 0;
    } else if (this.outboundHead > 64 && this.outboundHead * 2 > this.outbound.length) {
      // A domain that never lets the queue empty must not make written entries pile up.
      this.outbound.splice(0, this.outboundHead);
      this.outboundHead = 0;
    }
    return progress;
  }
}
