// Shared set-up for the store's tests: an in-memory store with a privileged toolstack client
// and guest domains whose home directories exist and belong to them, as a toolstack makes them.

import { StoreClient } from "../../runtime/store/store-client.js";
import type { StoreResult } from "../../runtime/store/store-client.js";
import { XenStore } from "../../runtime/store/store.js";
import type { XenStoreOptions } from "../../runtime/store/store.js";

export interface StoreFixture {
  readonly store: XenStore;
  readonly toolstack: StoreClient;
  /** A client of an unprivileged domain whose home directory /local/domain/<id> it owns. */
  guest(domainId: number): StoreClient;
}

export function createStoreFixture(options: XenStoreOptions = {}): StoreFixture {
  const store = XenStore.open(options);
  const toolstack = StoreClient.connect(store, { domainId: 0, privileged: true });
  expectOk(toolstack.mkdir("/local/domain"));
  expectOk(toolstack.setPermissions("/local", [{ domainId: 0, access: "r" }]));
  expectOk(toolstack.setPermissions("/local/domain", [{ domainId: 0, access: "r" }]));
  return {
    store,
    toolstack,
    guest(domainId: number): StoreClient {
      const home = `/local/domain/${domainId}`;
      if (!toolstack.read(home).ok) {
        expectOk(toolstack.introduceDomain(domainId, 1000n + BigInt(domainId), 1));
        expectOk(toolstack.mkdir(home));
        expectOk(toolstack.setPermissions(home, [{ domainId, access: "n" }]));
      }
      return StoreClient.connect(store, { domainId, privileged: false });
    },
  };
}

/** The value of a successful result; fails the test with the error name otherwise. */
export function expectOk<T>(result: StoreResult<T>): T {
  if (!result.ok) throw new Error(`expected success, the store replied ${result.error}`);
  return result.value;
}

/** The error name of a failed result; fails the test if the request succeeded. */
export function errorOf<T>(result: StoreResult<T>): string {
  return result.ok ? "OK" : result.error;
}
