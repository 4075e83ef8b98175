// Lowers what a protocol promises about its connections (lifecycle, exchanges, ring guarantees)
// into the monitor obligations of ir/monitor.ts: each obligation names its clause id, the role
// it blames and where the spec states it, so generated monitors report violations precisely.
import type { Span } from "../diagnostics/diagnostic.js";
import type { GuaranteeModel, LifecycleModel, ProtocolModel, RingModel } from "../semantic/model.js";
import type { PeerGuard } from "../semantic/lifecycle-shapes.js";
import { splitUnmapInvariant } from "../semantic/unmap-exemptions.js";
import { xenbusStateValue } from "../semantic/xenbus-states.js";
import type { Expression } from "../syntax/ast.js";
import type { IrExpression } from "./expression.js";
import type {
  IrCorrelationObligation,
  IrDeadlineObligation,
  IrGrantObligation,
  IrLifecycleObligation,
  IrLifecycleTransition,
  IrMonitorObligation,
  IrMonitorObligations,
  IrRingIndexObligation,
  IrStoreKeyCondition,
  IrUnmappedClause,
} from "./monitor.js";
import type { IrLayoutAbi, IrRecord } from "./protocol.js";
import { lowerStoreKeyClauses } from "./lower-store-key-clauses.js";

/** Spec texts by path, so spans can be written as "file:line:col" in generated code. */
export type SpecSources = ReadonlyMap<string, string>;

/** "file:line:col" (1-based) of a span's start; "file:?:?" when the text is not at hand. */
export function describeSpanLocation(span: Span, sources: SpecSources): string {
  const text = sources.get(span.file);
  if (text === undefined) return `${span.file}:?:?`;
  let line = 1;
  let lineStart = 0;
  const end = Math.min(span.start, text.length);
  for (let index = 0; index < end; index += 1) {
    if (text.charCodeAt(index) === 10) {
      line += 1;
      lineStart = index + 1;
    }
  }
  return `${span.file}:${line}:${span.start - lineStart + 1}`;
}

/** Names of every builtin called anywhere inside an expression (e.g. `unchanged`, `granted`). */
function collectCalledBuiltins(expression: unknown, into: Set<string>): Set<string> {
  if (expression === null || typeof expression !== "object") return into;
  if (Array.isArray(expression)) {
    for (const element of expression) collectCalledBuiltins(element, into);
    return into;
  }
  const node = expression as { readonly kind?: unknown };
  if (node.kind === "CallExpression") into.add((expression as { readonly callee: { readonly text: string } }).callee.text);
  for (const [key, value] of Object.entries(expression)) {
    if (key !== "span") collectCalledBuiltins(value, into);
  }
  return into;
}

/** Every call of `builtin` inside an expression, outermost first. */
function findCalls(expression: unknown, builtin: string, into: { readonly arguments: readonly Expression[] }[]): { readonly arguments: readonly Expression[] }[] {
  if (expression === null || typeof expression !== "object") return into;
  if (Array.isArray(expression)) {
    for (const element of expression) findCalls(element, builtin, into);
    return into;
  }
  const node = expression as { readonly kind?: unknown };
  if (node.kind === "CallExpression") {
    const call = expression as { readonly callee: { readonly text: string }; readonly arguments: readonly Expression[] };
    if (call.callee.text === builtin) into.push(call);
  }
  for (const [key, value] of Object.entries(expression)) {
    if (key !== "span") findCalls(value, builtin, into);
  }
  return into;
}

/** `binder.seg[i].gref` as a field path below the binder (`["seg", "[]", "gref"]`), or undefined. */
function fieldPathBelowBinder(expression: Expression, binder: string): string[] | undefined {
  if (expression.kind === "ParenthesizedExpression") return fieldPathBelowBinder(expression.expression, binder);
  if (expression.kind === "NameExpression") return expression.name.text === binder ? [] : undefined;
  if (expression.kind === "MemberExpression") {
    const base = fieldPathBelowBinder(expression.object, binder);
    return base === undefined ? undefined : [...base, expression.member.text];
  }
  if (expression.kind === "IndexExpression") {
    const base = fieldPathBelowBinder(expression.object, binder);
    return base === undefined ? undefined : [...base, "[]"];
  }
  return undefined;
}

