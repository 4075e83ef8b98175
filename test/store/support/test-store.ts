// The store the transport tests run against.
import type { StoreConnectionOpener } from "../../../runtime/store/connection-opener.js";
import { ProvisionalFakeStore } from "./provisional-fake-store.js";

export function openTestStore(): StoreConnectionOpener {
  return new ProvisionalFakeStore();
}
