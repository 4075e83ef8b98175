// Lifecycle checks: each role's XenBus state machine (unknown, unreachable and unclosable
// states, nondeterminism, guards that test only the peer), the keys transitions publish and
// read, and the product of both machines searched for deadlocks and for keys read before the
// peer published them — each with the path that leads there in the diagnostic's notes.
import type { Expression, LifecycleDeadlineDeclaration, LifecycleDeclaration, RoleStateMachine, TransitionDeclaration } from "../syntax/ast.js";
import { constantFolderFor } from "./analyze-declarations.js";
import { createScope, ExpressionChecker } from "./check-expressions.js";
import { findNondeterministicTransitions, findStatesThatCannotClose, findUnreachableStates } from "./lifecycle-graph.js";
import { describeProductPath, exploreLifecycleProduct } from "./lifecycle-product.js";
import type { LifecycleMachineShape, LifecycleTransitionShape, PeerGuard } from "./lifecycle-shapes.js";
import type { LifecycleDeadlineModel, LifecycleModel, LifecycleRoleModel, LifecycleTransitionModel } from "./model.js";
import type { ProtocolContext } from "./protocol-context.js";
import { didYouMean } from "./suggest-names.js";
import { closedXenbusState, initialXenbusState, xenbusStates, xenbusStateValue } from "./xenbus-states.js";

const stateNames = xenbusStates.map((state) => state.name);

interface GuardConversion {
  readonly guard: PeerGuard;
  readonly keys: readonly string[];
}

/** Turns a guard expression into a predicate over the peer; reports PD4005 for anything else. */
function convertGuard(context: ProtocolContext, expression: Expression, ownRole: string, peerRole: string, keys: Set<string>): PeerGuard | undefined {
  const unsupported = (node: Expression, why: string): undefined => {
    context.sink.report("PD4005", node.span, `${why}; a guard tests the peer's state (\`${peerRole} >= InitWait\`, \`${peerRole} in {...}\`) and its keys (\`present(${peerRole}.key)\`, \`${peerRole}.key == 1\`)`);
    return undefined;
  };
  switch (expression.kind) {
    case "ParenthesizedExpression":
      return convertGuard(context, expression.expression, ownRole, peerRole, keys);
    case "BooleanLiteral":
      return expression.value ? { kind: "all", operands: [] } : { kind: "any", operands: [] };
    case "UnaryExpression": {
      if (expression.operator !== "!") return unsupported(expression, "arithmetic is not a guard");
      const operand = convertGuard(context, expression.operand, ownRole, peerRole, keys);
      return operand === undefined ? undefined : { kind: "not", operand };
    }
    case "CallExpression": {
      const argument = expression.arguments[0];
      if (expression.callee.text === "present" && argument?.kind === "MemberExpression" && argument.object.kind === "NameExpression" && argument.object.name.text === peerRole) {
        keys.add(argument.member.text);
        return { kind: "peer-key-published", key: argument.member.text };
      }
      return unsupported(expression, `${expression.callee.text}(...) is not a guard`);
    }
    case "MemberExpression": {
      // A boolean peer key used as a condition: the search assumes it may be true once published.
      if (expression.object.kind === "NameExpression" && expression.object.name.text === peerRole) {
        keys.add(expression.member.text);
        return { kind: "peer-key-published", key: expression.member.text };
      }
      return unsupported(expression, "only the peer's keys can be tested");
    }
    case "BinaryExpression": {
      const { operator, left, right } = expression;
      if (operator === "&&" || operator === "||") {
        const a = convertGuard(context, left, ownRole, peerRole, keys);
        const b = convertGuard(context, right, ownRole, peerRole, keys);
        if (a === undefined || b === undefined) return undefined;
        return { kind: operator === "&&" ? "all" : "any", operands: [a, b] };
      }
      if (left.kind === "NameExpression" && left.name.text === ownRole) return unsupported(left, `a guard of ${ownRole} cannot test ${ownRole}'s own state`);
      if (left.kind === "MemberExpression" && left.object.kind === "NameExpression" && left.object.name.text === peerRole) {
        // A comparison of a peer key's value: the key must be published; its value is not modelled.
        keys.add(left.member.text);
        return { kind: "peer-key-published", key: left.member.text };
      }
      if (left.kind !== "NameExpression" || left.name.text !== peerRole) return unsupported(left, "the left side of a guard comparison must be the peer role");
      const states = statesMatching(operator, right);
      if (states === undefined) return unsupported(right, "the right side must be a XenBus state or a set of states");
      return { kind: "peer-state-in", states };
    }
    default:
      return unsupported(expression, "this is not a guard");
  }
}

