// Checks on one role's state machine taken alone, ignoring guards: which states the initial
// state cannot reach, which states cannot reach the closed state, and which pairs of guarded
// transitions out of one state can fire on the same peer situation but lead to different states.
import { evaluatePeerGuard, type LifecycleMachineShape, type LifecycleTransitionShape, type PeerGuard } from "./lifecycle-shapes.js";

function reachableFrom(start: string, edges: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const target of edges.get(next) ?? []) {
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return seen;
}

function buildEdges(machine: LifecycleMachineShape, reverse: boolean): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const transition of machine.transitions) {
    const [from, to] = reverse ? [transition.to, transition.from] : [transition.from, transition.to];
    const list = edges.get(from) ?? [];
    list.push(to);
    edges.set(from, list);
  }
  return edges;
}

export function findUnreachableStates(machine: LifecycleMachineShape): readonly string[] {
  const reachable = reachableFrom(machine.initialState, buildEdges(machine, false));
  return machine.states.filter((state) => !reachable.has(state));
}

/** States from which no path leads to the closed state (a role stuck there can never tear down). */
export function findStatesThatCannotClose(machine: LifecycleMachineShape): readonly string[] {
  const canClose = reachableFrom(machine.closedState, buildEdges(machine, true));
  const reachable = reachableFrom(machine.initialState, buildEdges(machine, false));
  return machine.states.filter((state) => reachable.has(state) && !canClose.has(state));
}

export interface NondeterministicPair {
  readonly first: LifecycleTransitionShape;
  readonly second: LifecycleTransitionShape;
  /** A peer state in which both guards hold. */
  readonly witnessPeerState: string;
}

function guardKeys(guard: PeerGuard, into: Set<string>): void {
  if (guard.kind === "peer-key-published") into.add(guard.key);
  else if (guard.kind === "all" || guard.kind === "any") guard.operands.forEach((operand) => guardKeys(operand, into));
  else if (guard.kind === "not") guardKeys(guard.operand, into);
}

/**
 * Two guarded transitions out of the same state to different targets are nondeterministic when
 * some peer situation satisfies both guards. Spontaneous (unguarded) transitions are the role's
 * own choice, such as starting a teardown, and are not reported. Peer situations are every peer
 * state combined with every subset of the keys the two guards read (guards read few keys).
 */
export function findNondeterministicTransitions(machine: LifecycleMachineShape, peerStates: readonly string[]): readonly NondeterministicPair[] {
  const pairs: NondeterministicPair[] = [];
  const guarded = machine.transitions.filter((transition) => transition.guard !== undefined);
  for (let i = 0; i < guarded.length; i++) {
    for (let j = i + 1; j < guarded.length; j++) {
      const first = guarded[i];
      const second = guarded[j];
      if (first === undefined || second === undefined || first.from !== second.from || first.to === second.to) continue;
      if (first.guard === undefined || second.guard === undefined) continue;
      const keys = new Set<string>();
      guardKeys(first.guard, keys);
      guardKeys(second.guard, keys);
      const keyList = [...keys].slice(0, 8);
      const witness = findCommonSituation(first.guard, second.guard, peerStates, keyList);
      if (witness !== undefined) pairs.push({ first, second, witnessPeerState: witness });
    }
  }
  return pairs;
}

function findCommonSituation(first: PeerGuard, second: PeerGuard, peerStates: readonly string[], keys: readonly string[]): string | undefined {
  for (const state of peerStates) {
    for (let mask = 0; mask < 1 << keys.length; mask++) {
      const publishedKeys = new Set(keys.filter((_, bit) => (mask & (1 << bit)) !== 0));
      const view = { state, publishedKeys };
      if (evaluatePeerGuard(first, view) && evaluatePeerGuard(second, view)) return state;
    }
  }
  return undefined;
}
