// The store operations a split-driver connection needs (read, write, one-transaction writes,
// watches), asynchronous so the same connection code can later sit on a store reached over a
// ring or socket; and the adapter onto the typed in-process StoreClient.

import type { StoreClient } from "../store/store-client.js";

export type ConnectionStoreOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface ConnectionStore {
  /** The value at an absolute path, or undefined when absent or unreadable. */
  read(path: string): Promise<string | undefined>;
  write(path: string, value: string): Promise<ConnectionStoreOutcome>;
  /** Writes every entry in one transaction (retried on EAGAIN): all or nothing. */
  writeAll(entries: ReadonlyArray<readonly [string, string]>): Promise<ConnectionStoreOutcome>;
  /** Calls `onChange` (later, never inside this call) whenever the path changes; returns an unwatch function. */
  watch(path: string, onChange: () => void): Promise<() => void>;
}

/** Defers a watch callback: the scheduler's task queue in-process, or a microtask. */
export type WatchCallbackDeferral = (callback: () => void) => void;

/**
 * Wraps a StoreClient connected with `onWatchEvent` pointing at `dispatchWatchEvent`:
 * use `connectStoreClientForConnection` below, which wires that up.
 */
export class StoreClientConnectionStore implements ConnectionStore {
  private readonly listenersByToken = new Map<string, () => void>();
  private nextToken = 1;
  private client: StoreClient | undefined;

  constructor(private readonly defer: WatchCallbackDeferral) {}

  attach(client: StoreClient): void {
    this.client = client;
  }

  dispatchWatchEvent(token: string): void {
    const listener = this.listenersByToken.get(token);
    if (listener !== undefined) this.defer(listener);
  }

  async read(path: string): Promise<string | undefined> {
    const result = this.requireClient().readText(path);
    return result.ok ? result.value : undefined;
  }

  async write(path: string, value: string): Promise<ConnectionStoreOutcome> {
    const result = this.requireClient().write(path, value);
    return result.ok ? { ok: true } : { ok: false, error: result.error };
  }

  async writeAll(entries: ReadonlyArray<readonly [string, string]>): Promise<ConnectionStoreOutcome> {
    const client = this.requireClient();
    const result = client.transaction((transaction) => {
      for (const [path, value] of entries) {
        const written = client.write(path, value, transaction);
        if (!written.ok) return written;
      }
      return { ok: true, value: undefined };
    });
    return result.ok ? { ok: true } : { ok: false, error: result.error };
  }

  async watch(path: string, onChange: () => void): Promise<() => void> {
    const token = `connection-${this.nextToken++}`;
    this.listenersByToken.set(token, onChange);
    const client = this.requireClient();
    const registered = client.watch(path, token);
    if (!registered.ok) {
      this.listenersByToken.delete(token);
      throw new RangeError(`cannot watch ${path}: ${registered.error}`);
    }
    return () => {
      this.listenersByToken.delete(token);
      client.unwatch(path, token);
    };
  }

  private requireClient(): StoreClient {
    if (this.client === undefined) throw new RangeError("StoreClientConnectionStore used before attach()");
    return this.client;
  }
}
