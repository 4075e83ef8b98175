// The few store operations the broker needs, as a typed interface, so the broker's binding
// to the store is thin: the adapter over a store connection implements it.
import type { StorePermissionList } from "../store/permissions.js";

export type { StorePermissionEntry, StorePermissionList } from "../store/permissions.js";

/** A store request the store refused, with Xen's error name. */
export class BrokerStoreError extends Error {
  readonly errorName: string;
  readonly operation: string;
  readonly path: string;
  constructor(errorName: string, operation: string, path: string) {
    super(`store refused ${operation} ${path}: ${errorName}`);
    this.name = "BrokerStoreError";
    this.errorName = errorName;
    this.operation = operation;
    this.path = path;
  }
}

export interface BrokerStoreOperations {
  /** The value, or undefined when the node does not exist. */
  read(path: string): string | undefined;
  write(path: string, value: string): void;
  mkdir(path: string): void;
  /** Removes the node and its subtree; removing a missing node is not an error. */
  remove(path: string): void;
  /** Child names, or undefined when the node does not exist. */
  directory(path: string): readonly string[] | undefined;
  /** The permission list, or undefined when the node does not exist. */
  getPermissions(path: string): StorePermissionList | undefined;
  setPermissions(path: string, permissions: StorePermissionList): void;
}

export interface BrokerStore extends BrokerStoreOperations {
  /**
   * Runs `body` in one store transaction and commits it; retries (a bounded number of times)
   * when the commit fails with EAGAIN because a concurrent change touched what it read. If
   * `body` throws, the transaction is aborted and nothing is applied.
   */
  transaction<T>(body: (operations: BrokerStoreOperations) => T): T;
}