function statesMatching(operator: string, right: Expression): string[] | undefined {
  if (operator === "in") {
    if (right.kind !== "SetExpression") return undefined;
    const names = right.elements.map((element) => (element.kind === "NameExpression" ? element.name.text : ""));
    return names.every((name) => xenbusStateValue(name) !== undefined) ? names : undefined;
  }
  if (right.kind !== "NameExpression") return undefined;
  const value = xenbusStateValue(right.name.text);
  if (value === undefined) return undefined;
  const compare: Record<string, (candidate: number) => boolean> = {
    "==": (candidate) => candidate === value,
    "!=": (candidate) => candidate !== value,
    "<": (candidate) => candidate < value,
    "<=": (candidate) => candidate <= value,
    ">": (candidate) => candidate > value,
    ">=": (candidate) => candidate >= value,
  };
  const test = compare[operator];
  return test === undefined ? undefined : xenbusStates.filter((state) => test(state.value)).map((state) => state.name);
}

function checkStateName(context: ProtocolContext, identifier: { readonly text: string; readonly span: import("../diagnostics/diagnostic.js").Span }): boolean {
  if (xenbusStateValue(identifier.text) !== undefined) return true;
  context.sink.report("PD4001", identifier.span, `unknown state '${identifier.text}'; lifecycle states are the XenBus states${didYouMean(identifier.text, stateNames)}`);
  return false;
}

interface BuiltMachine {
  readonly model: LifecycleRoleModel;
  readonly declarations: readonly TransitionDeclaration[];
  readonly shapes: readonly LifecycleTransitionShape[];
  readonly shapeSource: ReadonlyMap<LifecycleTransitionShape, TransitionDeclaration>;
}

function buildMachine(context: ProtocolContext, machine: RoleStateMachine, role: string, peer: string): BuiltMachine {
  const checker = new ExpressionChecker(context, { allowStates: true });
  const ownKeys = { has: (name: string) => context.findStoreKey(role, name) !== undefined, keys: () => context.storeKeyNames(role) };
  const peerKeys = { has: (name: string) => context.findStoreKey(peer, name) !== undefined, get: (name: string) => context.findStoreKey(peer, name), keys: () => context.storeKeyNames(peer) };
  const mentioned = new Set<string>([initialXenbusState, closedXenbusState]);
  for (const transition of machine.transitions) {
    for (const state of [...transition.from, transition.to]) if (xenbusStateValue(state.text) !== undefined) mentioned.add(state.text);
  }
  const states = stateNames.filter((name) => mentioned.has(name));
  const shapes: LifecycleTransitionShape[] = [];
  const shapeSource = new Map<LifecycleTransitionShape, TransitionDeclaration>();
  const transitions: LifecycleTransitionModel[] = [];
  for (const transition of machine.transitions) {
    const fromValid = transition.from.map((state) => checkStateName(context, state)).every(Boolean);
    const toValid = checkStateName(context, transition.to);
    for (const key of transition.publishes) {
      if (ownKeys.has(key.text) !== true) {
        context.sink.report("PD4007", key.span, `${role} publishes '${key.text}', which its store schema does not declare${didYouMean(key.text, ownKeys.keys() ?? [])}`);
      }
    }
    const readKeys = new Set<string>();
    for (const read of transition.reads) {
      const [roleName, keyName, ...rest] = read.parts;
      if (roleName === undefined || keyName === undefined || rest.length > 0 || roleName.text !== peer) {
        context.sink.report("PD4008", read.span, `a transition of ${role} reads the peer's keys, written \`${peer}.key\``);
        continue;
      }
      if (peerKeys.has(keyName.text) !== true) {
        context.sink.report("PD4008", keyName.span, `${role} reads '${peer}.${keyName.text}', but ${peer}'s store schema does not declare it${didYouMean(keyName.text, peerKeys.keys() ?? [])}`);
        continue;
      }
      readKeys.add(keyName.text);
    }
    let guard: PeerGuard | undefined;
    let guardOk = true;
    if (transition.guard !== undefined) {
      const errorsBefore = context.sink.errorCount;
      checker.checkCondition(transition.guard, createScope(new Map()), "a lifecycle guard");
      if (context.sink.errorCount === errorsBefore) {
        const guardKeys = new Set<string>();
        guard = convertGuard(context, transition.guard, role, peer, guardKeys);
        for (const key of guardKeys) {
          if (peerKeys.has(key) !== true) context.sink.report("PD4008", transition.guard.span, `the guard reads '${peer}.${key}', which ${peer}'s store schema does not declare`);
          else readKeys.add(key);
        }
      }
      guardOk = guard !== undefined;
    }
    const required = [...readKeys].filter((key) => {
      const model = peerKeys.get(key);
      return model !== undefined && !model.optional && model.defaultValue === undefined;
    });
    const sources = transition.fromAnyState ? states.filter((state) => state !== transition.to.text && state !== closedXenbusState) : transition.from.map((state) => state.text);
    for (const from of sources) {
      transitions.push({ label: transition.label?.text, from, to: transition.to.text, guard: transition.guard, publishes: transition.publishes.map((key) => key.text), reads: [...readKeys], span: transition.span });
      if (!fromValid || !toValid || !guardOk) continue;
      const shape: LifecycleTransitionShape = { from, to: transition.to.text, guard, publishes: transition.publishes.map((key) => key.text), requiredPeerKeys: required };
      shapes.push(shape);
      shapeSource.set(shape, transition);
    }
  }
  const shape: LifecycleMachineShape = { role, states, initialState: initialXenbusState, closedState: closedXenbusState, transitions: shapes };
  return { model: { role, span: machine.role.span, transitions, machine: shape }, declarations: machine.transitions, shapes, shapeSource };
}

