// The lifecycle state machines as the checks see them: plain data, independent of the syntax
// tree. Guards are already resolved to predicates over the peer's state and published keys.

export interface LifecycleMachineShape {
  readonly role: string;
  /** Declared states in declaration order (for xenbus machines, the numeric order). */
  readonly states: readonly string[];
  readonly initialState: string;
  /** The state in which this role's side of the connection is closed. */
  readonly closedState: string;
  readonly transitions: readonly LifecycleTransitionShape[];
}

export interface LifecycleTransitionShape {
  readonly from: string;
  readonly to: string;
  /** `undefined` for a spontaneous transition the role may take at any time. */
  readonly guard: PeerGuard | undefined;
  /** Store keys this role has written (in the same transaction) when it enters `to`. */
  readonly publishes: readonly string[];
  /** Peer keys this transition reads that the peer must have published before (checked by the product search). */
  readonly requiredPeerKeys?: readonly string[];
}

/** A condition over the peer: its current state and the keys it has published so far. */
export type PeerGuard =
  | { readonly kind: "peer-state-in"; readonly states: readonly string[] }
  | { readonly kind: "peer-key-published"; readonly key: string }
  | { readonly kind: "all"; readonly operands: readonly PeerGuard[] }
  | { readonly kind: "any"; readonly operands: readonly PeerGuard[] }
  | { readonly kind: "not"; readonly operand: PeerGuard };

export interface PeerView {
  readonly state: string;
  readonly publishedKeys: ReadonlySet<string>;
}

export function evaluatePeerGuard(guard: PeerGuard, peer: PeerView): boolean {
  switch (guard.kind) {
    case "peer-state-in":
      return guard.states.includes(peer.state);
    case "peer-key-published":
      return peer.publishedKeys.has(guard.key);
    case "all":
      return guard.operands.every((operand) => evaluatePeerGuard(operand, peer));
    case "any":
      return guard.operands.some((operand) => evaluatePeerGuard(operand, peer));
    case "not":
      return !evaluatePeerGuard(guard.operand, peer);
    default: {
      const unreachable: never = guard;
      throw new Error(`unknown guard ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Keys a guard reads, so the analyzer can check that the peer writes each of them. */
export function collectGuardKeys(guard: PeerGuard, into: Set<string> = new Set()): Set<string> {
  switch (guard.kind) {
    case "peer-key-published":
      into.add(guard.key);
      break;
    case "all":
    case "any":
      for (const operand of guard.operands) collectGuardKeys(operand, into);
      break;
    case "not":
      collectGuardKeys(guard.operand, into);
      break;
    case "peer-state-in":
      break;
  }
  return into;
}

/** Renders a guard for diagnostic notes, e.g. `backend in {InitWait, Connected}`. */
export function describePeerGuard(guard: PeerGuard, peerRole: string): string {
  switch (guard.kind) {
    case "peer-state-in":
      return guard.states.length === 1 ? `${peerRole} is ${guard.states[0] ?? ""}` : `${peerRole} in {${guard.states.join(", ")}}`;
    case "peer-key-published":
      return `${peerRole} published ${guard.key}`;
    case "all":
      return guard.operands.map((operand) => describePeerGuard(operand, peerRole)).join(" and ");
    case "any":
      return `(${guard.operands.map((operand) => describePeerGuard(operand, peerRole)).join(" or ")})`;
    case "not":
      return `not (${describePeerGuard(guard.operand, peerRole)})`;
  }
}