/**
 * The condition under which a `writable(...)` call must hold, when it is written as
 * `binder.field == EnumMember ==> ... writable(...)` over a top-level field; undefined otherwise.
 */
function writableConditionOf(protocol: ProtocolModel, condition: Expression, binder: string): IrExpression | undefined {
  let found: IrExpression | undefined;
  const visit = (node: unknown): void => {
    if (found !== undefined || node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const element of node) visit(element);
      return;
    }
    const expression = node as Expression;
    if (expression.kind === "BinaryExpression" && expression.operator === "==>" && findCalls(expression.right, "writable", []).length > 0) {
      let guard = expression.left;
      while (guard.kind === "ParenthesizedExpression") guard = guard.expression;
      if (guard.kind === "BinaryExpression" && guard.operator === "==" && guard.right.kind === "NameExpression") {
        const path = fieldPathBelowBinder(guard.left, binder);
        const memberName = guard.right.name.text;
        const owners = protocol.enums.filter((enumeration) => enumeration.members.some((member) => member.name === memberName));
        const member = owners[0]?.members.find((candidate) => candidate.name === memberName);
        if (path !== undefined && path.length === 1 && owners.length === 1 && owners[0] !== undefined && member !== undefined) {
          found = {
            kind: "binary",
            operator: "==",
            left: { kind: "field", path },
            right: { kind: "enum-member", enumName: owners[0].name, memberName, value: Number(member.value) },
          };
          return;
        }
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== "span") visit(value);
  };
  visit(condition);
  return found;
}

/** The peer states a guard demands, when it demands any at top level (`peer in {...}` or a conjunction holding one). */
function peerStatesRequiredBy(guard: PeerGuard | undefined): readonly number[] {
  if (guard === undefined) return [];
  if (guard.kind === "peer-state-in") return guard.states.map((state) => xenbusStateValue(state) ?? -1).filter((value) => value >= 0);
  if (guard.kind === "all") {
    for (const operand of guard.operands) {
      const states = peerStatesRequiredBy(operand);
      if (states.length > 0) return states;
    }
  }
  return [];
}

/** The states `role == S` / `role in {S, T}` conjuncts of a `data when` condition allow, per role. */
function collectDataStates(condition: Expression | undefined, into: Map<string, number[]>): Map<string, number[]> {
  if (condition === undefined) return into;
  if (condition.kind === "ParenthesizedExpression") return collectDataStates(condition.expression, into);
  if (condition.kind !== "BinaryExpression") return into;
  if (condition.operator === "&&") {
    collectDataStates(condition.left, into);
    return collectDataStates(condition.right, into);
  }
  if (condition.left.kind !== "NameExpression") return into;
  const role = condition.left.name.text;
  const named = condition.operator === "==" ? [condition.right] : condition.operator === "in" && condition.right.kind === "SetExpression" ? condition.right.elements : [];
  const states = named.flatMap((element) => (element.kind === "NameExpression" ? [xenbusStateValue(element.name.text)] : [])).filter((value): value is number => value !== undefined);
  if (states.length > 0) into.set(role, states);
  return into;
}

/**
 * The responder's guarantee that it unmaps a request's grants before responding: an invariant
 * whose condition requires `unmapped_all(...)`, with the store-key exemptions its other
 * disjuncts state (analysis refused every other form with PD4036, so none is dropped here).
 */
