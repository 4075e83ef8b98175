// Incremental xs_wire frame decoder: turns a byte stream (socket chunks or ring segments)
// into whole store messages, checking only what framing owns (the 16-byte header and the
// 4096-byte payload limit); argument syntax and semantics are the core's business.
import type { StoreMessage } from "./connection.js";
import { xsHeaderBytes, xsPayloadMaxBytes } from "./wire-types.js";

/** Why a stream can no longer be decoded; the transport disconnects that client only. */
export interface XsWireFrameFailure {
  readonly code: "payload-too-long";
  readonly message: string;
}

/**
 * Decodes one message at a time so that a transport can stop consuming input between
 * messages (the ring transport does so when a domain reaches its outstanding-request quota).
 * The header is gathered into a buffer owned by the decoder; the only allocation per message
 * is the message's own payload, copied so that no caller's buffer is retained.
 */
export class XsWireFrameDecoder {
  private readonly headerBytes = new Uint8Array(xsHeaderBytes);
  private readonly headerView = new DataView(this.headerBytes.buffer);
  private headerFilled = 0;
  private payload: Uint8Array | undefined;
  private payloadFilled = 0;
  private completed: StoreMessage | undefined;
  private failed: XsWireFrameFailure | undefined;

  get failure(): XsWireFrameFailure | undefined {
    return this.failed;
  }

  /** True while part of a message has been consumed but not yet completed. */
  get isMidMessage(): boolean {
    return this.headerFilled > 0;
  }

  /**
   * Bytes still missing from the header, or from the payload once the header is complete; a
   * transport that must not read past the current message asks for no more than this.
   */
  get bytesWanted(): number {
    if (this.headerFilled < xsHeaderBytes) return xsHeaderBytes - this.headerFilled;
    return (this.payload?.length ?? 0) - this.payloadFilled;
  }

  /**
   * Consumes bytes from source[start, end) until one message is complete or the input runs
   * out, and returns the number of bytes consumed. After a failure it consumes nothing.
   * A completed message must be collected with takeCompletedMessage() before feeding on.
   */
  feed(source: Uint8Array, start: number, end: number): number {
    if (this.failed !== undefined || this.completed !== undefined) return 0;
    let offset = start;
    if (this.headerFilled < xsHeaderBytes) {
      const take = Math.min(xsHeaderBytes - this.headerFilled, end - offset);
      const header = this.headerBytes;
      for (let index = 0; index < take; index++) header[this.headerFilled + index] = source[offset + index] ?? 0;
      this.headerFilled += take;
      offset += take;
      if (this.headerFilled < xsHeaderBytes) return offset - start;
      const payloadLength = this.headerView.getUint32(12, true);
      if (payloadLength > xsPayloadMaxBytes) {
        this.failed = {
          code: "payload-too-long",
          message: `message header announces a ${payloadLength}-byte payload; xs_wire allows at most ${xsPayloadMaxBytes}`,
        };
        return offset - start;
      }
      this.payload = new Uint8Array(payloadLength);
      this.payloadFilled = 0;
    }
    const payload = this.payload;
    if (payload === undefined) return offset - start;
    const take = Math.min(payload.length - this.payloadFilled, end - offset);
    // Byte loops instead of set(subarray()): no view object is allocated per call.
    for (let index = 0; index < take; index++) payload[this.payloadFilled + index] = source[offset + index] ?? 0;
    this.payloadFilled += take;
    offset += take;
    if (this.payloadFilled === payload.length) {
      this.completed = {
        type: this.headerView.getUint32(0, true),
        requestId: this.headerView.getUint32(4, true),
        transactionId: this.headerView.getUint32(8, true),
        payload,
      };
      this.headerFilled = 0;
      this.payload = undefined;
      this.payloadFilled = 0;
    }
    return offset - start;
  }

  /** Returns the message completed by the last feed() and clears it, or undefined. */
  takeCompletedMessage(): StoreMessage | undefined {
    const message = this.completed;
    this.completed = undefined;
    return message;
  }
}
