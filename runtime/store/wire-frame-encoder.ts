// Encodes store messages into xs_wire frames (16-byte little-endian header, then the payload),
// and builds the replies a transport itself must produce.
import type { StoreMessage } from "./connection.js";
import { XsMessageType, xsHeaderBytes, xsPayloadMaxBytes, type XsErrorName } from "./wire-types.js";

/** Bytes a message occupies on the wire. */
export function encodedLength(message: StoreMessage): number {
  return xsHeaderBytes + message.payload.length;
}

/**
 * Writes the frame of `message` into target at offset (which must have room for
 * encodedLength(message) bytes) and returns the offset just past it.
 */
export function encodeStoreMessageInto(message: StoreMessage, target: Uint8Array, offset: number): number {
  if (message.payload.length > xsPayloadMaxBytes) {
    throw new RangeError(`store message payload of ${message.payload.length} bytes exceeds the xs_wire limit of ${xsPayloadMaxBytes}`);
  }
  writeUint32LittleEndian(target, offset, message.type);
  writeUint32LittleEndian(target, offset + 4, message.requestId);
  writeUint32LittleEndian(target, offset + 8, message.transactionId);
  writeUint32LittleEndian(target, offset + 12, message.payload.length);
  target.set(message.payload, offset + xsHeaderBytes);
  return offset + xsHeaderBytes + message.payload.length;
}

/** Byte by byte rather than through a DataView, so that encoding allocates nothing. */
function writeUint32LittleEndian(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value & 0xff;
  target[offset + 1] = (value >>> 8) & 0xff;
  target[offset + 2] = (value >>> 16) & 0xff;
  target[offset + 3] = (value >>> 24) & 0xff;
}

/** Encodes one message into a fresh frame. */
export function encodeStoreMessage(message: StoreMessage): Uint8Array {
  const frame = new Uint8Array(encodedLength(message));
  encodeStoreMessageInto(message, frame, 0);
  return frame;
}

const errorPayloads = new Map<XsErrorName, Uint8Array>();

/** An ERROR reply to `request` carrying the error's name, NUL-terminated, as Xen sends it. */
export function createErrorReply(request: Pick<StoreMessage, "requestId" | "transactionId">, name: XsErrorName): StoreMessage {
  let payload = errorPayloads.get(name);
  if (payload === undefined) {
    payload = new TextEncoder().encode(`${name}\0`);
    errorPayloads.set(name, payload);
  }
  return { type: XsMessageType.error, requestId: request.requestId, transactionId: request.transactionId, payload };
}