function findUnmappedClause(protocol: ProtocolModel, requestGuarantees: readonly GuaranteeModel[], responderRole: string, sources: SpecSources): IrUnmappedClause | undefined {
  const lookup = {
    isRole: (name: string) => protocol.roles.some((role) => role.name === name),
    findStoreKey: (role: string, key: string) => protocol.stores.find((store) => store.role === role)?.keys.find((candidate) => candidate.name === key),
  };
  for (const guarantee of requestGuarantees) {
    if (guarantee.owner !== responderRole) continue;
    for (const statement of guarantee.statements) {
      if (statement.kind !== "invariant") continue;
      const shape = splitUnmapInvariant(statement.condition as Expression, lookup);
      if (shape.kind !== "exempted") continue;
      return {
        clauseId: guarantee.qualifiedId,
        location: describeSpanLocation(guarantee.span, sources),
        ownerRole: guarantee.owner,
        exemptions: shape.exemptions.map((conjunction) => conjunction.map(({ role, key, expected, valueWhenAbsent }): IrStoreKeyCondition => ({ role, key, expected, valueWhenAbsent }))),
      };
    }
  }
  return undefined;
}

function lowerLifecycle(protocol: ProtocolModel, lifecycle: LifecycleModel, sources: SpecSources): IrLifecycleObligation {
  const transitions: IrLifecycleTransition[] = [];
  for (const role of lifecycle.roles) {
    for (const shape of role.machine.transitions) {
      const from = xenbusStateValue(shape.from);
      const to = xenbusStateValue(shape.to);
      // Lifecycles over non-XenBus states have no store encoding the monitor could read.
      if (from === undefined || to === undefined) continue;
      const declared = role.transitions.find((transition) => transition.to === shape.to && (transition.from === "*" || transition.from.split(/,\s*/).includes(shape.from)));
      transitions.push({
        role: role.role,
        from,
        to,
        peerStates: peerStatesRequiredBy(shape.guard),
        requiredKeys: [...shape.publishes],
        span: declared?.span ?? role.span,
      });
    }
  }
  return {
    kind: "lifecycle",
    clauseId: `${protocol.name}.lifecycle`,
    location: describeSpanLocation(lifecycle.span, sources),
    transitions,
    dataStates: [...collectDataStates(lifecycle.dataCondition, new Map())].map(([role, states]) => ({ role, states })),
    dataClauseId: `${protocol.name}.lifecycle_data`,
    initialState: xenbusStateValue("Initialising") ?? 1,
    closedState: xenbusStateValue("Closed") ?? 6,
    span: lifecycle.span,
  };
}

function geometryByLayout(ring: RingModel): { slotBytes: Record<IrLayoutAbi, number>; entries: Record<IrLayoutAbi, number> } {
  const slotBytes: Record<IrLayoutAbi, number> = { x86_64: 0, x86_32: 0 };
  const entries: Record<IrLayoutAbi, number> = { x86_64: 0, x86_32: 0 };
  for (const abi of ["x86_64", "x86_32"] as const) {
    const geometry = ring.geometry.get(abi);
    if (geometry === undefined) continue;
    slotBytes[abi] = geometry.slotSize;
    // The monitor is built for the smallest ring; larger orders are negotiated per connection.
    entries[abi] = geometry.byOrder[0]?.entries ?? 0;
  }
  return { slotBytes, entries };
}

