// Public entry of the two executions behind one DomainContext API: in-process (virtual clock,
// seeded scheduler) and worker threads (shared memory, Atomics).

export type { DomainContext, DomainProgram, ExecutionKind } from "./domain-context.js";
export type { Execution } from "./execution.js";
export { domainHypercallNames, type DomainHypercalls, type DomainHypercallName } from "./domain-hypercalls.js";
export { createDirectHypercalls } from "./direct-hypercalls.js";
export { AdaptiveSpin, defaultAdaptiveSpinLimits, type AdaptiveSpinLimits } from "./adaptive-spin.js";
export { SharedMemoryDomainContext } from "./shared-memory-domain-context.js";
export { InProcessExecution, type InProcessExecutionOptions } from "./in-process-execution.js";
export { WorkerThreadsExecution, resolveWorkerEntryUrl, type DomainWorker, type WorkerThreadsExecutionOptions } from "./worker-threads-execution.js";