export function checkLifecycle(context: ProtocolContext): LifecycleModel | undefined {
  const declarations = context.protocol.members.filter((member): member is LifecycleDeclaration => member.kind === "LifecycleDeclaration");
  for (const extra of declarations.slice(1)) context.sink.report("PD4010", extra.span, "a protocol has at most one `lifecycle`");
  const lifecycle = declarations[0];
  if (lifecycle === undefined) return undefined;
  const machines = new Map<string, RoleStateMachine>();
  for (const member of lifecycle.members) {
    if (member.kind !== "RoleStateMachine") continue;
    const role = context.requireRole(member.role, "the state machine's role");
    if (role === undefined) continue;
    if (machines.has(role)) {
      context.sink.report("PD4010", member.role.span, `role ${role} already has a state machine`);
      continue;
    }
    machines.set(role, member);
  }
  for (const role of context.roleNames()) {
    if (!machines.has(role)) context.sink.report("PD4010", lifecycle.span, `the lifecycle gives no state machine to role ${role}`);
  }
  const built: BuiltMachine[] = [];
  const errorsBeforeMachines = context.sink.errorCount;
  for (const [role, machine] of machines) {
    const peer = context.peerOf(role);
    if (peer === undefined) continue;
    built.push(buildMachine(context, machine, role, peer));
  }
  const dataPhase = lifecycle.members.find((member) => member.kind === "DataPhaseDeclaration");
  const deadline = checkLifecycleDeadline(context, lifecycle, built);
  if (dataPhase !== undefined) new ExpressionChecker(context, { allowStates: true }).checkCondition(dataPhase.condition, undefined, "the data-phase condition");

  let explored = 0;
  // A machine with a broken transition would produce follow-on reachability findings; its own
  // diagnostics say what to fix first.
  if (context.sink.errorCount > errorsBeforeMachines) {
    return { span: lifecycle.span, states: xenbusStates, roles: built.map((machine) => machine.model), dataCondition: dataPhase?.kind === "DataPhaseDeclaration" ? dataPhase.condition : undefined, deadline, exploredJointStates: 0 };
  }
  let someStateCannotClose = false;
  for (const machine of built) {
    const source = machines.get(machine.model.role);
    const anchor = source?.role.span ?? lifecycle.span;
    for (const state of findUnreachableStates(machine.model.machine)) {
      if (state === closedXenbusState && !machine.shapes.some((shape) => shape.to === closedXenbusState)) {
        context.sink.report("PD4003", anchor, `${machine.model.role} never reaches ${closedXenbusState}: no transition leads there`);
        continue;
      }
      const where = machine.shapes.find((shape) => shape.from === state);
      context.sink.report("PD4002", where === undefined ? anchor : (machine.shapeSource.get(where)?.span ?? anchor), `${machine.model.role} can never reach state ${state} from ${initialXenbusState}`);
    }
    for (const state of findStatesThatCannotClose(machine.model.machine)) {
      someStateCannotClose = true;
      const where = machine.shapes.find((shape) => shape.to === state);
      context.sink.report("PD4003", where === undefined ? anchor : (machine.shapeSource.get(where)?.span ?? anchor), `once ${machine.model.role} is in ${state}, no transitions lead to ${closedXenbusState}`, {
        notes: ["add a teardown transition, e.g. `teardown: * -> Closing;` and `Closing -> Closed;`"],
      });
    }
    const peerMachine = built.find((candidate) => candidate !== machine);
    const peerStates = peerMachine?.model.machine.states ?? stateNames;
    for (const pair of findNondeterministicTransitions(machine.model.machine, peerStates)) {
      const first = machine.shapeSource.get(pair.first);
      const second = machine.shapeSource.get(pair.second);
      context.sink.report("PD4004", second?.span ?? anchor, `${machine.model.role} in ${pair.first.from} can go to both ${pair.first.to} and ${pair.second.to} when the peer is ${pair.witnessPeerState}`, {
        related: first === undefined ? [] : [{ span: first.span, message: "the other transition" }],
        notes: ["make the guards exclusive, or drop one of the transitions"],
      });
    }
  }
  const [first, second] = built;
  // A state that cannot close already makes the pair stuck; the deadlock search would only repeat it.
  if (first !== undefined && second !== undefined && !someStateCannotClose) {
    const pair = [first.model.machine, second.model.machine] as const;
    const exploration = exploreLifecycleProduct(pair);
    explored = exploration.exploredStates;
    if (exploration.truncated) context.sink.report("PD4011", lifecycle.span, `the deadlock search stopped after ${exploration.exploredStates} joint states`);
    for (const deadlock of exploration.deadlocks) {
      const [a, b] = deadlock.state.states;
      context.sink.report("PD4006", machines.get(first.model.role)?.role.span ?? lifecycle.span, `deadlock: with ${first.model.role} in ${a} and ${second.model.role} in ${b}, neither role can move and the connection is not closed`, {
        related: [{ span: machines.get(second.model.role)?.role.span ?? lifecycle.span, message: `${second.model.role}'s state machine` }],
        notes: deadlock.path.length === 0 ? ["the initial state is already stuck"] : ["reached by:", ...describeProductPath(pair, deadlock.path).map((line) => `  ${line}`)],
      });
    }
    for (const read of exploration.unpublishedReads) {
      const builtMachine = read.move.side === 0 ? first : second;
      const source = builtMachine.shapeSource.get(read.move.transition);
      const peerRole = read.move.side === 0 ? second.model.role : first.model.role;
      context.sink.report("PD4009", source?.span ?? lifecycle.span, `${read.move.role} can take ${read.move.transition.from} -> ${read.move.transition.to} and read ${peerRole}.${read.key} before ${peerRole} has published it`, {
        notes: ["reached by:", ...(read.path.length === 0 ? ["  (the initial state)"] : describeProductPath(pair, read.path).map((line) => `  ${line}`)), `add a guard that waits for ${peerRole}, or publish ${read.key} earlier`],
      });
    }
  }
  return {
    span: lifecycle.span,
    states: xenbusStates,
    roles: built.map((machine) => machine.model),
    dataCondition: dataPhase?.kind === "DataPhaseDeclaration" ? dataPhase.condition : undefined,
    deadline,
    exploredJointStates: explored,
  };
}

