// The seeded scheduler: a run replays exactly from its seed, different seeds explore different
// interleavings, and timers fire in virtual-time order without touching the wall clock.
import { describe, it, expect } from "vitest";
import { SeededRandom, SeededScheduler, VirtualClock } from "../../../runtime/time/index.js";

/** Three producers that each reschedule themselves a few times, plus timers: a small busy world. */
function runWorld(seed: number): string[] {
  const scheduler = new SeededScheduler(seed, { recordTrace: true });
  for (const name of ["a", "b", "c"]) {
    let remaining = 4;
    const step = (): void => {
      remaining -= 1;
      if (remaining > 0) scheduler.schedule(step, `${name}${remaining}`);
    };
    scheduler.schedule(step, `${name}4`);
  }
  scheduler.setTimer(5, () => scheduler.schedule(() => undefined, "late"), "timer-5");
  scheduler.runUntilIdle();
  return scheduler.trace.map((entry) => `${entry.timeMilliseconds}:${entry.label}`);
}

describe("seeded scheduler", () => {
  it("replays the same trace from the same seed", () => {
    expect(runWorld(1234)).toEqual(runWorld(1234));
  });

  it("explores different interleavings under different seeds", () => {
    const traces = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => runWorld(seed).join(",")));
    expect(traces.size).toBeGreaterThan(1);
  });

  it("keeps each task's own order while interleaving tasks", () => {
    const trace = runWorld(99);
    const ofA = trace.filter((entry) => entry.includes(":a"));
    expect(ofA).toEqual(["0:a4", "0:a3", "0:a2", "0:a1"]);
    expect(trace.slice(-2)).toEqual(["5:timer-5", "5:late"]);
  });

  it("fires timers in due order (ties in creation order) and moves the virtual clock to each", () => {
    const scheduler = new SeededScheduler(3);
    const fired: string[] = [];
    scheduler.setTimer(30, () => fired.push(`x@${scheduler.clock.now()}`));
    scheduler.setTimer(10, () => fired.push(`y@${scheduler.clock.now()}`));
    scheduler.setTimer(10, () => fired.push(`z@${scheduler.clock.now()}`));
    const cancelled = scheduler.setTimer(20, () => fired.push("cancelled"));
    cancelled.cancel();
    scheduler.runUntilIdle();
    expect(fired).toEqual(["y@10", "z@10", "x@30"]);
    expect(scheduler.hasWork).toBe(false);
  });

  it("runs until a virtual deadline and leaves later timers pending", () => {
    const scheduler = new SeededScheduler(3);
    const fired: number[] = [];
    scheduler.setTimer(10, () => fired.push(10));
    scheduler.setTimer(50, () => fired.push(50));
    scheduler.runUntil(20);
    expect(fired).toEqual([10]);
    expect(scheduler.clock.now()).toBe(20);
    expect(scheduler.hasWork).toBe(true);
  });

  it("lets async code sleep in virtual time, interleaved deterministically", async () => {
    const order = async (seed: number): Promise<string[]> => {
      const scheduler = new SeededScheduler(seed);
      const log: string[] = [];
      const worker = async (name: string, delay: number): Promise<void> => {
        for (let round = 0; round < 3; round += 1) {
          await scheduler.sleep(delay);
          log.push(`${name}${round}@${scheduler.clock.now()}`);
        }
      };
      void worker("p", 3);
      void worker("q", 2);
      await scheduler.runUntilIdleAsync();
      return log;
    };
    const first = await order(11);
    expect(first).toEqual(await order(11));
    expect(first).toEqual(["q0@2", "p0@3", "q1@4", "p1@6", "q2@6", "p2@9"]);
  });
});

describe("virtual clock and seeded random", () => {
  it("refuses to move the clock backwards", () => {
    const clock = new VirtualClock(5);
    clock.advanceBy(5);
    expect(clock.now()).toBe(10);
    expect(() => clock.advanceTo(9)).toThrow(RangeError);
  });

  it("produces the same sequence from the same seed and stays within bounds", () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const fromA = Array.from({ length: 100 }, () => a.nextBelow(7));
    expect(fromA).toEqual(Array.from({ length: 100 }, () => b.nextBelow(7)));
    expect(fromA.every((value) => value >= 0 && value < 7)).toBe(true);
    expect(new Set(fromA).size).toBe(7);
    expect(new SeededRandom(43).nextUint32()).not.toBe(new SeededRandom(42).nextUint32());
  });
});
