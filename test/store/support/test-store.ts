// The store the transport tests run against: the real core, in memory.
import { XenStore, type XenStoreOptions } from "../../../runtime/store/store.js";

export function openTestStore(options: XenStoreOptions = {}): XenStore {
  return XenStore.open(options);
}
