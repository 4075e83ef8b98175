// A two-domain program used by the execution tests, written once against DomainContext: the
// pinger owns a page and writes a counter, the ponger maps the page through a grant and echoes
// it, each side notifying the other over an event channel. Workers load the compiled copy.

import type { DomainContext, DomainProgram } from "../../../../runtime/execution/index.js";
import { isMainThread, threadId } from "node:worker_threads";

export type PingPongInput =
  | { readonly role: "ping"; readonly port: number; readonly frame: number; readonly rounds: number }
  | { readonly role: "pong"; readonly port: number; readonly granterId: number; readonly reference: number; readonly rounds: number };

export interface PingPongOutput {
  readonly rounds: number;
  readonly threadId: number;
  readonly onMainThread: boolean;
  readonly wakeUps: number;
}

async function ping(context: DomainContext, port: number, frame: number, rounds: number): Promise<PingPongOutput> {
  const words = new Int32Array(context.memory.buffer, context.memory.byteOffset + frame * 4096, 2);
  let wakeUps = 0;
  for (let round = 1; round <= rounds; round += 1) {
    Atomics.store(words, 0, round);
    const sent = context.notify(port);
    if (!sent.ok) throw new Error(`ping could not notify: ${sent.reason}`);
    // Events coalesce and can be spurious: re-check the shared state after every wake-up.
    while (Atomics.load(words, 1) !== round) {
      await context.waitForEvent(port);
      wakeUps += 1;
    }
  }
  return { rounds, threadId, onMainThread: isMainThread, wakeUps };
}

async function pong(context: DomainContext, port: number, granterId: number, reference: number, rounds: number): Promise<PingPongOutput> {
  const mapped = await context.hypercalls.mapGrant(granterId, reference, true);
  if (!mapped.ok) throw new Error(`pong could not map the page: ${mapped.reason}`);
  const words = new Int32Array(mapped.view.buffer, mapped.view.byteOffset, 2);
  let answered = 0;
  let wakeUps = 0;
  while (answered < rounds) {
    const request = Atomics.load(words, 0);
    if (request > answered) {
      Atomics.store(words, 1, request);
      answered = request;
      const sent = context.notify(port);
      if (!sent.ok) throw new Error(`pong could not notify: ${sent.reason}`);
    } else {
      await context.waitForEvent(port);
      wakeUps += 1;
    }
  }
  const unmapped = await context.hypercalls.unmapGrant(mapped.handle);
  if (!unmapped.ok) throw new Error(`pong could not unmap: ${unmapped.reason}`);
  return { rounds: answered, threadId, onMainThread: isMainThread, wakeUps };
}

export const domainProgram: DomainProgram<PingPongInput, PingPongOutput> = (context, input) =>
  input.role === "ping" ? ping(context, input.port, input.frame, input.rounds) : pong(context, input.port, input.granterId, input.reference, input.rounds);