/** The lifecycle's `[label:] STATE within DURATION;`: one at most, a positive duration, a state every machine enters. */
function checkLifecycleDeadline(context: ProtocolContext, lifecycle: LifecycleDeclaration, built: readonly BuiltMachine[]): LifecycleDeadlineModel | undefined {
  const declarations = lifecycle.members.filter((member): member is LifecycleDeadlineDeclaration => member.kind === "LifecycleDeadlineDeclaration");
  for (const extra of declarations.slice(1)) context.sink.report("PD4013", extra.span, "this lifecycle already states a deadline", { related: declarations[0] === undefined ? [] : [{ span: declarations[0].span, message: "the first deadline" }] });
  const declaration = declarations[0];
  if (declaration === undefined) return undefined;
  const state = declaration.state.text;
  const missing = built.filter((machine) => !machine.shapes.some((shape) => shape.to === state)).map((machine) => machine.model.role);
  if (xenbusStateValue(state) === undefined || missing.length > 0) {
    context.sink.report("PD4012", declaration.state.span, xenbusStateValue(state) === undefined ? `'${state}' is not a XenBus state${didYouMean(state, stateNames)}` : `no transition of ${missing.join(" or ")} enters ${state}`);
    return undefined;
  }
  const folded = constantFolderFor(context).fold(declaration.duration);
  if (folded === undefined) return undefined;
  if (folded.kind !== "duration" || folded.value <= 0n) {
    context.sink.report("PD4024", declaration.duration.span, folded.kind !== "duration" ? "a lifecycle deadline is a duration such as `30s`" : "a lifecycle deadline must be positive");
    return undefined;
  }
  return { qualifiedId: `${context.name}.${declaration.label?.text ?? "handshake_deadline"}`, state, nanoseconds: folded.value, span: declaration.span };
}
