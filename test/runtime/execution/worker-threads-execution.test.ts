// The worker-threads execution: domains run on real worker threads sharing SharedArrayBuffer
// pages, and event-channel notifications cross threads through Atomics. Needs dist/ (tsc).
import { afterEach, describe, it, expect } from "vitest";
import { MessageChannel, threadId } from "node:worker_threads";
import { WorkerThreadsExecution } from "../../../runtime/execution/index.js";
import { serveWorkerHypercalls } from "../../../runtime/execution/worker-hypercall-server.js";
import { Hypervisor, PortState } from "../../../runtime/hypervisor/index.js";
import type { MapAndStampOutput } from "./programs/map-and-stamp-program.js";
import type { NotifyStormOutput } from "./programs/notify-storm-program.js";
import type { PingPongOutput } from "./programs/ping-pong-program.js";
import { domainProgram } from "./programs/ping-pong-program.js";
import { preparePingPong } from "./ping-pong-setup.js";

const compiledProgram = new URL("../../../dist/test/runtime/execution/programs/ping-pong-program.js", import.meta.url);
const compiledMapAndStamp = new URL("../../../dist/test/runtime/execution/programs/map-and-stamp-program.js", import.meta.url);
const compiledStorm = new URL("../../../dist/test/runtime/execution/programs/notify-storm-program.js", import.meta.url);
const executions: WorkerThreadsExecution[] = [];

function newExecution(): WorkerThreadsExecution {
  const execution = new WorkerThreadsExecution(new Hypervisor());
  executions.push(execution);
  return execution;
}

afterEach(async () => {
  await Promise.all(executions.splice(0).map((execution) => execution.terminateAll()));
});

