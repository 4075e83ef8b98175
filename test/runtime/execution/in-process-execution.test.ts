// The in-process execution: the same ping-pong program runs on the seeded scheduler, finishes,
// and replays the identical trace from the same seed.
import { describe, it, expect } from "vitest";
import { InProcessExecution } from "../../../runtime/execution/index.js";
import { domainProgram } from "./programs/ping-pong-program.js";
import { preparePingPong } from "./ping-pong-setup.js";

async function runPingPong(seed: number): Promise<{ trace: string[]; rounds: number[]; mappingsLeft: number }> {
  const execution = new InProcessExecution({ seed, recordTrace: true });
  const { pingId, pongId, pingInput, pongInput } = preparePingPong(execution.hypervisor, 20);
  const pinging = execution.runDomain(pingId, domainProgram, pingInput);
  const ponging = execution.runDomain(pongId, domainProgram, pongInput);
  await execution.run();
  const outputs = await Promise.all([pinging, ponging]);
  return {
    trace: execution.scheduler.trace.map((entry) => `${entry.timeMilliseconds}:${entry.label}`),
    rounds: outputs.map((output) => output.rounds),
    mappingsLeft: execution.hypervisor.findDomain(pongId)!.grantMappings.size,
  };
}

describe("in-process execution", () => {
  it("runs a two-domain exchange to completion on the seeded scheduler", async () => {
    const run = await runPingPong(5);
    expect(run.rounds).toEqual([20, 20]);
    expect(run.mappingsLeft).toBe(0);
    expect(run.trace.filter((entry) => entry.endsWith("event-delivery")).length).toBeGreaterThanOrEqual(20);
  });

  it("replays exactly the same trace from the same seed", async () => {
    const first = await runPingPong(77);
    const second = await runPingPong(77);
    expect(second.trace).toEqual(first.trace);
  });

  it("gives the program a virtual clock that only the scheduler moves", async () => {
    const execution = new InProcessExecution({ seed: 1 });
    const domain = execution.hypervisor.createDomain().id;
    const times = execution.runDomain(
      domain,
      async (context) => {
        const before = context.now();
        await context.sleep(250);
        return [before, context.now()];
      },
      undefined,
    );
    await execution.run();
    expect(await times).toEqual([0, 250]);
  });
});
