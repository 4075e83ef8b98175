// The protocol-neutral pieces generated stubs build a typed exchange from: a slot layout per ABI
// (size, where the correlation id sits, which response fields echo request fields), the
// connection description made from it, writing ids into request images, and the per-request
// record a backend stub keeps beside each private copy so it can echo fields into the answer.
import type { SplitConnectionDescription } from "./connection-description.js";

/** A request field the responder must echo (e.g. blkif's operation), by byte position. */
export interface StubEchoedField {
  readonly requestOffset: number;
  readonly responseOffset: number;
  readonly width: 1 | 2 | 4 | 8;
}

/** One ABI's ring slot as generated from the spec. */
export interface StubSlotLayout {
  readonly slotBytes: number;
  readonly requestIdOffset: number;
  readonly responseIdOffset: number;
  readonly idBytes: 2 | 4 | 8;
  readonly echoedFields: readonly StubEchoedField[];
}

/** The ring transport's store keys on the frontend side, as named by the spec. */
export interface StubTransportKeys {
  readonly ringReferenceKey: string;
  readonly ringPageOrderKey: string;
  readonly eventChannelKey: string;
}

export function describeStubConnection(layout: StubSlotLayout, transport: StubTransportKeys, maximumRingPageOrder: number): SplitConnectionDescription {
  return {
    slotBytes: layout.slotBytes,
    requestIdOffset: layout.requestIdOffset,
    responseIdOffset: layout.responseIdOffset,
    idBytes: layout.idBytes,
    maximumRingPageOrder,
    ringReferenceKey: transport.ringReferenceKey,
    ringPageOrderKey: transport.ringPageOrderKey,
    eventChannelKey: transport.eventChannelKey,
  };
}

/** Writes a correlation id (below 2^53) little-endian in `idBytes` bytes. */
export function writeConnectionId(bytes: Uint8Array, offset: number, idBytes: 2 | 4 | 8, id: number): void {
  let low = id >>> 0;
  for (let index = 0; index < Math.min(idBytes, 4); index++) {
    bytes[offset + index] = low & 0xff;
    low >>>= 8;
  }
  if (idBytes === 8) {
    let high = Math.floor(id / 0x1_0000_0000);
    for (let index = 4; index < 8; index++) {
      bytes[offset + index] = high & 0xff;
      high >>>= 8;
    }
  }
}

/**
 * Copies the correlation id from a request's private copy into its response slot, and the
 * echoed fields too when the request decoded (an undecodable request's fields may not be
 * valid values of the response's types, so the handler's own values stay).
 */
export function echoCorrelatedFields(requestCopy: Uint8Array, responseSlot: Uint8Array, layout: StubSlotLayout, requestDecoded: boolean): void {
  for (let index = 0; index < layout.idBytes; index++) responseSlot[layout.responseIdOffset + index] = requestCopy[layout.requestIdOffset + index]!;
  if (!requestDecoded) return;
  for (const field of layout.echoedFields) {
    for (let index = 0; index < field.width; index++) responseSlot[field.responseOffset + index] = requestCopy[field.requestOffset + index]!;
  }
}

/**
 * What a backend stub keeps beside one private copy for as long as the copy is in use: the
 * decoded request, whether it decoded, and the handler's answer. Made once per private copy.
 */
export interface StubExchange<TRequest, TResponse> {
  readonly requestCopy: Uint8Array;
  readonly request: TRequest;
  requestDecoded: boolean;
  response: TResponse;
}

/** A message a stub refused to send: the codec's or validator's structured reason. */
export class StubMessageRefused extends Error {
  readonly reason: { readonly fieldPath: string; readonly value: number | string | boolean };

  constructor(what: string, reason: { readonly fieldPath: string; readonly value: number | string | boolean } & ({ readonly code: string } | { readonly clauseId: string })) {
    super(`${what} refused: ${"code" in reason ? reason.code : `clause ${reason.clauseId}`} at ${reason.fieldPath || "(message)"} = ${String(reason.value)}`);
    this.name = "StubMessageRefused";
    this.reason = reason;
  }
}
