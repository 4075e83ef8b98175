// Entry module of a domain's worker thread (loaded from dist/ as compiled JavaScript): rebuilds
// the shared event-channel table and the domain's memory, imports the domain's program and
// runs it, then reports how it ended to the hypervisor's thread.

import { parentPort, workerData } from "node:worker_threads";
import { EventChannelTable } from "../hypervisor/index.js";
import type { DomainProgram } from "./domain-context.js";
import { SharedMemoryDomainContext } from "./shared-memory-domain-context.js";
import { createWorkerHypercallClient } from "./worker-hypercall-client.js";
import type { DomainWorkerData, DomainWorkerOutcome } from "./worker-messages.js";

const data = workerData as DomainWorkerData;

async function runProgram(): Promise<DomainWorkerOutcome> {
  try {
    const module = (await import(data.programModuleUrl)) as { domainProgram?: DomainProgram<unknown, unknown> };
    if (typeof module.domainProgram !== "function") {
      return { kind: "failed", message: `${data.programModuleUrl} does not export a domainProgram function` };
    }
    const context = new SharedMemoryDomainContext(
      data.domainId,
      data.eventTableSlot,
      new EventChannelTable(data.eventChannelTable),
      new Uint8Array(data.memoryBuffer),
      createWorkerHypercallClient(data.hypercallPort),
    );
    return { kind: "finished", output: await module.domainProgram(context, data.input) };
  } catch (error) {
    return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
  }
}

const outcome = await runProgram();
parentPort?.postMessage(outcome);
data.hypercallPort.close();