describe("worker-threads execution", () => {
  it("runs both domains on their own worker threads and completes every round trip", async () => {
    const execution = newExecution();
    const { pingId, pongId, pingInput, pongInput } = preparePingPong(execution.hypervisor, 2000);
    const pong = execution.startDomain<PingPongOutput>(pongId, compiledProgram, pongInput);
    const ping = execution.startDomain<PingPongOutput>(pingId, compiledProgram, pingInput);
    const [pingOutput, pongOutput] = await Promise.all([ping.output, pong.output]);
    expect(pingOutput.rounds).toBe(2000);
    expect(pongOutput.rounds).toBe(2000);
    expect(pingOutput.onMainThread).toBe(false);
    expect(new Set([threadId, pingOutput.threadId, pongOutput.threadId]).size).toBe(3);
    // The worker's unmap hypercall reached the hypervisor: nothing stays mapped.
    expect(execution.hypervisor.findDomain(pongId)!.grantMappings.size).toBe(0);
  });

  it("wakes a waiter on the main thread when a worker notifies", async () => {
    const execution = newExecution();
    const { pingId, pongId, pingInput, pongInput } = preparePingPong(execution.hypervisor, 300);
    const pong = execution.startDomain<PingPongOutput>(pongId, compiledProgram, pongInput);
    const pingOutput = await domainProgram(execution.contextFor(pingId), pingInput);
    expect(pingOutput.onMainThread).toBe(true);
    expect((await pong.output).rounds).toBe(300);
  });

  it("hands events raised on a worker to hypervisor handlers on the main thread", async () => {
    const execution = newExecution();
    const { pingId, pongId, pingInput, pongInput } = preparePingPong(execution.hypervisor, 50);
    const ping = execution.startDomain<PingPongOutput>(pingId, compiledProgram, pingInput);
    // The main thread plays pong through a handler instead of a waiting loop.
    const pongContext = execution.contextFor(pongId);
    if (pongInput.role !== "pong") throw new Error("setup mismatch");
    const mapped = execution.hypervisor.mapGrant(pongId, pingId, pongInput.reference, true);
    if (!mapped.ok) throw new Error(mapped.reason);
    const words = new Int32Array(mapped.view.buffer, mapped.view.byteOffset, 2);
    let handled = 0;
    execution.hypervisor.onEvent(pongId, pongInput.port, () => {
      handled += 1;
      const request = Atomics.load(words, 0);
      if (request !== Atomics.load(words, 1)) {
        Atomics.store(words, 1, request);
        pongContext.notify(pongInput.port);
      }
    });
    const stopRelay = execution.relayEventsToHandlers(pongId);
    try {
      expect((await ping.output).rounds).toBe(50);
    } finally {
      stopRelay();
    }
    expect(handled).toBeGreaterThanOrEqual(50);
  });

  it("destroys a domain whose program is running on a worker and leaves the peer a clean state", async () => {
    const execution = newExecution();
    const { pingId, pongId, pingInput, pongInput } = preparePingPong(execution.hypervisor, 1_000_000);
    const pong = execution.startDomain<PingPongOutput>(pongId, compiledProgram, pongInput);
    // Wait until the worker's map hypercall has landed, so there is something to tear down.
    while (execution.hypervisor.findDomain(pongId)!.grantMappings.size === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const teardown = await execution.destroyDomain(pongId);
    expect(teardown).toMatchObject({ closedPorts: 1, unmappedForeignGrants: 1, revokedGrantEntries: 0 });
    await expect(pong.output).rejects.toThrow(/exited/);
    expect(execution.hypervisor.findDomain(pongId)).toBeUndefined();
    const pingDomain = execution.hypervisor.findDomain(pingId)!;
    expect(pingDomain.grantTable.isMapped(8)).toBe(false);
    expect(execution.hypervisor.endAccess(pingId, 8).ok).toBe(true);
    expect(execution.hypervisor.eventChannelTable.stateOf(pingDomain.eventTableSlot, pingInput.port)).toBe(PortState.unbound);
  });

  it("survives a worker notifying while the hypervisor closes and rebinds the channel underneath", async () => {
    const execution = newExecution();
    const hypervisor = execution.hypervisor;
    const sender = hypervisor.createDomain().id;
    const receiver = hypervisor.createDomain().id;
    const unbound = hypervisor.allocateUnboundPort(sender, receiver);
    if (!unbound.ok) throw new Error(unbound.reason);
    const storm = execution.startDomain<NotifyStormOutput>(sender, compiledStorm, { port: unbound.port, sends: 1_000_000 });
    let finished = false;
    void storm.output.finally(() => (finished = true)).catch(() => undefined);
    let rebinds = 0;
    while (!finished) {
      const bound = hypervisor.bindInterdomain(receiver, sender, unbound.port);
      if (!bound.ok) throw new Error(bound.reason);
      hypervisor.consumeEvent(receiver, bound.port);
      await new Promise((resolve) => setImmediate(resolve));
      hypervisor.closePort(receiver, bound.port);
      rebinds += 1;
    }
    const output = await storm.output;
    expect(output.refused).toBe(0);
    expect(output.raised + output.notRaised).toBe(1_000_000);
    expect(rebinds).toBeGreaterThan(0);
    expect(hypervisor.eventChannelTable.stateOf(hypervisor.findDomain(sender)!.eventTableSlot, unbound.port)).toBe(PortState.unbound);
  });

  it("maps a multi-page grant from a worker as one contiguous view of the granter's memory", async () => {
    const execution = newExecution();
    const hypervisor = execution.hypervisor;
    const granter = hypervisor.createDomain().id;
    const mapper = hypervisor.createDomain().id;
    const first = hypervisor.allocatePages(granter, 5) as number;
    const references = [1, 2, 3, 4].map((offset) => {
      const granted = hypervisor.grantAccess(granter, mapper, first + offset, false);
      if (!granted.ok) throw new Error(granted.reason);
      return granted.reference;
    });
    const stamped = execution.startDomain<MapAndStampOutput>(mapper, compiledMapAndStamp, { granterId: granter, references });
    expect(await stamped.output).toEqual({ viewBytes: 4 * 4096, refusal: undefined });
    const memory = hypervisor.findDomain(granter)!.memory.bytes;
    expect([0, 1, 2, 3, 4].map((offset) => memory[(first + offset) * 4096])).toEqual([0, 0xa0, 0xa1, 0xa2, 0xa3]);
    expect(hypervisor.findDomain(mapper)!.grantMappings.size).toBe(0);
    const gapped = execution.startDomain<MapAndStampOutput>(mapper, compiledMapAndStamp, { granterId: granter, references: [references[0], references[2]] });
    expect((await gapped.output).refusal).toMatch(/^-1: .*not contiguous/);
  });

  it("reports a program failure and a missing domainProgram as rejected output", async () => {
    const execution = newExecution();
    const { pongId, pongInput } = preparePingPong(execution.hypervisor, 1);
    if (pongInput.role !== "pong") throw new Error("setup mismatch");
    const wrongGrant = execution.startDomain(pongId, compiledProgram, { ...pongInput, reference: 999 });
    await expect(wrongGrant.output).rejects.toThrow(/pong could not map the page: reference 999/);
    const notAProgram = execution.startDomain(pongId, new URL("../../../dist/runtime/time/index.js", import.meta.url), undefined);
    await expect(notAProgram.output).rejects.toThrow(/does not export a domainProgram/);
  });
});

describe("worker hypercall server", () => {
  it("answers a hostile, malformed request with an error reply instead of crashing", async () => {
    const hypervisor = new Hypervisor();
    const domain = hypervisor.createDomain().id;
    const channel = new MessageChannel();
    serveWorkerHypercalls(hypervisor, domain, channel.port1);
    const replies: unknown[] = [];
    const received = new Promise<void>((resolve) => {
      channel.port2.on("message", (reply) => {
        replies.push(reply);
        if (replies.length === 3) resolve();
      });
    });
    channel.port2.postMessage({ requestId: 1, operation: "destroyDomain", args: [] });
    channel.port2.postMessage({ requestId: 2, operation: "copyGrant", args: [null, null, 4] });
    channel.port2.postMessage({ requestId: 3, operation: "allocatePages", args: [2] });
    await received;
    channel.port1.close();
    channel.port2.close();
    expect(replies).toEqual([
      { requestId: 1, ok: false, message: "malformed hypercall request (operation destroyDomain)" },
      expect.objectContaining({ requestId: 2, ok: false }),
      { requestId: 3, ok: true, result: 0 },
    ]);
  });
});
