// What a transport needs from the store: a way to open connections. The core's XenStore
// (store.ts) satisfies it; transports depend only on this, so they can be tested in isolation.
import type { StoreConnection, StoreConnectionOptions } from "./connection.js";

export interface StoreConnectionOpener {
  openConnection(options: StoreConnectionOptions): StoreConnection;
}
