// A domain context on the hypervisor's default microtask delivery: both ends of a connection
// share this thread without a scheduler between them and without spinning, so the driver
// benchmarks measure the library's cost.
import { performance } from "node:perf_hooks";
import { createDirectHypercalls, type DomainContext } from "../../runtime/execution/index.js";
import type { Hypervisor } from "../../runtime/hypervisor/index.js";

export function createMicrotaskContext(hypervisor: Hypervisor, domainId: number): DomainContext {
  const domain = hypervisor.findDomain(domainId);
  if (domain === undefined) throw new RangeError(`domain ${domainId} does not exist`);
  return {
    domainId,
    execution: "in-process",
    memory: domain.memory.bytes,
    hypercalls: createDirectHypercalls(hypervisor, domainId),
    now: () => performance.now(),
    sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
    notify: (port) => hypervisor.sendEvent(domainId, port),
    consumeEvent: (port) => hypervisor.consumeEvent(domainId, port),
    waitForEvent: (port) => hypervisor.waitForEvent(domainId, port),
  };
}
