// Benchmark program for one domain of an event-channel round trip across two worker threads:
// the initiator notifies and waits for the answer, the responder waits and answers. Waiting
// is either the blocking form (adaptive spin, then Atomics.wait) or pure polling.

import type { DomainProgram, SharedMemoryDomainContext } from "../../runtime/execution/index.js";

export interface EventChannelPeerInput {
  readonly role: "initiator" | "responder";
  readonly port: number;
  readonly rounds: number;
  readonly waiting: "blocking" | "polling";
}

export interface EventChannelPeerOutput {
  readonly elapsedMilliseconds: number;
  readonly rounds: number;
}

function waitOnce(context: SharedMemoryDomainContext, port: number, waiting: EventChannelPeerInput["waiting"]): void {
  if (waiting === "polling") {
    while (!context.consumeEvent(port)) {
      // Polling: nothing to do but look again.
    }
    return;
  }
  if (!context.waitForEventBlocking(port, 10_000)) throw new Error("no event within 10 s");
}

export const domainProgram: DomainProgram<EventChannelPeerInput, EventChannelPeerOutput> = async (context, input) => {
  // The host cleared the pending-on-bind event before starting either side, so every event
  // a side sees here was sent by its peer.
  const shared = context as SharedMemoryDomainContext;
  if (input.role === "responder") {
    for (let round = 0; round < input.rounds; round += 1) {
      waitOnce(shared, input.port, input.waiting);
      shared.notify(input.port);
    }
    return { elapsedMilliseconds: 0, rounds: input.rounds };
  }
  // Give the responder a moment to start before the clock runs.
  await context.sleep(20);
  const started = performance.now();
  for (let round = 0; round < input.rounds; round += 1) {
    shared.notify(input.port);
    waitOnce(shared, input.port, input.waiting);
  }
  return { elapsedMilliseconds: performance.now() - started, rounds: input.rounds };
};
