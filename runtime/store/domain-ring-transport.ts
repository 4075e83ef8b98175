// The store's side of one domain's connection: requests read from the request ring of the
// domain's xenstore interface page, replies and watch events written to its response ring,
// woken by the domain's event channel. Enforces the ring index sanity check and the
// outstanding-request quota, and bounds the watch events queued for a domain that stalls.
import type { StoreConnection, StoreMessage } from "./connection.js";
import type { StoreConnectionOpener } from "./socket-server.js";
import { resolveStoreTransportLimits, type StoreTransportLimits } from "./transport-limits.js";
import { XsWireFrameDecoder } from "./wire-frame-decoder.js";
import { createErrorReply } from "./wire-frame-encoder.js";
import { XsMessageType, xsHeaderBytes } from "./wire-types.js";
import {
  XenstoreConnectionState,
  XenstoreInterfacePage,
  XenstoreRingError,
  XenstoreServerFeature,
  xenstoreRingBytes,
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

const ringIndexMask = xenstoreRingBytes - 1;

export class DomainRingTransport {
  private readonly page: XenstoreInterfacePage;
  private readonly limits: StoreTransportLimits;
  private readonly log: (line: string) => void;
  private connection: StoreConnection;
  private decoder = new XsWireFrameDecoder();
  /** Messages waiting for room in the response ring, oldest first from outboundHead. */
  private outbound: StoreMessage[] = [];
  private outboundHead = 0;
  private outboundRepliesQueued = 0;
  private outboundWatchEventsQueued = 0;
  /** How many bytes of outbound[outboundHead] are already in the ring, and its header bytes. */
  private currentWritten = 0;
  private readonly currentHeader = new Uint8Array(xsHeaderBytes);
  private readonly currentHeaderView = new DataView(this.currentHeader.buffer);
  private processing = false;
  private notifiedWhileProcessing = false;
  private droppedReason: string | undefined;

  constructor(private readonly options: DomainRingTransportOptions) {
    this.page = new XenstoreInterfacePage(options.endpoint.page);
    this.limits = resolveStoreTransportLimits(options.limits);
    this.log = options.log ?? (() => undefined);
    this.connection = this.openStoreConnection();
    this.page.store("serverFeatures", XenstoreServerFeature.reconnection | XenstoreServerFeature.error);
    this.page.store("error", XenstoreRingError.none);
  }

  get domainId(): number {
    return this.options.domainId;
  }

  /** Why the transport stopped serving the domain, or undefined while it serves. */
  get disconnectReason(): string | undefined {
    return this.droppedReason;
  }

  /** Requests read whose replies are not yet wholly in the response ring. */
  get outstandingRequests(): number {
    return this.outboundRepliesQueued;
  }

  /** To be called whenever the domain's event channel fires. */
  onEventChannelNotified(): void {
    if (this.droppedReason !== undefined) return;
    if (this.processing) {
      this.notifiedWhileProcessing = true;
      return;
    }
    this.processing = true;
    let notifyDomain = false;
    try {
      do {
        this.notifiedWhileProcessing = false;
        if (this.page.load("connection") === XenstoreConnectionState.reconnect) {
          this.reconnect();
          notifyDomain = true;
        }
        let progress = true;
        while (progress && this.droppedReason === undefined) {
          const wrote = this.writeResponses();
          const read = this.readRequests();
          progress = wrote || read;
          notifyDomain ||= progress;
        }
      } while (this.notifiedWhileProcessing && this.droppedReason === undefined);
    } finally {
      this.processing = false;
    }
    if (notifyDomain || this.droppedReason !== undefined) this.options.endpoint.notify();
  }

  /** Stops serving the domain (domain released or destroyed) and closes its store connection. */
  close(): void {
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

  /**
   * The guest asked for a fresh connection: everything queued or half-read is discarded, its
   * watches and transactions go with the old store connection, and the rings restart at 0.
   */
  private reconnect(): void {
    this.connection.close();
    this.outbound = [];
    this.outboundHead = 0;
    this.outboundRepliesQueued = 0;
    this.outboundWatchEventsQueued = 0;
    this.currentWritten = 0;
    this.decoder = new XsWireFrameDecoder();
    this.page.store("requestConsumer", 0);
    this.page.store("requestProducer", 0);
    this.page.store("responseConsumer", 0);
    this.page.store("responseProducer", 0);
    this.page.store("error", XenstoreRingError.none);
    this.connection = this.openStoreConnection();
    this.page.store("connection", XenstoreConnectionState.connected);
  }

  private drop(reason: string, error: number): void {
    if (this.droppedReason !== undefined) return;
    this.droppedReason = reason;
    this.log(`domain ${this.options.domainId} ring dropped: ${reason}`);
    this.page.store("error", error);
    this.connection.close();
    this.outbound = [];
  }

  /** Copies request bytes out of the ring, one message at a time, within the quota. */
  private readRequests(): boolean {
    const consumer = this.page.load("requestConsumer");
    const producer = this.page.load("requestProducer");
    const available = (producer - consumer) >>> 0;
    if (available > xenstoreRingBytes) {
      this.drop(`request ring indices are inconsistent (prod ${producer} - cons ${consumer} > ${xenstoreRingBytes})`, XenstoreRingError.ringIndex);
      return false;
    }
    let consumed = 0;
    while (consumed < available && this.outboundRepliesQueued < this.limits.outstandingRequestsPerDomain) {
      const start = (consumer + consumed) & ringIndexMask;
      const end = Math.min(xenstoreRingBytes, start + (available - consumed));
      consumed += this.decoder.feed(this.page.requestRing, start, end);
      const failure = this.decoder.failure;
      if (failure !== undefined) {
        this.drop(failure.message, XenstoreRingError.protocol);
        return false;
      }
      const request = this.decoder.takeCompletedMessage();
      if (request !== undefined) this.execute(request);
      if (this.droppedReason !== undefined) return false;
    }
    if (consumed > 0) this.page.store("requestConsumer", consumer + consumed);
    return consumed > 0;
  }

  private execute(request: StoreMessage): void {
    let reply: StoreMessage;
    try {
      reply = this.connection.handle(request);
    } catch (error) {
      this.log(`domain ${this.options.domainId}: internal error handling message type ${request.type}: ${error instanceof Error ? error.message : String(error)}`);
      reply = createErrorReply(request, "EIO");
    }
    this.outbound.push(reply);
    this.outboundRepliesQueued++;
  }

  private enqueueWatchEvent(event: StoreMessage): void {
    if (this.droppedReason !== undefined) return;
    if (this.outboundWatchEventsQueued >= this.limits.pendingWatchEventsPerDomain) {
      this.drop(`more than ${this.limits.pendingWatchEventsPerDomain} watch events left unread`, XenstoreRingError.communication);
      this.options.endpoint.notify();
      return;
    }
    this.outbound.push(event);
    this.outboundWatchEventsQueued++;
    // An event caused by another connection is written at once; one caused by this domain's
    // own request is written by the processing loop after the reply that caused it.
    if (!this.processing && this.writeResponses()) this.options.endpoint.notify();
  }

  /** Copies queued messages into the response ring as far as the domain has made room. */
  private writeResponses(): boolean {
    if (this.outboundHead >= this.outbound.length) return false;
    const consumer = this.page.load("responseConsumer");
    const producer = this.page.load("responseProducer");
    const used = (producer - consumer) >>> 0;
    if (used > xenstoreRingBytes) {
      this.drop(`response ring indices are inconsistent (prod ${producer} - cons ${consumer} > ${xenstoreRingBytes})`, XenstoreRingError.ringIndex);
      return false;
    }
    let space = xenstoreRingBytes - used;
    let written = 0;
    while (space > 0 && this.outboundHead < this.outbound.length) {
      const message = this.outbound[this.outboundHead];
      if (message === undefined) break;
      if (this.currentWritten === 0) {
        this.currentHeaderView.setUint32(0, message.type >>> 0, true);
        this.currentHeaderView.setUint32(4, message.requestId >>> 0, true);
        this.currentHeaderView.setUint32(8, message.transactionId >>> 0, true);
        this.currentHeaderView.setUint32(12, message.payload.length, true);
      }
      const inHeader = this.currentWritten < xsHeaderBytes;
      const source = inHeader ? this.currentHeader : message.payload;
      const sourceOffset = inHeader ? this.currentWritten : this.currentWritten - xsHeaderBytes;
      const ringOffset = (producer + written) & ringIndexMask;
      const take = Math.min(space, source.length - sourceOffset, xenstoreRingBytes - ringOffset);
      // A byte loop rather than set(subarray()): no view object is allocated per copy.
      const ring = this.page.responseRing;
      for (let index = 0; index < take; index++) ring[ringOffset + index] = source[sourceOffset + index] ?? 0;
      this.currentWritten += take;
      written += take;
      space -= take;
      if (this.currentWritten === xsHeaderBytes + message.payload.length) {
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
    }
    if (written > 0) this.page.store("responseProducer", producer + written);
    return written > 0;
  }
}
