// Decoding of request arguments from an xs_wire payload (NUL-terminated strings, or a path
// followed by raw bytes for WRITE) and encoding of reply text. Strings are Latin-1 so that
// every byte a client sends (tokens included) comes back unchanged.

import { Buffer } from "node:buffer";

/** The payload of an "OK" reply. */
export const okReplyPayload: Uint8Array = encodeWireText("OK\0");
export const emptyPayload: Uint8Array = new Uint8Array(0);

export function encodeWireText(text: string): Uint8Array {
  return Buffer.from(text, "latin1");
}

function decodeWireText(payload: Uint8Array, start: number, end: number): string {
  return Buffer.from(payload.buffer, payload.byteOffset + start, end - start).toString("latin1");
}

/**
 * Exactly one NUL-terminated string filling the whole payload (Xen's rule for requests with a
 * single argument), or undefined when the payload has any other shape.
 */
export function decodeSingleArgument(payload: Uint8Array): string | undefined {
  const length = payload.length;
  if (length === 0 || payload[length - 1] !== 0) return undefined;
  const firstNul = payload.indexOf(0);
  if (firstNul !== length - 1) return undefined;
  return decodeWireText(payload, 0, firstNul);
}

/** Every NUL-terminated string of the payload, or undefined when bytes trail the last NUL. */
export function decodeArgumentList(payload: Uint8Array): string[] | undefined {
  const argumentsFound: string[] = [];
  let start = 0;
  while (start < payload.length) {
    const nul = payload.indexOf(0, start);
    if (nul < 0) return undefined;
    argumentsFound.push(decodeWireText(payload, start, nul));
    start = nul + 1;
  }
  return argumentsFound;
}

/** WRITE's arguments: a NUL-terminated path, then the value as raw bytes up to the end. */
export function decodePathAndValue(payload: Uint8Array): { readonly path: string; readonly value: Uint8Array } | undefined {
  const nul = payload.indexOf(0);
  if (nul < 0) return undefined;
  return { path: decodeWireText(payload, 0, nul), value: payload.slice(nul + 1) };
}
