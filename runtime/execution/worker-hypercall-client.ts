// The worker side of hypercalls: each DomainHypercalls method posts a request on the message
// port and resolves with the hypervisor thread's reply. Views in replies arrive over the same
// SharedArrayBuffers (structured clone shares them), so a mapped grant is real shared memory.

import type { MessagePort } from "node:worker_threads";
import type { DomainHypercalls, DomainHypercallName } from "./domain-hypercalls.js";
import { domainHypercallNames } from "./domain-hypercalls.js";
import type { HypercallReply, HypercallRequest } from "./worker-messages.js";

export function createWorkerHypercallClient(port: MessagePort): DomainHypercalls {
  let nextRequestId = 1;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  port.on("message", (reply: HypercallReply) => {
    const entry = waiting.get(reply.requestId);
    if (entry === undefined) return;
    waiting.delete(reply.requestId);
    if (reply.ok) entry.resolve(reply.result);
    else entry.reject(new Error(reply.message));
  });
  // The port must not keep the worker alive on its own once the program is done.
  port.unref();
  const call = (operation: DomainHypercallName, args: readonly unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const requestId = nextRequestId;
      nextRequestId += 1;
      waiting.set(requestId, { resolve, reject });
      const request: HypercallRequest = { requestId, operation, args };
      port.ref();
      port.postMessage(request);
    }).finally(() => {
      if (waiting.size === 0) port.unref();
    });
  const client: Partial<Record<DomainHypercallName, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const name of domainHypercallNames) client[name] = (...args: unknown[]) => call(name, args);
  return client as unknown as DomainHypercalls;
}
