// The typed in-process API of the store: one connection whose requests are encoded as xs_wire
// messages and executed by the same code as every transport, with results carrying Xen's
// error names instead of exceptions, and a bounded queue of pending watch events.

import { Buffer } from "node:buffer";
import type { StoreConnection, StoreMessage } from "./connection.js";
import { formatPermissionEntry, parsePermissionEntries } from "./permissions.js";
import type { StorePermissionList } from "./permissions.js";
import type { XenStore } from "./store.js";
import { XsMessageType, xsErrorNames } from "./wire-types.js";
import type { XsErrorName } from "./wire-types.js";

/** A protocol outcome: the value, or the Xen error name the store replied with. */
export type StoreResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: XsErrorName };

export interface StoreWatchEvent {
  /** As the store presents it: relative for watches registered with a relative path. */
  readonly path: string;
  readonly token: string;
}

export interface DirectoryPart {
  readonly generation: string;
  readonly children: readonly string[];
  /** True when the listing reached the last child. */
  readonly complete: boolean;
}

export interface StoreClientOptions {
  readonly domainId: number;
  readonly privileged: boolean;
  /** Watch events kept until taken; later ones are dropped and counted (default 1024). */
  readonly maximumPendingWatchEvents?: number;
  /** Called for every watch event as it arrives, in addition to queueing it. */
  readonly onWatchEvent?: (event: StoreWatchEvent) => void;
}

/** A transaction id as returned by startTransaction; 0 would mean "no transaction". */
export type StoreTransactionId = number;

const defaultMaximumPendingWatchEvents = 1024;
const defaultTransactionAttempts = 16;
const knownErrorNames: ReadonlySet<string> = new Set(xsErrorNames);

export class StoreClient {
  readonly connection: StoreConnection;
  private readonly pendingWatchEvents: StoreWatchEvent[] = [];
  private readonly maximumPendingWatchEvents: number;
  private droppedEvents = 0;
  private nextRequestId = 1;

  private constructor(store: XenStore, private readonly options: StoreClientOptions) {
    this.maximumPendingWatchEvents = options.maximumPendingWatchEvents ?? defaultMaximumPendingWatchEvents;
    this.connection = store.openConnection({
      domainId: options.domainId,
      privileged: options.privileged,
      sink: { deliver: (message) => this.receiveWatchEvent(message) },
    });
  }

  static connect(store: XenStore, options: StoreClientOptions): StoreClient {
    return new StoreClient(store, options);
  }

  /** Watch events received and not yet taken, oldest first; empties the queue. */
  takeWatchEvents(): StoreWatchEvent[] {
    return this.pendingWatchEvents.splice(0, this.pendingWatchEvents.length);
  }

  /** Events dropped because the queue was full. */
  get droppedWatchEventCount(): number {
    return this.droppedEvents;
  }

  read(path: string, transaction: StoreTransactionId = 0): StoreResult<Uint8Array> {
    return this.request(XsMessageType.read, transaction, [path], (payload) => payload);
  }

  /** READ decoded as UTF-8. */
  readText(path: string, transaction: StoreTransactionId = 0): StoreResult<string> {
    return this.request(XsMessageType.read, transaction, [path], (payload) => Buffer.from(payload).toString("utf8"));
  }

  write(path: string, value: Uint8Array | string, transaction: StoreTransactionId = 0): StoreResult<void> {
    const valueBytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    const payload = Buffer.concat([Buffer.from(`${path}\0`, "latin1"), valueBytes]);
    return this.send(XsMessageType.write, transaction, payload, ignoreReply);
  }

  mkdir(path: string, transaction: StoreTransactionId = 0): StoreResult<void> {
    return this.request(XsMessageType.mkdir, transaction, [path], ignoreReply);
  }

  remove(path: string, transaction: StoreTransactionId = 0): StoreResult<void> {
    return this.request(XsMessageType.rm, transaction, [path], ignoreReply);
  }

  directory(path: string, transaction: StoreTransactionId = 0): StoreResult<string[]> {
    return this.request(XsMessageType.directory, transaction, [path], splitStrings);
  }

  directoryPart(path: string, offset: number, transaction: StoreTransactionId = 0): StoreResult<DirectoryPart> {
    return this.request(XsMessageType.directoryPart, transaction, [path, String(offset)], (payload) => {
      const [generation = "", ...rest] = splitStrings(payload);
      // A complete listing ends with an empty string after the last child.
      const complete = rest.length > 0 && rest[rest.length - 1] === "";
      return { generation, children: complete ? rest.slice(0, -1) : rest, complete };
    });
  }

  getPermissions(path: string, transaction: StoreTransactionId = 0): StoreResult<StorePermissionList> {
    const reply = this.request(XsMessageType.getPerms, transaction, [path], splitStrings);
    if (!reply.ok) return reply;
    const parsed = parsePermissionEntries(reply.value);
    return parsed.ok ? { ok: true, value: parsed.permissions } : { ok: false, error: parsed.error };
  }

  setPermissions(path: string, permissions: StorePermissionList, transaction: StoreTransactionId = 0): StoreResult<void> {
    return this.request(XsMessageType.setPerms, transaction, [path, ...permissions.map(formatPermissionEntry)], ignoreReply);
  }

  watch(path: string, token: string): StoreResult<void> {
    return this.request(XsMessageType.watch, 0, [path, token], ignoreReply);
  }

