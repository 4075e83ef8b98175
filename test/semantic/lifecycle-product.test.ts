import { describe, expect, it } from "vitest";
import { findNondeterministicTransitions, findStatesThatCannotClose, findUnreachableStates } from "../../compiler/semantic/lifecycle-graph.js";
import { describeProductPath, exploreLifecycleProduct } from "../../compiler/semantic/lifecycle-product.js";
import type { LifecycleMachineShape, LifecycleTransitionShape, PeerGuard } from "../../compiler/semantic/lifecycle-shapes.js";

const xenbusStates = ["Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed"];
const atLeast = (state: string): PeerGuard => ({ kind: "peer-state-in", states: xenbusStates.slice(xenbusStates.indexOf(state), 4) });
const step = (from: string, to: string, guard?: PeerGuard, publishes: string[] = []): LifecycleTransitionShape => ({ from, to, guard, publishes });
const teardown = (from: string): LifecycleTransitionShape => step(from, "Closing");

function machine(role: string, transitions: LifecycleTransitionShape[]): LifecycleMachineShape {
  return { role, states: xenbusStates, initialState: "Initialising", closedState: "Closed", transitions };
}

const blockBackend = machine("backend", [
  step("Initialising", "InitWait", undefined, ["feature-barrier"]),
  step("InitWait", "Connected", { kind: "peer-key-published", key: "ring-ref" }, ["sectors"]),
  teardown("Initialising"), teardown("InitWait"), teardown("Connected"),
  step("Closing", "Closed"),
]);
const blockFrontend = machine("frontend", [
  step("Initialising", "Initialised", { kind: "all", operands: [atLeast("InitWait"), { kind: "peer-key-published", key: "feature-barrier" }] }, ["ring-ref"]),
  step("Initialised", "Connected", { kind: "peer-state-in", states: ["Connected"] }),
  teardown("Initialising"), teardown("Initialised"), teardown("Connected"),
  step("Closing", "Closed"),
]);

describe("lifecycle product automaton", () => {
  it("finds no deadlock in a block-style handshake with teardown", () => {
    const exploration = exploreLifecycleProduct([blockFrontend, blockBackend]);
    expect(exploration.truncated).toBe(false);
    expect(exploration.exploredStates).toBeGreaterThan(5);
    expect(exploration.deadlocks).toEqual([]);
  });

  it("reports a circular wait with the shortest path that leads to it", () => {
    const waitsForConnected = machine("frontend", [
      step("Initialising", "Initialised", { kind: "peer-state-in", states: ["Connected"] }),
      step("Initialised", "Closed"),
    ]);
    const waitsForInitialised = machine("backend", [
      step("Initialising", "InitWait"),
      step("InitWait", "Connected", { kind: "peer-state-in", states: ["Initialised"] }),
      step("Connected", "Closed"),
    ]);
    const exploration = exploreLifecycleProduct([waitsForConnected, waitsForInitialised]);
    expect(exploration.deadlocks).toHaveLength(1);
    const [deadlock] = exploration.deadlocks;
    expect(deadlock?.state.states).toEqual(["Initialising", "InitWait"]);
    expect(describeProductPath([waitsForConnected, waitsForInitialised], deadlock?.path ?? [])).toEqual(["backend: Initialising -> InitWait"]);
  });

  it("waits on a key the peer never publishes: a deadlock", () => {
    const frontend = machine("frontend", [step("Initialising", "Closed", { kind: "peer-key-published", key: "never" })]);
    const backend = machine("backend", [step("Initialising", "Closed")]);
    const exploration = exploreLifecycleProduct([frontend, backend]);
    expect(exploration.deadlocks.map((deadlock) => deadlock.state.states)).toEqual([["Initialising", "Closed"]]);
  });

  it("stops at the state bound and says so", () => {
    const exploration = exploreLifecycleProduct([blockFrontend, blockBackend], 3);
    expect(exploration.truncated).toBe(true);
    expect(exploration.exploredStates).toBe(3);
  });
});

describe("single-machine lifecycle checks", () => {
  it("finds unreachable states and states that cannot reach Closed", () => {
    const broken = machine("frontend", [step("Initialising", "InitWait"), step("InitWait", "Connected"), step("Initialised", "Closed")]);
    expect(findUnreachableStates(broken)).toEqual(["Initialised", "Closing", "Closed"]);
    expect(findStatesThatCannotClose(broken)).toEqual(["Initialising", "InitWait", "Connected"]);
    expect(findUnreachableStates(blockBackend)).toEqual(["Initialised"]);
    expect(findStatesThatCannotClose(blockBackend)).toEqual([]);
  });

  it("reports guarded transitions that can fire together towards different states", () => {
    const ambiguous = machine("frontend", [
      step("Initialising", "Initialised", atLeast("InitWait")),
      step("Initialising", "Connected", { kind: "peer-state-in", states: ["Connected"] }),
      teardown("Initialising"),
    ]);
    const pairs = findNondeterministicTransitions(ambiguous, xenbusStates);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]?.witnessPeerState).toBe("Connected");
    expect(findNondeterministicTransitions(blockFrontend, xenbusStates)).toEqual([]);
  });
});
