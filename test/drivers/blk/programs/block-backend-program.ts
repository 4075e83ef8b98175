// A worker-thread domain program: a block backend serving an in-memory disk through the store
// served over a BroadcastChannel, until its frontend has connected and closed again.

import { BlockBackend, MemoryDisk } from "../../../../drivers/blk/index.js";
import { BroadcastChannelConnectionStore, type ConnectionProblem } from "../../../../runtime/connection/index.js";
import type { DomainProgram } from "../../../../runtime/execution/index.js";

export interface BlockBackendProgramInput {
  readonly storeChannelName: string;
  readonly frontendPath: string;
  readonly backendPath: string;
  readonly frontendDomainId: number;
  readonly diskSectors: number;
}

export interface BlockBackendProgramOutput {
  readonly servedRequests: number;
  readonly abi: string;
  readonly problems: readonly ConnectionProblem[];
}

export const domainProgram: DomainProgram<BlockBackendProgramInput, BlockBackendProgramOutput> = async (context, input) => {
  const store = new BroadcastChannelConnectionStore(input.storeChannelName);
  const problems: ConnectionProblem[] = [];
  try {
    const backend = new BlockBackend(context, {
      store,
      frontendPath: input.frontendPath,
      backendPath: input.backendPath,
      frontendDomainId: input.frontendDomainId,
      disk: new MemoryDisk(input.diskSectors),
      onProblem: (problem) => problems.push(problem),
    });
    await backend.start();
    // The program's life is the connection's: it ends when the frontend has been served and left.
    while (!(backend.connection.currentPhase === "closed" && backend.connection.servedRequestCount > 0)) await context.sleep(2);
    return { servedRequests: backend.connection.servedRequestCount, abi: backend.abi, problems };
  } finally {
    store.close();
  }
};
