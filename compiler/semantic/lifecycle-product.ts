// The product of two roles' state machines over the shared store: a joint state is both
// roles' current states plus the keys each has published. A breadth-first search finds every
// reachable joint state where neither role can move although the connection is not closed (a
// deadlock) and returns the shortest sequence of moves that leads there, for diagnostic notes.
// Published keys are bit masks internally, so the search stays cheap on large state spaces.
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
  readonly states: readonly [string, string];
  readonly masks: readonly [bigint, bigint];
  readonly parent: SearchNode | undefined;
  readonly move: ProductMove | undefined;
}

/** Bit positions for every key either machine publishes or reads. */
class KeyIndex {
  private readonly bits = new Map<string, bigint>();

  bitOf(key: string): bigint {
    let bit = this.bits.get(key);
    if (bit === undefined) {
      bit = 1n << BigInt(this.bits.size);
      this.bits.set(key, bit);
    }
    return bit;
  }

  maskOf(keys: readonly string[]): bigint {
    let mask = 0n;
    for (const key of keys) mask |= this.bitOf(key);
    return mask;
  }

  keysOf(mask: bigint): Set<string> {
    const keys = new Set<string>();
    for (const [key, bit] of this.bits) if ((mask & bit) !== 0n) keys.add(key);
    return keys;
  }
}

interface CompiledTransition {
  readonly transition: LifecycleTransitionShape;
  readonly publishesMask: bigint;
  readonly requiredKeys: readonly { readonly key: string; readonly bit: bigint }[];
}

export function exploreLifecycleProduct(
  machines: readonly [LifecycleMachineShape, LifecycleMachineShape],
  maximumStates = 10_000,
): ProductExploration {
  const index = new KeyIndex();
  const compiled = machines.map((machine) => {
    const byState = new Map<string, CompiledTransition[]>();
    for (const transition of machine.transitions) {
      const list = byState.get(transition.from) ?? [];
      list.push({
        transition,
        publishesMask: index.maskOf(transition.publishes),
        requiredKeys: (transition.requiredPeerKeys ?? []).map((key) => ({ key, bit: index.bitOf(key) })),
      });
      byState.set(transition.from, list);
    }
    return byState;
  }) as [Map<string, CompiledTransition[]>, Map<string, CompiledTransition[]>];
  // Guards see published keys as a set; the set of a mask is built once per distinct mask.
  const keySets = new Map<bigint, Set<string>>();
  const keysOf = (mask: bigint): Set<string> => {
    let keys = keySets.get(mask);
    if (keys === undefined) {
      keys = index.keysOf(mask);
      keySets.set(mask, keys);
    }
    return keys;
  };
  const identity = (states: readonly [string, string], masks: readonly [bigint, bigint]): string => `${states[0]}|${states[1]}|${masks[0]}|${masks[1]}`;

  const initial: SearchNode = { states: [machines[0].initialState, machines[1].initialState], masks: [0n, 0n], parent: undefined, move: undefined };
  const seen = new Set<string>([identity(initial.states, initial.masks)]);
  const queue: SearchNode[] = [initial];
  const deadlocks: Deadlock[] = [];
  const unpublishedReads: UnpublishedRead[] = [];
  const reportedReads = new Set<string>();
  let truncated = false;
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    if (node === undefined) break;
    let moved = false;
    for (const side of [0, 1] as const) {
      const peer = side === 0 ? 1 : 0;
      const peerView = { state: node.states[peer], publishedKeys: keysOf(node.masks[peer]) };
      for (const candidate of compiled[side].get(node.states[side]) ?? []) {
        const transition = candidate.transition;
        if (transition.guard !== undefined && !evaluatePeerGuard(transition.guard, peerView)) continue;
        moved = true;
        const move: ProductMove = { side, role: machines[side].role, transition };
        for (const required of candidate.requiredKeys) {
          if ((node.masks[peer] & required.bit) !== 0n) continue;
          const key = `${side}|${transition.from}|${transition.to}|${required.key}`;
          if (reportedReads.has(key)) continue;
          reportedReads.add(key);
          unpublishedReads.push({ move, key: required.key, path: pathTo(node) });
        }
        const states: [string, string] = [node.states[0], node.states[1]];
        const masks: [bigint, bigint] = [node.masks[0], node.masks[1]];
        states[side] = transition.to;
        masks[side] |= candidate.publishesMask;
        const key = identity(states, masks);
        if (seen.has(key)) continue;
        if (seen.size >= maximumStates) {
          truncated = true;
          continue;
        }
        seen.add(key);
        queue.push({ states, masks, parent: node, move });
      }
    }
    const closed = node.states[0] === machines[0].closedState && node.states[1] === machines[1].closedState;
    if (!moved && !closed) {
      deadlocks.push({ state: { states: node.states, publishedKeys: [keysOf(node.masks[0]), keysOf(node.masks[1])] }, path: pathTo(node) });
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
