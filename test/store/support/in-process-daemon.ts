// A socket server and the real core in the test process, on a temporary socket, for tests
// that need to look inside the store while clients talk to it over the socket.
import { join } from "node:path";
import { StoreSocketServer } from "../../../runtime/store/socket-server.js";
import { StoreSocketClient } from "../../../runtime/store/socket-client.js";
import type { StoreTransportLimits } from "../../../runtime/store/transport-limits.js";
import { XenStore } from "../../../runtime/store/store.js";
import { createScratchDirectory, removeScratchDirectory } from "./daemon-process.js";

export interface InProcessDaemon {
  readonly store: XenStore;
  readonly server: StoreSocketServer;
  readonly socketPath: string;
  readonly log: string[];
  connect(): Promise<StoreSocketClient>;
  stop(): Promise<void>;
}

export async function startInProcessDaemon(limits: Partial<StoreTransportLimits> = {}): Promise<InProcessDaemon> {
  const scratch = createScratchDirectory();
  const socketPath = join(scratch, "store.sock");
  const store = XenStore.open();
  const log: string[] = [];
  const server = new StoreSocketServer({ store, socketPath, limits, log: (line) => log.push(line) });
  await server.listen();
  const clients: StoreSocketClient[] = [];
  return {
    store,
    server,
    socketPath,
    log,
    connect: async () => {
      const client = await StoreSocketClient.connect(socketPath);
      clients.push(client);
      return client;
    },
    stop: async () => {
      for (const client of clients) client.close();
      await server.close();
      store.close();
      removeScratchDirectory(scratch);
    },
  };
}

/** Every node's parent exists: the tree has no orphans, whatever happened. */
export function findOrphanNodes(store: XenStore): string[] {
  const paths = new Set(store.listNodePaths());
  return [...paths].filter((path) => path !== "/" && !paths.has(path.slice(0, path.lastIndexOf("/")) || "/"));
}