/** Lowers the monitor obligations of one protocol; an empty list when it declares nothing a monitor checks. */
export function lowerMonitorObligations(protocol: ProtocolModel, records: readonly IrRecord[], sources: SpecSources): IrMonitorObligations {
  const obligations: IrMonitorObligation[] = [];
  if (protocol.lifecycle !== undefined) obligations.push(lowerLifecycle(protocol, protocol.lifecycle, sources));
  const handshake = protocol.lifecycle?.deadline;
  if (handshake !== undefined) {
    obligations.push({
      kind: "handshake-deadline",
      clauseId: handshake.qualifiedId,
      location: describeSpanLocation(handshake.span, sources),
      state: xenbusStateValue(handshake.state) ?? 4,
      milliseconds: Number(handshake.nanoseconds / 1_000_000n),
      span: handshake.span,
    });
  }
  for (const ring of protocol.rings) {
    const ringGuarantees = protocol.guarantees.filter((guarantee) => guarantee.subjects.some((subject) => subject.kind === "ring" && subject.ring === ring.name));
    const requestGuarantees = protocol.guarantees.filter((guarantee) => guarantee.subjects.some((subject) => subject.kind === "message" && subject.message === ring.requestMessage));
    const indexClauseFor = (producerRole: string, direction: "requests" | "responses"): IrRingIndexObligation => {
      // A ring invariant owned by the producer (e.g. `req_prod - rsp_prod <= entries(ring)`) names the clause.
      const stated = ringGuarantees.find((guarantee) => guarantee.owner === producerRole && guarantee.statements.some((statement) => statement.kind === "invariant"));
      const span = stated?.span ?? ring.span;
      return {
        kind: "ring-index",
        clauseId: stated?.qualifiedId ?? `${protocol.name}.${ring.name}.${direction === "requests" ? "request_index" : "response_index"}`,
        location: describeSpanLocation(span, sources),
        channel: ring.name,
        producerRole,
        direction,
        span,
      };
    };
    obligations.push(indexClauseFor(ring.requestProducer, "requests"), indexClauseFor(ring.responseProducer, "responses"));

    const exchange = protocol.exchanges.find((candidate) => candidate.ring === ring.name);
    if (exchange === undefined) continue;
    const idPair = exchange.correlation[0];
    if (idPair === undefined) continue;
    const geometry = geometryByLayout(ring);
    const outstandingBound = exchange.outstandingLimit !== undefined ? Number(exchange.outstandingLimit) : Math.max(geometry.entries.x86_64, geometry.entries.x86_32);
    const unchanged = requestGuarantees.find((guarantee) =>
      guarantee.statements.some((statement) => statement.kind === "until" && collectCalledBuiltins(statement.condition as Expression, new Set()).has("unchanged")),
    );
    const correlation: IrCorrelationObligation = {
      kind: "correlation",
      clauseId: `${protocol.name}.${ring.name}`,
      location: describeSpanLocation(exchange.span, sources),
      channel: ring.name,
      requestRecord: exchange.requestMessage,
      responseRecord: exchange.responseMessage,
      requestIdField: idPair.requestField.split("."),
      responseIdField: idPair.responseField.split("."),
      outstandingBound: exchange.outstandingIsRingCapacity ? Math.min(...[geometry.entries.x86_64, geometry.entries.x86_32].filter((entries) => entries > 0)) : outstandingBound,
      requesterRole: ring.requestProducer,
      responderRole: ring.responseProducer,
      slotBytes: geometry.slotBytes,
      entries: geometry.entries,
      ...(unchanged === undefined ? {} : { slotUnchanged: { clauseId: unchanged.qualifiedId, location: describeSpanLocation(unchanged.span, sources), ownerRole: unchanged.owner } }),
      span: exchange.span,
    };
    obligations.push(correlation);

    // `granted(binder.path, peer)` in an `until` guarantee on the request: a grant obligation per distinct path.
    for (const guarantee of requestGuarantees) {
      const subject = guarantee.subjects.find((candidate) => candidate.kind === "message" && candidate.message === ring.requestMessage);
      if (subject === undefined) continue;
      for (const statement of guarantee.statements) {
        if (statement.kind !== "until") continue;
        const paths = new Map<string, string[]>();
        for (const call of findCalls(statement.condition as Expression, "granted", [])) {
          const argument = call.arguments[0];
          const path = argument === undefined ? undefined : fieldPathBelowBinder(argument, subject.binder);
          if (path !== undefined && path.length > 0) paths.set(path.join("."), path);
        }
        const unmapBeforeResponse = findCalls(statement.event as Expression, "unmapped_all", []).length > 0;
        const writableWhen = writableConditionOf(protocol, statement.condition as Expression, subject.binder);
        const unmapped = findUnmappedClause(protocol, requestGuarantees, ring.responseProducer, sources);
        for (const path of paths.values()) {
          const grant: IrGrantObligation = {
            kind: "grant",
            clauseId: guarantee.qualifiedId,
            location: describeSpanLocation(guarantee.span, sources),
            channel: ring.name,
            requestRecord: ring.requestMessage,
            grantFieldPath: path,
            granterRole: guarantee.owner,
            unmapBeforeResponse,
            ...(writableWhen === undefined ? {} : { writableWhen }),
            ...(unmapped === undefined ? {} : { unmappedClause: unmapped }),
            span: guarantee.span,
          };
          obligations.push(grant);
        }
      }
    }

    if (exchange.progress !== undefined) {
      obligations.push({
        kind: "progress",
        clauseId: `${protocol.name}.${ring.name}.progress`,
        location: describeSpanLocation(exchange.progress.span, sources),
        channel: ring.name,
        milliseconds: Number(exchange.progress.nanoseconds / 1_000_000n),
        blamedRole: ring.responseProducer,
        span: exchange.progress.span,
      });
    }
    if (exchange.deadlineNanoseconds !== undefined) {
      // A `within` guarantee over the request message names the clause; the exchange's own deadline otherwise.
      const stated = requestGuarantees.find((guarantee) => guarantee.owner === ring.responseProducer && guarantee.statements.some((statement) => statement.kind === "within"));
      const span = stated?.span ?? exchange.span;
      const deadline: IrDeadlineObligation = {
        kind: "deadline",
        clauseId: stated?.qualifiedId ?? `${protocol.name}.${ring.name}.deadline`,
        location: describeSpanLocation(span, sources),
        channel: ring.name,
        milliseconds: Number(exchange.deadlineNanoseconds / 1_000_000n),
        blamedRole: ring.responseProducer,
        span,
      };
      obligations.push(deadline);
    }
  }
  // `padding_is_zero(binder)` in an invariant over one message.
  for (const guarantee of protocol.guarantees) {
    for (const subject of guarantee.subjects) {
      if (subject.kind !== "message") continue;
      const checksPadding = guarantee.statements.some(
        (statement) =>
          statement.kind === "invariant" &&
          findCalls(statement.condition as Expression, "padding_is_zero", []).some((call) => {
            const argument = call.arguments[0];
            return argument !== undefined && fieldPathBelowBinder(argument, subject.binder)?.length === 0;
          }),
      );
      if (!checksPadding) continue;
      obligations.push({ kind: "padding-zero", clauseId: guarantee.qualifiedId, location: describeSpanLocation(guarantee.span, sources), recordName: subject.message, blamedRole: guarantee.owner, span: guarantee.span });
    }
  }
  for (const guarantee of protocol.guarantees) {
    const location = describeSpanLocation(guarantee.span, sources);
    for (const statement of guarantee.statements) {
      // `at most N notify per T`: the owner's own notifications; a window under a millisecond rounds up to one.
      if (statement.kind === "rate" && statement.event.kind === "NameExpression" && statement.event.name.text === "notify") {
        obligations.push({
          kind: "event-budget",
          clauseId: guarantee.qualifiedId,
          location,
          role: guarantee.owner,
          maximumEvents: Number(statement.limit),
          windowMilliseconds: Math.max(1, Number(statement.windowNanoseconds / 1_000_000n)),
          span: guarantee.span,
        });
      }
      if (statement.kind !== "invariant") continue;
      for (const call of findCalls(statement.condition as Expression, "within_store_quota", [])) {
        const argument = call.arguments[0];
        if (argument?.kind !== "NameExpression" || argument.name.text !== guarantee.owner) continue;
        obligations.push({ kind: "store-quota", clauseId: guarantee.qualifiedId, location, role: guarantee.owner, span: guarantee.span });
      }
    }
  }
  const clauseLocations: Record<string, string> = {};
  for (const record of records) for (const clause of record.clauses) clauseLocations[clause.clauseId] = describeSpanLocation(clause.span, sources);
  return { obligations, clauseLocations, storeKeyClauses: lowerStoreKeyClauses(protocol, sources, describeSpanLocation) };
}
