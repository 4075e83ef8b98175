// The journal's byte format, without any I/O: checksummed frames holding either one committed
// batch of mutations or a whole-tree snapshot, so that recovery can tell a torn or corrupted
// tail from a complete record.

import { Buffer } from "node:buffer";
import { crc32 } from "node:zlib";
import type { StoreMutation } from "../mutations.js";
import type { StoreNode } from "../node-tree.js";
import { formatPermissionEntry, parsePermissionEntries } from "../permissions.js";
import type { StorePermissionList } from "../permissions.js";

/** Frame header: payload length (u32 LE) then CRC-32 of the payload (u32 LE). */
export const journalFrameHeaderBytes = 8;
// A frame larger than this is certainly garbage (a snapshot of a full store stays far below).
const journalFrameMaxPayloadBytes = 1 << 30;

/** One committed change: a request outside a transaction, or a whole transaction's commit. */
export interface JournalRecord {
  /** Consecutive from 1; a snapshot says up to which record it includes. */
  readonly sequence: number;
  readonly mutations: readonly StoreMutation[];
}

export interface SnapshotNode {
  readonly path: string;
  readonly node: StoreNode;
}

export interface JournalSnapshot {
  /** The last journal record the snapshot includes. */
  readonly sequence: number;
  readonly generation: number;
  readonly introducedDomains: readonly number[];
  /** Permission lists of the special nodes (@introduceDomain, @releaseDomain). */
  readonly specialPermissions: readonly { readonly path: string; readonly permissions: StorePermissionList }[];
  /** Parents before their children. */
  readonly nodes: readonly SnapshotNode[];
}

/** Wraps a payload in a frame. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(journalFrameHeaderBytes + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  frame.set(payload, journalFrameHeaderBytes);
  return frame;
}

export type FrameRead =
  | { readonly kind: "frame"; readonly payload: Buffer; readonly nextOffset: number }
  /** Bytes remain but do not form a complete frame with a matching checksum. */
  | { readonly kind: "invalid" }
  | { readonly kind: "end" };

/** Reads the frame at `offset`, checking its length and checksum. */
export function readFrame(bytes: Buffer, offset: number): FrameRead {
  if (offset === bytes.length) return { kind: "end" };
  if (bytes.length - offset < journalFrameHeaderBytes) return { kind: "invalid" };
  const length = bytes.readUInt32LE(offset);
  const checksum = bytes.readUInt32LE(offset + 4);
  const start = offset + journalFrameHeaderBytes;
  if (length > journalFrameMaxPayloadBytes || start + length > bytes.length) return { kind: "invalid" };
  const payload = bytes.subarray(start, start + length);
  if (crc32(payload) !== checksum) return { kind: "invalid" };
  return { kind: "frame", payload, nextOffset: start + length };
}

type EncodedMutation =
  | { readonly k: "create"; readonly p: string; readonly v: string; readonly perms: readonly string[] }
  | { readonly k: "set-value"; readonly p: string; readonly v: string }
  | { readonly k: "set-permissions"; readonly p: string; readonly perms: readonly string[] }
  | { readonly k: "remove"; readonly p: string }
  | { readonly k: "introduce-domain" | "release-domain"; readonly d: number };

function encodePermissions(permissions: StorePermissionList): string[] {
  return permissions.map(formatPermissionEntry);
}

function decodePermissions(entries: unknown): StorePermissionList {
  if (!Array.isArray(entries) || !entries.every((entry) => typeof entry === "string")) throw new JournalFormatError("permission list");
  const parsed = parsePermissionEntries(entries as string[]);
  if (!parsed.ok) throw new JournalFormatError("permission entry");
  return parsed.permissions;
}

function encodeBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
}

function decodeBytes(text: unknown): Uint8Array {
  if (typeof text !== "string") throw new JournalFormatError("value");
  return new Uint8Array(Buffer.from(text, "base64"));
}

function decodeString(text: unknown, what: string): string {
  if (typeof text !== "string") throw new JournalFormatError(what);
  return text;
}

function decodeInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new JournalFormatError(what);
  return value;
}

/** A record whose checksum matched but whose content does not parse: a bug or tampering. */
export class JournalFormatError extends Error {
  constructor(what: string) {
    super(`journal record has a malformed ${what}`);
    this.name = "JournalFormatError";
  }
}

