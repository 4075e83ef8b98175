// A worker-thread domain program: a block frontend that connects through the store served
// over a BroadcastChannel, runs the mixed workload against its own reference disk, and closes.

import { BlockFrontend, type BlockAbiName } from "../../../../drivers/blk/index.js";
import { BroadcastChannelConnectionStore, type ConnectionProblem } from "../../../../runtime/connection/index.js";
import type { DomainProgram } from "../../../../runtime/execution/index.js";
import { runMixedBlockWorkload, type MixedWorkloadCounts } from "../mixed-block-workload.js";

export interface BlockFrontendProgramInput {
  readonly storeChannelName: string;
  readonly frontendPath: string;
  readonly backendPath: string;
  readonly backendDomainId: number;
  readonly abi: BlockAbiName;
  readonly requestCount: number;
  readonly seed: number;
  readonly diskSectors: number;
}

export interface BlockFrontendProgramOutput {
  readonly counts: MixedWorkloadCounts;
  readonly sectors: number;
  readonly problems: readonly ConnectionProblem[];
}

export const domainProgram: DomainProgram<BlockFrontendProgramInput, BlockFrontendProgramOutput> = async (context, input) => {
  const store = new BroadcastChannelConnectionStore(input.storeChannelName);
  const problems: ConnectionProblem[] = [];
  try {
    const frontend = new BlockFrontend(context, {
      store,
      frontendPath: input.frontendPath,
      backendPath: input.backendPath,
      backendDomainId: input.backendDomainId,
      abi: input.abi,
      onProblem: (problem) => problems.push(problem),
    });
    const properties = await frontend.connect();
    const counts = await runMixedBlockWorkload(frontend, { total: input.requestCount, window: 24, seed: input.seed, diskSectors: input.diskSectors }, (promise) => promise);
    await frontend.close();
    return { counts, sectors: properties.sectors, problems };
  } finally {
    store.close();
  }
};
