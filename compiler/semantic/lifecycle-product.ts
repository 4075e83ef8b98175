// The product of two roles' state machines over the shared store: a joint state is both
// roles' current states plus the keys each has published. A breadth-first search finds every
// reachable joint state where neither role can move although the connection is not closed (a
// deadlock) and returns the shortest sequence of moves that leads there, for diagnostic notes.
import { describePeerGuard, evaluatePeerGuard, type LifecycleMachineShape, type LifecycleTransitionShape } from "./lifecycle-shapes.js";

export interface JointState {
  readonly states: readonly [string, string];
  readonly publishedKeys: readonly [ReadonlySet<string>, ReadonlySet<string>];
}

export interface ProductMove {
  /** 0 for the first machine, 1 for the second. */
  readonly side: 0 | 1;
  readonly role: string;
  readonly transition: LifecycleTransitionShape;
}

export interface Deadlock {
  readonly state: JointState;
  /** The moves from the initial joint state to the deadlock, shortest first found. */
  readonly path: readonly ProductMove[];
}

/** A move that reads a peer key the peer has not published yet on some reachable path. */
export interface UnpublishedRead {
  readonly move: ProductMove;
  readonly key: string;
  /** The moves before the offending one. */
  readonly path: readonly ProductMove[];
}

export interface ProductExploration {
  readonly deadlocks: readonly Deadlock[];
  readonly unpublishedReads: readonly UnpublishedRead[];
  readonly exploredStates: number;
  /** True when the search stopped at `maximumStates`; deadlocks found so far are still real. */
  readonly truncated: boolean;
}

interface SearchNode {
  readonly state: JointState;
  readonly parent: SearchNode | undefined;
  readonly move: ProductMove | undefined;
}

function keyOf(state: JointState): string {
  const keys = (set: ReadonlySet<string>): string => [...set].sort().join(",");
  return `${state.states[0]}|${state.states[1]}|${keys(state.publishedKeys[0])}|${keys(state.publishedKeys[1])}`;
}

function enabledMoves(machines: readonly [LifecycleMachineShape, LifecycleMachineShape], state: JointState): ProductMove[] {
  const moves: ProductMove[] = [];
  for (const side of [0, 1] as const) {
    const machine = machines[side];
    const peer = side === 0 ? 1 : 0;
    const peerView = { state: state.states[peer], publishedKeys: state.publishedKeys[peer] };
    for (const transition of machine.transitions) {
      if (transition.from !== state.states[side]) continue;
      if (transition.guard !== undefined && !evaluatePeerGuard(transition.guard, peerView)) continue;
      moves.push({ side, role: machine.role, transition });
    }
  }
  return moves;
}

function applyMove(state: JointState, move: ProductMove): JointState {
  const states: [string, string] = [state.states[0], state.states[1]];
  const published: [ReadonlySet<string>, ReadonlySet<string>] = [state.publishedKeys[0], state.publishedKeys[1]];
  states[move.side] = move.transition.to;
  if (move.transition.publishes.length > 0) published[move.side] = new Set([...published[move.side], ...move.transition.publishes]);
  return { states, publishedKeys: published };
}

export function exploreLifecycleProduct(
  machines: readonly [LifecycleMachineShape, LifecycleMachineShape],
  maximumStates = 50_000,
): ProductExploration {
  const initial: JointState = { states: [machines[0].initialState, machines[1].initialState], publishedKeys: [new Set(), new Set()] };
  const seen = new Set<string>([keyOf(initial)]);
  const queue: SearchNode[] = [{ state: initial, parent: undefined, move: undefined }];
  const deadlocks: Deadlock[] = [];
  const unpublishedReads: UnpublishedRead[] = [];
  const reportedReads = new Set<string>();
  let truncated = false;
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    if (node === undefined) break;
    const moves = enabledMoves(machines, node.state);
    const closed = node.state.states[0] === machines[0].closedState && node.state.states[1] === machines[1].closedState;
    if (moves.length === 0 && !closed) deadlocks.push({ state: node.state, path: pathTo(node) });
    for (const move of moves) {
      const peerKeys = node.state.publishedKeys[move.side === 0 ? 1 : 0];
      for (const key of move.transition.requiredPeerKeys ?? []) {
        const identity = `${move.side}|${move.transition.from}|${move.transition.to}|${key}`;
        if (peerKeys.has(key) || reportedReads.has(identity)) continue;
        reportedReads.add(identity);
        unpublishedReads.push({ move, key, path: pathTo(node) });
      }
      const next = applyMove(node.state, move);
      const key = keyOf(next);
      if (seen.has(key)) continue;
      if (seen.size >= maximumStates) {
        truncated = true;
        continue;
      }
      seen.add(key);
      queue.push({ state: next, parent: node, move });
    }
  }
  return { deadlocks, unpublishedReads, exploredStates: seen.size, truncated };
}

function pathTo(node: SearchNode): ProductMove[] {
  const moves: ProductMove[] = [];
  for (let current: SearchNode | undefined = node; current?.move !== undefined; current = current.parent) moves.push(current.move);
  return moves.reverse();
}

/** One note line per move, e.g. `frontend: Initialising -> Initialised (when backend is InitWait)`. */
export function describeProductPath(machines: readonly [LifecycleMachineShape, LifecycleMachineShape], path: readonly ProductMove[]): string[] {
  return path.map((move) => {
    const peerRole = machines[move.side === 0 ? 1 : 0].role;
    const guard = move.transition.guard === undefined ? "" : ` (when ${describePeerGuard(move.transition.guard, peerRole)})`;
    return `${move.role}: ${move.transition.from} -> ${move.transition.to}${guard}`;
  });
}
