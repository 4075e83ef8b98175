// The hypervisor-thread side of a worker's hypercalls: checks each request's shape (the worker
// may be hostile), performs it as that domain and replies. A malformed request gets an error
// reply, never a crash of the hypervisor's thread.

import type { MessagePort } from "node:worker_threads";
import type { DomainId, Hypervisor } from "../hypervisor/index.js";
import { createDirectHypercalls } from "./direct-hypercalls.js";
import { domainHypercallNames, type DomainHypercallName } from "./domain-hypercalls.js";
import type { HypercallReply } from "./worker-messages.js";

export function serveWorkerHypercalls(hypervisor: Hypervisor, domainId: DomainId, port: MessagePort): void {
  const direct = createDirectHypercalls(hypervisor, domainId) as unknown as Record<DomainHypercallName, (...args: unknown[]) => Promise<unknown>>;
  const allowed = new Set<string>(domainHypercallNames);
  port.on("message", (request: unknown) => {
    void answer(request).then((reply) => {
      if (reply !== undefined) port.postMessage(reply);
    });
  });

  async function answer(request: unknown): Promise<HypercallReply | undefined> {
    if (typeof request !== "object" || request === null) return undefined;
    const { requestId, operation, args } = request as { requestId?: unknown; operation?: unknown; args?: unknown };
    if (typeof requestId !== "number") return undefined;
    if (typeof operation !== "string" || !allowed.has(operation) || !Array.isArray(args)) {
      return { requestId, ok: false, message: `malformed hypercall request (operation ${String(operation)})` };
    }
    try {
      const result = await direct[operation as DomainHypercallName](...(args as unknown[]));
      return { requestId, ok: true, result };
    } catch (error) {
      return { requestId, ok: false, message: `hypercall ${operation} rejected its arguments: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
