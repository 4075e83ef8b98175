// The deterministic execution: every domain runs on the hypervisor's thread, event deliveries
// and timers are tasks of one seeded scheduler on a virtual clock, so a run replays exactly
// from its seed (tests, simulation).

import { Hypervisor, type DomainId, type DomainTeardown, type EventChannelResult, type EventSent, type HypervisorOptions } from "../hypervisor/index.js";
import { SeededScheduler } from "../time/index.js";
import type { DomainContext, DomainProgram, ExecutionKind } from "./domain-context.js";
import type { DomainHypercalls } from "./domain-hypercalls.js";
import { createDirectHypercalls } from "./direct-hypercalls.js";
import type { Execution } from "./execution.js";

export interface InProcessExecutionOptions {
  readonly seed: number;
  readonly hypervisor?: Omit<HypervisorOptions, "deliveryScheduler">;
  /** Record every scheduler step (label and virtual time) for replay comparisons. */
  readonly recordTrace?: boolean;
}

class InProcessDomainContext implements DomainContext {
  readonly execution: ExecutionKind = "in-process";
  readonly memory: Uint8Array;
  readonly hypercalls: DomainHypercalls;

  constructor(
    readonly domainId: DomainId,
    private readonly hypervisor: Hypervisor,
    private readonly scheduler: SeededScheduler,
  ) {
    const domain = hypervisor.findDomain(domainId);
    if (domain === undefined) throw new RangeError(`domain ${domainId} does not exist`);
    this.memory = domain.memory.bytes;
    this.hypercalls = createDirectHypercalls(hypervisor, domainId);
  }

  now(): number {
    return this.scheduler.clock.now();
  }

  sleep(milliseconds: number): Promise<void> {
    return this.scheduler.sleep(milliseconds);
  }

  notify(port: number): EventChannelResult<EventSent> {
    return this.hypervisor.sendEvent(this.domainId, port);
  }

  consumeEvent(port: number): boolean {
    return this.hypervisor.consumeEvent(this.domainId, port);
  }

  waitForEvent(port: number): Promise<void> {
    return this.hypervisor.waitForEvent(this.domainId, port);
  }
}

export class InProcessExecution implements Execution {
  readonly kind: ExecutionKind = "in-process";
  readonly scheduler: SeededScheduler;
  readonly hypervisor: Hypervisor;

  constructor(options: InProcessExecutionOptions) {
    this.scheduler = new SeededScheduler(options.seed, { recordTrace: options.recordTrace ?? false });
    this.hypervisor = new Hypervisor({ ...options.hypervisor, deliveryScheduler: this.scheduler });
  }

  contextFor(domainId: DomainId): DomainContext {
    return new InProcessDomainContext(domainId, this.hypervisor, this.scheduler);
  }

  /** Starts `program` for the domain as a scheduler task; the promise settles with its result. */
  runDomain<Input, Output>(domainId: DomainId, program: DomainProgram<Input, Output>, input: Input): Promise<Output> {
    const context = this.contextFor(domainId);
    return new Promise<Output>((resolve, reject) => {
      this.scheduler.schedule(() => {
        program(context, input).then(resolve, reject);
      }, `start-domain-${domainId}`);
    });
  }

  /**
   * Destroys the domain. Its program stops making progress: waits on its closed ports wake
   * spuriously and its further hypercalls are refused (the domain no longer exists).
   */
  async destroyDomain(domainId: DomainId): Promise<DomainTeardown | undefined> {
    return this.hypervisor.destroyDomain(domainId);
  }

  async resetDomain(domainId: DomainId): Promise<DomainTeardown | undefined> {
    return this.hypervisor.resetDomain(domainId);
  }

  /** Runs the scheduler until nothing is left to do; returns the number of steps. */
  run(maximumSteps?: number): Promise<number> {
    return this.scheduler.runUntilIdleAsync(maximumSteps);
  }
}
