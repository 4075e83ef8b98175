// Sets up and runs the two-worker blkif exchange: a hypervisor with a frontend and a backend
// domain, the ring page and two data pages granted by the frontend, an interdomain event
// channel, and each domain's program (bench/programs/blkif-exchange-peer) on its own worker
// thread. Used by bench/monitor-workers.bench.ts and by its correctness test.

import { WorkerThreadsExecution } from "../../runtime/execution/index.js";
import { Hypervisor } from "../../runtime/hypervisor/index.js";
import type { BlkifExchangePeerInput, BlkifExchangePeerOutput, BlkifExchangePhase } from "../programs/blkif-exchange-peer.js";

export interface TwoWorkerBlkifExchangeOptions {
  readonly phases: readonly BlkifExchangePhase[];
  /** Requests the frontend keeps in flight (1..32). */
  readonly window: number;
  readonly tamperRequestAt?: number;
  readonly tamperResponseAt?: number;
}

export interface TwoWorkerBlkifExchangeResult {
  readonly frontend: BlkifExchangePeerOutput;
  readonly backend: BlkifExchangePeerOutput;
  readonly frontendThreadId: number;
  readonly backendThreadId: number;
}

/**
 * Workers load JavaScript only: from dist/ the program sits beside this folder; when this module
 * runs from its TypeScript source (under vitest) the compiled program in dist/ is used.
 */
function resolvePeerProgramUrl(): URL {
  if (!import.meta.url.endsWith(".ts")) return new URL("../programs/blkif-exchange-peer.js", import.meta.url);
  return new URL("../../dist/bench/programs/blkif-exchange-peer.js", import.meta.url);
}

function requireOk<T extends { readonly ok: boolean }>(result: T, what: string): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(`${what} failed: ${(result as { readonly reason?: string }).reason ?? "no reason given"}`);
  return result as Extract<T, { ok: true }>;
}

export async function runTwoWorkerBlkifExchange(options: TwoWorkerBlkifExchangeOptions): Promise<TwoWorkerBlkifExchangeResult> {
  const hypervisor = new Hypervisor();
  const execution = new WorkerThreadsExecution(hypervisor);
  try {
    hypervisor.createDomain({ id: 0, privileged: true, memoryFrames: 16 });
    const backendDomainId = hypervisor.createDomain({ memoryFrames: 16 }).id;
    const frontendDomainId = hypervisor.createDomain({ memoryFrames: 16 }).id;
    const ringFrame = hypervisor.allocatePages(frontendDomainId);
    if (ringFrame === undefined) throw new Error("the frontend domain has no free page for its ring");
    const ringReference = requireOk(hypervisor.grantAccess(frontendDomainId, backendDomainId, ringFrame, false), "granting the ring").reference;
    const dataReferences: number[] = [];
    for (let page = 0; page < 2; page += 1) {
      const frame = hypervisor.allocatePages(frontendDomainId);
      if (frame === undefined) throw new Error("the frontend domain has no free data page");
      dataReferences.push(requireOk(hypervisor.grantAccess(frontendDomainId, backendDomainId, frame, false), "granting a data page").reference);
    }
    const frontendPort = requireOk(hypervisor.allocateUnboundPort(frontendDomainId, backendDomainId), "allocating the event channel").port;
    const backendPort = requireOk(hypervisor.bindInterdomain(backendDomainId, frontendDomainId, frontendPort), "binding the event channel").port;
    // Bind leaves an event pending for the binder; clear it here so every event either side
    // sees was sent by its peer (a backend clearing it itself could swallow the first request's).
    hypervisor.consumeEvent(backendDomainId, backendPort);
    const common = { frontendDomainId, backendDomainId, dataReferences, phases: options.phases };
    const program = resolvePeerProgramUrl();
    const backendInput: BlkifExchangePeerInput = {
      ...common,
      role: "backend",
      port: backendPort,
      ringReference,
      ...(options.tamperResponseAt === undefined ? {} : { tamperResponseAt: options.tamperResponseAt }),
    };
    const frontendInput: BlkifExchangePeerInput = {
      ...common,
      role: "frontend",
      port: frontendPort,
      ringFrame,
      window: options.window,
      ...(options.tamperRequestAt === undefined ? {} : { tamperRequestAt: options.tamperRequestAt }),
    };
    const backend = execution.startDomain<BlkifExchangePeerOutput>(backendDomainId, program, backendInput);
    const frontend = execution.startDomain<BlkifExchangePeerOutput>(frontendDomainId, program, frontendInput);
    const [frontendOutput, backendOutput] = await Promise.all([frontend.output, backend.output]);
    return { frontend: frontendOutput, backend: backendOutput, frontendThreadId: frontend.threadId, backendThreadId: backend.threadId };
  } finally {
    await execution.terminateAll();
  }
}
