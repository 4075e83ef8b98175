// Connects a domain to an in-process store for use by the connection library: a StoreClient
// whose watch events reach the connection through the in-process scheduler (or microtasks).

import { StoreClient } from "../store/store-client.js";
import type { XenStore } from "../store/store.js";
import { StoreClientConnectionStore, type WatchCallbackDeferral } from "./connection-store.js";

export function connectInProcessConnectionStore(store: XenStore, domainId: number, defer: WatchCallbackDeferral = queueMicrotask): StoreClientConnectionStore {
  const connectionStore = new StoreClientConnectionStore(defer);
  const client = StoreClient.connect(store, {
    domainId,
    privileged: domainId === 0,
    onWatchEvent: (event) => connectionStore.dispatchWatchEvent(event.token),
  });
  // Events are handed to the listener as they arrive; the queue is not used, so keep it empty.
  client.takeWatchEvents();
  connectionStore.attach(client);
  return connectionStore;
}
