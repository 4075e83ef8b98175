// Builds the payloads of requests a client sends (NUL-terminated string arguments, WRITE's raw
// value after the path) and reads reply payloads; the core decodes requests with its own module.
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: false });

/** "a\0b\0": every argument NUL-terminated, the form of almost every request. */
export function encodeStringArguments(...values: readonly string[]): Uint8Array {
  return textEncoder.encode(values.map((value) => `${value}\0`).join(""));
}

/** WRITE's payload: the NUL-terminated path, then the value's raw bytes, unterminated. */
export function encodeWriteArguments(path: string, value: string | Uint8Array): Uint8Array {
  const pathBytes = textEncoder.encode(`${path}\0`);
  const valueBytes = typeof value === "string" ? textEncoder.encode(value) : value;
  const payload = new Uint8Array(pathBytes.length + valueBytes.length);
  payload.set(pathBytes, 0);
  payload.set(valueBytes, pathBytes.length);
  return payload;
}

/** Splits a reply payload into its NUL-terminated strings (a trailing unterminated piece is kept). */
export function decodeStringArguments(payload: Uint8Array): string[] {
  if (payload.length === 0) return [];
  const text = textDecoder.decode(payload);
  const pieces = text.split("\0");
  if (pieces[pieces.length - 1] === "") pieces.pop();
  return pieces;
}

/** A payload as text, without a single trailing NUL if there is one. */
export function decodeText(payload: Uint8Array): string {
  const end = payload.length > 0 && payload[payload.length - 1] === 0 ? payload.length - 1 : payload.length;
  return textDecoder.decode(payload.subarray(0, end));
}
