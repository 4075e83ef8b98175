// The connection store across threads: a domain running on a worker thread reaches the store
// (which stays on the main thread) through a named BroadcastChannel. The client end implements
// ConnectionStore; the serving end executes each request on a main-thread ConnectionStore and
// forwards watch events. Names are passed as plain strings, so no port transfer is needed.

import { BroadcastChannel } from "node:worker_threads";
import type { ConnectionStore, ConnectionStoreOutcome } from "./connection-store.js";

type StoreRequestMessage =
  | { readonly kind: "read"; readonly requestId: number; readonly path: string }
  | { readonly kind: "write"; readonly requestId: number; readonly path: string; readonly value: string }
  | { readonly kind: "write-all"; readonly requestId: number; readonly entries: ReadonlyArray<readonly [string, string]> }
  | { readonly kind: "watch"; readonly requestId: number; readonly path: string; readonly watchId: number }
  | { readonly kind: "unwatch"; readonly requestId: number; readonly watchId: number };

type StoreReplyMessage =
  | { readonly kind: "reply"; readonly requestId: number; readonly value?: string | undefined; readonly outcome?: ConnectionStoreOutcome }
  | { readonly kind: "watch-fired"; readonly watchId: number };

function isReplyMessage(data: unknown): data is StoreReplyMessage {
  return typeof data === "object" && data !== null && ((data as { kind?: unknown }).kind === "reply" || (data as { kind?: unknown }).kind === "watch-fired");
}

/** The worker's end. `close()` it when the domain's program ends, or its thread stays alive. */
export class BroadcastChannelConnectionStore implements ConnectionStore {
  private readonly channel: BroadcastChannel;
  private nextRequestId = 1;
  private nextWatchId = 1;
  private readonly pendingReplies = new Map<number, (reply: StoreReplyMessage & { kind: "reply" }) => void>();
  private readonly watchListeners = new Map<number, () => void>();

  constructor(channelName: string) {
    this.channel = new BroadcastChannel(channelName);
    this.channel.onmessage = (event) => {
      const data = (event as { data?: unknown }).data;
      if (!isReplyMessage(data)) return;
      if (data.kind === "reply") {
        const settle = this.pendingReplies.get(data.requestId);
        this.pendingReplies.delete(data.requestId);
        settle?.(data);
      } else {
        this.watchListeners.get(data.watchId)?.();
      }
    };
  }

  close(): void {
    this.channel.close();
  }

  async read(path: string): Promise<string | undefined> {
    return (await this.send({ kind: "read", requestId: this.nextRequestId++, path })).value;
  }

  async write(path: string, value: string): Promise<ConnectionStoreOutcome> {
    return (await this.send({ kind: "write", requestId: this.nextRequestId++, path, value })).outcome ?? { ok: false, error: "EIO" };
  }

  async writeAll(entries: ReadonlyArray<readonly [string, string]>): Promise<ConnectionStoreOutcome> {
    return (await this.send({ kind: "write-all", requestId: this.nextRequestId++, entries })).outcome ?? { ok: false, error: "EIO" };
  }

  async watch(path: string, onChange: () => void): Promise<() => void> {
    const watchId = this.nextWatchId++;
    this.watchListeners.set(watchId, onChange);
    const reply = await this.send({ kind: "watch", requestId: this.nextRequestId++, path, watchId });
    if (reply.outcome !== undefined && !reply.outcome.ok) {
      this.watchListeners.delete(watchId);
      throw new RangeError(`cannot watch ${path}: ${reply.outcome.error}`);
    }
    return () => {
      this.watchListeners.delete(watchId);
      void this.send({ kind: "unwatch", requestId: this.nextRequestId++, watchId });
    };
  }

  private send(message: StoreRequestMessage): Promise<StoreReplyMessage & { kind: "reply" }> {
    return new Promise((resolve) => {
      this.pendingReplies.set(message.requestId, resolve);
      this.channel.postMessage(message);
    });
  }
}

/** The main thread's end: serves one domain's requests on `store`; returns a function that stops serving. */
export function serveConnectionStoreOverBroadcastChannel(channelName: string, store: ConnectionStore): () => void {
  const channel = new BroadcastChannel(channelName);
  const unwatchById = new Map<number, () => void>();
  channel.onmessage = (event) => {
    const message = (event as { data?: unknown }).data as StoreRequestMessage | undefined;
    if (typeof message !== "object" || message === null || typeof message.requestId !== "number") return;
    void answer(message).then((reply) => channel.postMessage(reply));
  };
  const answer = async (message: StoreRequestMessage): Promise<StoreReplyMessage> => {
    switch (message.kind) {
      case "read":
        return { kind: "reply", requestId: message.requestId, value: await store.read(message.path) };
      case "write":
        return { kind: "reply", requestId: message.requestId, outcome: await store.write(message.path, message.value) };
      case "write-all":
        return { kind: "reply", requestId: message.requestId, outcome: await store.writeAll(message.entries) };
      case "watch":
        try {
          const unwatch = await store.watch(message.path, () => channel.postMessage({ kind: "watch-fired", watchId: message.watchId } satisfies StoreReplyMessage));
          unwatchById.set(message.watchId, unwatch);
          return { kind: "reply", requestId: message.requestId, outcome: { ok: true } };
        } catch (error) {
          return { kind: "reply", requestId: message.requestId, outcome: { ok: false, error: error instanceof Error ? error.message : String(error) } };
        }
      case "unwatch":
        unwatchById.get(message.watchId)?.();
        unwatchById.delete(message.watchId);
        return { kind: "reply", requestId: message.requestId, outcome: { ok: true } };
      default:
        return { kind: "reply", requestId: (message as { requestId: number }).requestId, outcome: { ok: false, error: "EINVAL" } };
    }
  };
  return () => {
    for (const unwatch of unwatchById.values()) unwatch();
    unwatchById.clear();
    channel.close();
  };
}
