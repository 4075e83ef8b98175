// The concurrent execution: each domain may run its program on its own worker thread. Pages
// are the domains' SharedArrayBuffers, event channels the shared Atomics table, and
// hypercalls travel over a message port to the hypervisor, which stays on this thread.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker } from "node:worker_threads";
import { Hypervisor, type DomainId, type DomainTeardown } from "../hypervisor/index.js";
import { createDirectHypercalls } from "./direct-hypercalls.js";
import type { ExecutionKind } from "./domain-context.js";
import type { Execution } from "./execution.js";
import { SharedMemoryDomainContext } from "./shared-memory-domain-context.js";
import { serveWorkerHypercalls } from "./worker-hypercall-server.js";
import type { DomainWorkerData, DomainWorkerOutcome } from "./worker-messages.js";

export interface WorkerThreadsExecutionOptions {
  /** Overrides where the compiled worker entry module is (see resolveWorkerEntryUrl). */
  readonly workerEntryUrl?: URL;
}

export interface DomainWorker<Output> {
  readonly domainId: DomainId;
  readonly threadId: number;
  /** Settles with the program's result, or rejects with its failure or the worker's crash. */
  readonly output: Promise<Output>;
  terminate(): Promise<void>;
}

/**
 * Workers load JavaScript only. From dist/ the entry sits beside this module; when this module
 * runs from its TypeScript source (under vitest), the compiled entry in dist/ is used, which
 * is why tests run after `tsc`.
 */
export function resolveWorkerEntryUrl(): URL {
  const beside = new URL("./worker-entry.js", import.meta.url);
  if (!import.meta.url.endsWith(".ts")) return beside;
  return new URL("../../dist/runtime/execution/worker-entry.js", import.meta.url);
}

export class WorkerThreadsExecution implements Execution {
  readonly kind: ExecutionKind = "worker-threads";
  readonly hypervisor: Hypervisor;
  private readonly workerEntryUrl: URL;
  private readonly running = new Set<Worker>();
  private readonly workersByDomain = new Map<DomainId, Set<Worker>>();

  constructor(hypervisor: Hypervisor = new Hypervisor(), options: WorkerThreadsExecutionOptions = {}) {
    this.hypervisor = hypervisor;
    this.workerEntryUrl = options.workerEntryUrl ?? resolveWorkerEntryUrl();
  }

  /** A context for a domain whose code runs on this thread, with the same Atomics data plane. */
  contextFor(domainId: DomainId): SharedMemoryDomainContext {
    const domain = this.requireDomain(domainId);
    return new SharedMemoryDomainContext(domainId, domain.eventTableSlot, this.hypervisor.eventChannelTable, domain.memory.bytes, createDirectHypercalls(this.hypervisor, domainId));
  }

  /**
   * Runs the `domainProgram` export of `programModuleUrl` (a compiled .js module) for the
   * domain on a new worker thread; `input` and the output must be structured-cloneable.
   */
  startDomain<Output>(domainId: DomainId, programModuleUrl: URL, input: unknown): DomainWorker<Output> {
    const domain = this.requireDomain(domainId);
    if (!existsSync(fileURLToPath(this.workerEntryUrl))) {
      throw new Error(`worker entry ${fileURLToPath(this.workerEntryUrl)} is missing; run \`npx tsc -p .\` to build dist/ first`);
    }
    const channel = new MessageChannel();
    serveWorkerHypercalls(this.hypervisor, domainId, channel.port1);
    const workerData: DomainWorkerData = {
      domainId,
      eventTableSlot: domain.eventTableSlot,
      eventChannelTable: this.hypervisor.eventChannelTableLayout,
      memoryBuffer: domain.memory.buffer,
      programModuleUrl: programModuleUrl.href,
      input,
      hypercallPort: channel.port2,
    };
    const worker = new Worker(this.workerEntryUrl, { workerData, transferList: [channel.port2] });
    this.running.add(worker);
    const domainWorkers = this.workersByDomain.get(domainId) ?? new Set<Worker>();
    domainWorkers.add(worker);
    this.workersByDomain.set(domainId, domainWorkers);
    const output = new Promise<Output>((resolve, reject) => {
      worker.once("message", (outcome: DomainWorkerOutcome) => {
        if (outcome.kind === "finished") resolve(outcome.output as Output);
        else reject(new Error(`domain ${domainId}'s program failed: ${outcome.message}`));
      });
      worker.once("error", (error) => reject(new Error(`domain ${domainId}'s worker crashed: ${error.message}`)));
      worker.once("exit", (code) => reject(new Error(`domain ${domainId}'s worker exited with code ${code} before reporting`)));
    }).finally(() => {
      channel.port1.close();
      this.running.delete(worker);
      domainWorkers.delete(worker);
    });
    // Callers may never look at `output` (e.g. after terminate); do not let that be unhandled.
    output.catch(() => undefined);
    return {
      domainId,
      threadId: worker.threadId,
      output,
      terminate: async () => {
        await worker.terminate();
      },
    };
  }

  /**
   * Hands events that worker threads raise for `domainId` to the hypervisor's handlers and
   * waiters on this thread (hypervisor.onEvent / waitForEvent). Returns the stop function.
   */
  relayEventsToHandlers(domainId: DomainId): () => void {
    const domain = this.requireDomain(domainId);
    const table = this.hypervisor.eventChannelTable;
    let stopped = false;
    const loop = async (): Promise<void> => {
      while (!stopped) {
        const observed = table.readWakeSequence(domain.eventTableSlot);
        this.hypervisor.deliverPendingFromOtherThreads();
        await table.waitForChangeAsync(domain.eventTableSlot, observed, 250);
      }
    };
    void loop();
    return () => {
      stopped = true;
    };
  }

  /**
   * Destroys a domain whose code may be running here: its workers are terminated first (a
   * destroyed domain runs nothing), then the hypervisor tears it down the Xen way.
   */
  async destroyDomain(domainId: DomainId): Promise<DomainTeardown | undefined> {
    await this.terminateDomainWorkers(domainId);
    return this.hypervisor.destroyDomain(domainId);
  }

  /** Resets a domain (the policer's remedy): its workers stop, its resources are torn down. */
  async resetDomain(domainId: DomainId): Promise<DomainTeardown | undefined> {
    await this.terminateDomainWorkers(domainId);
    return this.hypervisor.resetDomain(domainId);
  }

  private async terminateDomainWorkers(domainId: DomainId): Promise<void> {
    const workers = [...(this.workersByDomain.get(domainId) ?? [])];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  /** Terminates every worker still running (test teardown, shutdown). */
  async terminateAll(): Promise<void> {
    await Promise.all([...this.running].map((worker) => worker.terminate()));
  }

  private requireDomain(domainId: DomainId): NonNullable<ReturnType<Hypervisor["findDomain"]>> {
    const domain = this.hypervisor.findDomain(domainId);
    if (domain === undefined) throw new RangeError(`domain ${domainId} does not exist`);
    return domain;
  }
}