function encodeMutation(mutation: StoreMutation): EncodedMutation {
  switch (mutation.kind) {
    case "create":
      return { k: "create", p: mutation.path, v: encodeBytes(mutation.value), perms: encodePermissions(mutation.permissions) };
    case "set-value":
      return { k: "set-value", p: mutation.path, v: encodeBytes(mutation.value) };
    case "set-permissions":
      return { k: "set-permissions", p: mutation.path, perms: encodePermissions(mutation.permissions) };
    case "remove":
      return { k: "remove", p: mutation.path };
    case "introduce-domain":
    case "release-domain":
      return { k: mutation.kind, d: mutation.domainId };
  }
}

function decodeMutation(encoded: unknown): StoreMutation {
  if (typeof encoded !== "object" || encoded === null) throw new JournalFormatError("mutation");
  const fields = encoded as Record<string, unknown>;
  switch (fields["k"]) {
    case "create":
      return { kind: "create", path: decodeString(fields["p"], "path"), value: decodeBytes(fields["v"]), permissions: decodePermissions(fields["perms"]) };
    case "set-value":
      return { kind: "set-value", path: decodeString(fields["p"], "path"), value: decodeBytes(fields["v"]) };
    case "set-permissions":
      return { kind: "set-permissions", path: decodeString(fields["p"], "path"), permissions: decodePermissions(fields["perms"]) };
    case "remove":
      return { kind: "remove", path: decodeString(fields["p"], "path") };
    case "introduce-domain":
    case "release-domain":
      return { kind: fields["k"], domainId: decodeInteger(fields["d"], "domain id") };
    default:
      throw new JournalFormatError("mutation kind");
  }
}

export function encodeRecord(record: JournalRecord): Buffer {
  const payload = Buffer.from(JSON.stringify({ s: record.sequence, m: record.mutations.map(encodeMutation) }), "utf8");
  return encodeFrame(payload);
}

export function decodeRecord(payload: Buffer): JournalRecord {
  const parsed: unknown = JSON.parse(payload.toString("utf8"));
  if (typeof parsed !== "object" || parsed === null) throw new JournalFormatError("record");
  const fields = parsed as Record<string, unknown>;
  const mutations = fields["m"];
  if (!Array.isArray(mutations)) throw new JournalFormatError("mutation list");
  return { sequence: decodeInteger(fields["s"], "sequence"), mutations: mutations.map(decodeMutation) };
}

export function encodeSnapshot(snapshot: JournalSnapshot): Buffer {
  const nodes = snapshot.nodes.map(({ path, node }) => ({
    p: path,
    v: encodeBytes(node.value),
    perms: encodePermissions(node.permissions),
    c: node.children,
    g: node.generation,
  }));
  const payload = Buffer.from(
    JSON.stringify({
      s: snapshot.sequence,
      g: snapshot.generation,
      d: snapshot.introducedDomains,
      sp: snapshot.specialPermissions.map(({ path, permissions }) => ({ p: path, perms: encodePermissions(permissions) })),
      n: nodes,
    }),
    "utf8",
  );
  return encodeFrame(payload);
}

export function decodeSnapshot(payload: Buffer): JournalSnapshot {
  const parsed: unknown = JSON.parse(payload.toString("utf8"));
  if (typeof parsed !== "object" || parsed === null) throw new JournalFormatError("snapshot");
  const fields = parsed as Record<string, unknown>;
  const domains = fields["d"];
  const nodes = fields["n"];
  const special = fields["sp"];
  if (!Array.isArray(domains) || !Array.isArray(nodes) || !Array.isArray(special)) throw new JournalFormatError("snapshot");
  return {
    sequence: decodeInteger(fields["s"], "sequence"),
    generation: decodeInteger(fields["g"], "generation"),
    introducedDomains: domains.map((domain) => decodeInteger(domain, "domain id")),
    specialPermissions: special.map((entry: unknown) => {
      if (typeof entry !== "object" || entry === null) throw new JournalFormatError("special node");
      const fieldsOfEntry = entry as Record<string, unknown>;
      return { path: decodeString(fieldsOfEntry["p"], "special path"), permissions: decodePermissions(fieldsOfEntry["perms"]) };
    }),
    nodes: nodes.map((entry: unknown) => {
      if (typeof entry !== "object" || entry === null) throw new JournalFormatError("snapshot node");
      const node = entry as Record<string, unknown>;
      const children = node["c"];
      if (!Array.isArray(children) || !children.every((child) => typeof child === "string")) throw new JournalFormatError("child list");
      return {
        path: decodeString(node["p"], "path"),
        node: {
          value: decodeBytes(node["v"]),
          permissions: decodePermissions(node["perms"]),
          children: children as string[],
          generation: decodeInteger(node["g"], "generation"),
        },
      };
    }),
  };
}
