// Reads what the policer needs out of xs_wire requests and replies it observes: the path and
// value of a WRITE, and the error name of an ERROR reply. Pure functions over message bytes.

import { Buffer } from "node:buffer";
import { XsMessageType } from "../store/wire-types.js";

export interface ObservedStoreWrite {
  readonly path: string;
  readonly value: string;
}

function absolutePath(path: string, domainId: number): string {
  return path.startsWith("/") || path.startsWith("@") ? path : `/local/domain/${domainId}/${path}`;
}

/** The first NUL-terminated argument of a payload, made absolute for `domainId`. */
export function decodeFirstPath(payload: Uint8Array, domainId: number): string {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const end = bytes.indexOf(0);
  return absolutePath(bytes.toString("utf8", 0, end < 0 ? bytes.length : end), domainId);
}

/** A WRITE request's path and value, or null for any other type. */
export function decodeStoreWrite(type: number, payload: Uint8Array, domainId: number): ObservedStoreWrite | null {
  if (type !== XsMessageType.write) return null;
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const end = bytes.indexOf(0);
  if (end < 0) return null;
  return { path: absolutePath(bytes.toString("utf8", 0, end), domainId), value: bytes.toString("utf8", end + 1) };
}

/** The error name of an ERROR reply, or null for a successful one. */
export function decodeStoreError(type: number, payload: Uint8Array): string | null {
  if (type !== XsMessageType.error) return null;
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const end = bytes.indexOf(0);
  return bytes.toString("utf8", 0, end < 0 ? bytes.length : end);
}