  unwatch(path: string, token: string): StoreResult<void> {
    return this.request(XsMessageType.unwatch, 0, [path, token], ignoreReply);
  }

  resetWatches(): StoreResult<void> {
    return this.request(XsMessageType.resetWatches, 0, [""], ignoreReply);
  }

  startTransaction(): StoreResult<StoreTransactionId> {
    return this.request(XsMessageType.transactionStart, 0, [""], (payload) => Number(splitStrings(payload)[0]));
  }

  /** Commits (EAGAIN when something it looked at changed meanwhile) or aborts. */
  endTransaction(transaction: StoreTransactionId, commit: boolean): StoreResult<void> {
    return this.request(XsMessageType.transactionEnd, transaction, [commit ? "T" : "F"], ignoreReply);
  }

  /**
   * Runs `body` in a transaction and commits it, retrying from the start on EAGAIN. An error
   * result from `body` aborts the transaction and is returned as is.
   */
  transaction<T>(body: (transaction: StoreTransactionId) => StoreResult<T>, maximumAttempts = defaultTransactionAttempts): StoreResult<T> {
    let outcome: StoreResult<T> = { ok: false, error: "EAGAIN" };
    for (let attempt = 0; attempt < maximumAttempts; attempt++) {
      const started = this.startTransaction();
      if (!started.ok) return started;
      outcome = body(started.value);
      if (!outcome.ok) {
        this.endTransaction(started.value, false);
        return outcome;
      }
      const ended = this.endTransaction(started.value, true);
      if (ended.ok) return outcome;
      if (ended.error !== "EAGAIN") return ended;
      outcome = ended;
    }
    return outcome;
  }

  getDomainPath(domainId: number): StoreResult<string> {
    return this.request(XsMessageType.getDomainPath, 0, [String(domainId)], (payload) => splitStrings(payload)[0] ?? "");
  }

  introduceDomain(domainId: number, ringFrame: bigint, eventChannelPort: number): StoreResult<void> {
    return this.request(XsMessageType.introduce, 0, [String(domainId), ringFrame.toString(), String(eventChannelPort)], ignoreReply);
  }

  releaseDomain(domainId: number): StoreResult<void> {
    return this.request(XsMessageType.release, 0, [String(domainId)], ignoreReply);
  }

  isDomainIntroduced(domainId: number): StoreResult<boolean> {
    return this.request(XsMessageType.isDomainIntroduced, 0, [String(domainId)], (payload) => splitStrings(payload)[0] === "T");
  }

  /** GET_QUOTA: one quota's value, globally or for a domain (0 means no limit). */
  getQuota(quotaName: string, domainId?: number): StoreResult<number> {
    const argumentList = domainId === undefined ? [quotaName] : [String(domainId), quotaName];
    return this.request(XsMessageType.getQuota, 0, argumentList, (payload) => Number(splitStrings(payload)[0]));
  }

  /** GET_QUOTA without arguments: the names of the supported quotas. */
  listQuotaNames(): StoreResult<string[]> {
    return this.request(XsMessageType.getQuota, 0, [], (payload) => (splitStrings(payload)[0] ?? "").split(" "));
  }

  /** SET_QUOTA: changes one quota globally or for one introduced domain (0 disables it). */
  setQuota(quotaName: string, value: number, domainId?: number): StoreResult<void> {
    const argumentList = domainId === undefined ? [quotaName, String(value)] : [String(domainId), quotaName, String(value)];
    return this.request(XsMessageType.setQuota, 0, argumentList, ignoreReply);
  }

  close(): void {
    this.connection.close();
  }

  private request<T>(type: number, transaction: StoreTransactionId, argumentList: readonly string[], decode: (payload: Uint8Array) => T): StoreResult<T> {
    let text = "";
    for (const argument of argumentList) text += `${argument}\0`;
    return this.send(type, transaction, Buffer.from(text, "latin1"), decode);
  }

  private send<T>(type: number, transaction: StoreTransactionId, payload: Uint8Array, decode: (payload: Uint8Array) => T): StoreResult<T> {
    const requestId = this.nextRequestId;
    this.nextRequestId = (this.nextRequestId + 1) >>> 0;
    const reply = this.connection.handle({ type, requestId, transactionId: transaction, payload });
    if (reply.type === XsMessageType.error) return { ok: false, error: decodeErrorName(reply) };
    return { ok: true, value: decode(reply.payload) };
  }

  private receiveWatchEvent(message: StoreMessage): void {
    const [path = "", token = ""] = splitStrings(message.payload);
    const event: StoreWatchEvent = { path, token };
    this.options.onWatchEvent?.(event);
    if (this.pendingWatchEvents.length >= this.maximumPendingWatchEvents) {
      this.droppedEvents++;
      return;
    }
    this.pendingWatchEvents.push(event);
  }
}

function ignoreReply(): void {
  return undefined;
}

/** NUL-terminated strings of a reply (an unterminated tail counts as one more string). */
function splitStrings(payload: Uint8Array): string[] {
  if (payload.length === 0) return [];
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString("latin1");
  const parts = text.split("\0");
  if (text.endsWith("\0")) parts.pop();
  return parts;
}

function decodeErrorName(reply: StoreMessage): XsErrorName {
  const [name = ""] = splitStrings(reply.payload);
  // Like Xen's clients, treat a name we do not know as EINVAL.
  return knownErrorNames.has(name) ? (name as XsErrorName) : "EINVAL";
}
