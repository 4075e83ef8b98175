// BrokerStore over the store's typed in-process client (runtime/store/store-client.ts): maps
// its Xen error results to BrokerStoreError and runs transactions with EAGAIN retries.
import type { StorePermissionList } from "../store/permissions.js";
import type { StoreClient, StoreResult, StoreTransactionId } from "../store/store-client.js";
import { BrokerStoreError, type BrokerStore, type BrokerStoreOperations } from "./broker-store.js";

function valueOrThrow<T>(result: StoreResult<T>, operation: string, path: string): T {
  if (!result.ok) throw new BrokerStoreError(result.error, operation, path);
  return result.value;
}

/** ENOENT means "absent" for queries; every other error is a failure. */
function valueOrAbsent<T>(result: StoreResult<T>, operation: string, path: string): T | undefined {
  if (!result.ok && result.error === "ENOENT") return undefined;
  return valueOrThrow(result, operation, path);
}

class ClientOperations implements BrokerStoreOperations {
  constructor(
    private readonly client: StoreClient,
    private readonly transactionId: StoreTransactionId,
  ) {}

  read(path: string): string | undefined {
    return valueOrAbsent(this.client.readText(path, this.transactionId), "read", path);
  }
  write(path: string, value: string): void {
    valueOrThrow(this.client.write(path, value, this.transactionId), "write", path);
  }
  mkdir(path: string): void {
    valueOrThrow(this.client.mkdir(path, this.transactionId), "mkdir", path);
  }
  remove(path: string): void {
    valueOrAbsent(this.client.remove(path, this.transactionId), "rm", path);
  }
  directory(path: string): readonly string[] | undefined {
    return valueOrAbsent(this.client.directory(path, this.transactionId), "directory", path);
  }
  getPermissions(path: string): StorePermissionList | undefined {
    return valueOrAbsent(this.client.getPermissions(path, this.transactionId), "get-perms", path);
  }
  setPermissions(path: string, permissions: StorePermissionList): void {
    valueOrThrow(this.client.setPermissions(path, permissions, this.transactionId), "set-perms", path);
  }
}

export class StoreClientBrokerStore extends ClientOperations implements BrokerStore {
  private readonly storeClient: StoreClient;

  /** `client` should be privileged: the broker acts for the toolstack, as dom0 does. */
  constructor(client: StoreClient) {
    super(client, 0);
    this.storeClient = client;
  }

  transaction<T>(body: (operations: BrokerStoreOperations) => T): T {
    // The client aborts the transaction and rethrows when the body throws.
    const outcome = this.storeClient.transaction((transaction): StoreResult<T> => ({ ok: true, value: body(new ClientOperations(this.storeClient, transaction)) }));
    return valueOrThrow(outcome, "transaction", "/");
  }
}
