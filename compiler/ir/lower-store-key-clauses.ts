// Lowers the store schema's `where` clauses (a key's `where value ...` and store-level `where`s)
// from the checked semantic model into IrStoreKeyClauses: every key a clause reads becomes a
// numeric slot, `value` the constrained key's slot, `peer.key` a slot of the peer's store, and
// `present(key)` a presence test. A clause using something the run time cannot evaluate (text
// comparisons, bit complement, quantifiers) is listed as unchecked with the reason.
import type { Span } from "../diagnostics/diagnostic.js";
import type { ProtocolModel, StoreKeyModel, StoreRoleModel } from "../semantic/model.js";
import { xenbusStateValue } from "../semantic/xenbus-states.js";
import type { Expression } from "../syntax/ast.js";

/** Spec texts by path (the monitor lowering's SpecSources), to quote and locate clauses. */
type SpecSources = ReadonlyMap<string, string>;
import { defaultValueOf } from "./store-key-defaults.js";
import type { IrStoreClauseExpression, IrStoreKeyClause, IrStoreKeyClauses, IrStoreKeySlot, IrUncheckedStoreKeyClause } from "./store-key-clauses.js";

/** Raised inside lowering for a construct the run-time check cannot evaluate. */
class NotEvaluable {
  constructor(readonly reason: string) {}
}

/** The slot table being built, with what each clause reads. */
class SlotCollector {
  readonly slots: IrStoreKeySlot[] = [];

  constructor(private readonly protocol: ProtocolModel) {}

  /** The slot of `role`'s key `key`, added on first use. */
  slotOf(role: string, key: string): number {
    const existing = this.slots.findIndex((slot) => slot.role === role && slot.key === key);
    if (existing >= 0) return existing;
    const store = this.protocol.stores.find((candidate) => candidate.role === role);
    const model = findSingleKey(store, key);
    // A member of a key family (`ring-ref0` of `ring-ref[...]`) holds the family's type.
    const family = model === undefined ? store?.keys.find((candidate) => candidate.familyRange !== undefined && new RegExp(`^${escapeRegExp(candidate.name)}[0-9]+$`).test(key)) : undefined;
    const chosen = model ?? family;
    if (chosen === undefined) throw new NotEvaluable(`reads '${role}.${key}', which is not a store key of ${role}`);
    const defaultValue = chosen.defaultValue === undefined ? undefined : evaluateDefault(this.protocol, chosen.defaultValue);
    const slot: IrStoreKeySlot = { role, key, kind: slotKindOf(chosen), ...(defaultValue === undefined ? {} : { defaultValue }) };
    this.slots.push(slot);
    return this.slots.length - 1;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function findSingleKey(store: StoreRoleModel | undefined, key: string): StoreKeyModel | undefined {
  return store?.keys.find((candidate) => candidate.name === key && candidate.familyRange === undefined);
}

function slotKindOf(key: StoreKeyModel): IrStoreKeySlot["kind"] {
  if (key.type.kind === "string" || key.type.kind === "abi") return "text";
  if (key.type.kind === "scalar" && key.type.scalar === "bool") return "bool";
  return "integer";
}

/** A default as the number a clause compares (booleans as 1 and 0); undefined when it has no numeric value. */
function evaluateDefault(protocol: ProtocolModel, expression: Expression): number | undefined {
  const value = defaultValueOf(protocol, expression);
  return typeof value === "boolean" ? (value ? 1 : 0) : typeof value === "number" ? value : undefined;
}

/** Lowers one clause's expression within one role's store; `constrainedKey` is what `value` names. */
class StoreExpressionLowering {
  readonly valueSlots = new Set<number>();
  readonly presentSlots = new Set<number>();

  constructor(
    private readonly protocol: ProtocolModel,
    private readonly collector: SlotCollector,
    private readonly role: string,
    private readonly constrainedKey: StoreKeyModel | undefined,
  ) {}

  lower(expression: Expression): IrStoreClauseExpression {
    switch (expression.kind) {
      case "IntegerLiteral":
        if (expression.value > BigInt(Number.MAX_SAFE_INTEGER)) throw new NotEvaluable(`uses the integer ${expression.value}, beyond 2^53`);
        return { kind: "integer-literal", value: Number(expression.value) };
      case "BooleanLiteral":
        return { kind: "boolean-literal", value: expression.value };
      case "ParenthesizedExpression":
        return this.lower(expression.expression);
      case "NameExpression":
        return this.lowerName(expression.name.text);
      case "MemberExpression":
        return this.lowerMember(expression);
      case "UnaryExpression":
        if (expression.operator === "~") throw new NotEvaluable("uses bitwise complement");
        return { kind: "unary", operator: expression.operator, operand: this.lower(expression.operand) };
      case "BinaryExpression": {
        if (expression.operator === "==>") return { kind: "binary", operator: "||", left: negate(this.lower(expression.left)), right: this.lower(expression.right) };
        if (expression.operator === "in") return this.lowerMembership(this.lower(expression.left), expression.right);
        return { kind: "binary", operator: expression.operator, left: this.lower(expression.left), right: this.lower(expression.right) };
      }
      case "CallExpression":
        return this.lowerCall(expression);
      case "DurationLiteral":
      case "StringLiteral":
      case "IndexExpression":
      case "RangeExpression":
      case "SetExpression":
      case "QuantifiedExpression":
        throw new NotEvaluable(`uses ${expression.kind.replace("Expression", "").replace("Literal", " literal").toLowerCase()}s`);
    }
  }

  private readValue(slot: number): IrStoreClauseExpression {
    if (this.collector.slots[slot]?.kind === "text") throw new NotEvaluable(`compares the text key '${this.collector.slots[slot]?.key}'`);
    this.valueSlots.add(slot);
    return { kind: "key-value", slot };
  }

  private lowerName(name: string): IrStoreClauseExpression {
    if (name === "value" && this.constrainedKey !== undefined) return this.readValue(this.collector.slotOf(this.role, this.constrainedKey.name));
    const store = this.protocol.stores.find((candidate) => candidate.role === this.role);
    if (findSingleKey(store, name) !== undefined) return this.readValue(this.collector.slotOf(this.role, name));
    const constant = this.protocol.constants.find((candidate) => candidate.name === name);
    if (constant !== undefined) {
      if (constant.valueKind !== "integer") throw new NotEvaluable(`reads the duration constant ${name}`);
      return { kind: "constant", name, value: Number(constant.value) };
    }
    // A bare enum member: of the constrained key's enum first, else the one enum declaring it.
    const keyEnum = this.constrainedKey?.type.kind === "enum" ? this.constrainedKey.type.enumName : undefined;
    const owners = this.protocol.enums.filter((enumeration) => enumeration.members.some((member) => member.name === name));
    const enumeration = owners.find((candidate) => candidate.name === keyEnum) ?? (owners.length === 1 ? owners[0] : undefined);
    const member = enumeration?.members.find((candidate) => candidate.name === name);
    if (enumeration !== undefined && member !== undefined) return { kind: "enum-member", enumName: enumeration.name, memberName: member.name, value: Number(member.value) };
    throw new NotEvaluable(`reads '${name}', which is neither a key of ${this.role} nor a constant`);
  }

  /** `peer.key` (or `role.key` of the clause's own role) and `Enum.member`. */
  private keyReferenceOf(expression: Expression): { readonly role: string; readonly key: string } | undefined {
    if (expression.kind === "ParenthesizedExpression") return this.keyReferenceOf(expression.expression);
    if (expression.kind === "NameExpression") return { role: this.role, key: expression.name.text };
    if (expression.kind === "MemberExpression" && expression.object.kind === "NameExpression") {
      const roleName = expression.object.name.text;
      if (this.protocol.roles.some((role) => role.name === roleName)) return { role: roleName, key: expression.member.text };
    }
    return undefined;
  }

  private lowerMember(expression: Expression & { kind: "MemberExpression" }): IrStoreClauseExpression {
    if (expression.object.kind === "NameExpression") {
      const objectName = expression.object.name.text;
      const enumeration = this.protocol.enums.find((candidate) => candidate.name === objectName);
      const member = enumeration?.members.find((candidate) => candidate.name === expression.member.text);
      if (enumeration !== undefined && member !== undefined) return { kind: "enum-member", enumName: enumeration.name, memberName: member.name, value: Number(member.value) };
    }
    const reference = this.keyReferenceOf(expression);
    if (reference === undefined) throw new NotEvaluable(`reads '${expression.member.text}' of something other than a role's store`);
    return this.readValue(this.collector.slotOf(reference.role, reference.key));
  }

  private lowerCall(expression: Expression & { kind: "CallExpression" }): IrStoreClauseExpression {
    const argument = expression.arguments[0];
    if (expression.callee.text !== "present" || argument === undefined) throw new NotEvaluable(`calls ${expression.callee.text}(...), which only monitors of messages evaluate`);
    const reference = this.keyReferenceOf(argument);
    if (reference === undefined) throw new NotEvaluable("asks present(...) of something other than a store key");
    const slot = this.collector.slotOf(reference.role, reference.key);
    this.presentSlots.add(slot);
    return { kind: "key-present", slot };
  }

  private lowerMembership(left: IrStoreClauseExpression, container: Expression): IrStoreClauseExpression {
    let target = container;
    while (target.kind === "ParenthesizedExpression") target = target.expression;
    if (target.kind === "SetExpression") {
      const tests = target.elements.map((element): IrStoreClauseExpression => ({ kind: "binary", operator: "==", left, right: this.lower(element) }));
      const [first, ...rest] = tests;
      if (first === undefined) return { kind: "boolean-literal", value: false };
      return rest.reduce<IrStoreClauseExpression>((combined, next) => ({ kind: "binary", operator: "||", left: combined, right: next }), first);
    }
    if (target.kind === "RangeExpression") {
      const lower: IrStoreClauseExpression = { kind: "binary", operator: "<=", left: this.lower(target.start), right: left };
      const upper: IrStoreClauseExpression = { kind: "binary", operator: target.inclusive ? "<=" : "<", left, right: this.lower(target.end) };
      return { kind: "binary", operator: "&&", left: lower, right: upper };
    }
    throw new NotEvaluable("tests membership in something other than a set or a range");
  }
}

function negate(operand: IrStoreClauseExpression): IrStoreClauseExpression {
  return operand.kind === "unary" && operand.operator === "!" ? operand.operand : { kind: "unary", operator: "!", operand };
}

/** The spec text of a span, whitespace collapsed (what a refusal quotes). */
function sourceTextOf(span: Span, sources: SpecSources): string {
  const text = sources.get(span.file);
  return text === undefined ? "" : text.slice(span.start, span.end).replace(/\s+/g, " ").trim();
}

/**
 * XenBus states whose entry by `role` publishes (per the lifecycle's `publishes`) one of
 * `keys`, or a key naming a channel one of `keys` names: by then the clause must be decided.
 */
function dueStatesOf(protocol: ProtocolModel, role: string, keys: ReadonlySet<string>): number[] {
  const store = protocol.stores.find((candidate) => candidate.role === role);
  const channels = new Set((store?.keys ?? []).filter((key) => keys.has(key.name)).flatMap((key) => key.forChannels));
  const namesChannel = (keyName: string): boolean => (store?.keys ?? []).some((key) => key.name === keyName && key.forChannels.some((channel) => channels.has(channel)));
  const states = new Set<number>();
  for (const transition of protocol.lifecycle?.roles.find((candidate) => candidate.role === role)?.machine.transitions ?? []) {
    const state = xenbusStateValue(transition.to);
    if (state === undefined) continue;
    if (transition.publishes.some((keyName) => keys.has(keyName) || namesChannel(keyName))) states.add(state);
  }
  return [...states].sort((left, right) => left - right);
}

/**
 * Every store key clause of a protocol, lowered for the run time; unevaluable ones are listed with
 * the reason. `describeLocation` writes a span as "file:line:col" (the monitor lowering's own).
 */
export function lowerStoreKeyClauses(protocol: ProtocolModel, sources: SpecSources, describeLocation: (span: Span, sources: SpecSources) => string): IrStoreKeyClauses {
  const collector = new SlotCollector(protocol);
  const clauses: IrStoreKeyClause[] = [];
  const unchecked: IrUncheckedStoreKeyClause[] = [];
  for (const store of protocol.stores) {
    const entries: { readonly clauseId: string; readonly key: StoreKeyModel | undefined; readonly condition: Expression }[] = [
      ...store.keys.filter((key) => key.constraint !== undefined && key.familyRange === undefined).map((key) => ({ clauseId: `${protocol.name}.${store.role}.${key.name}`, key, condition: key.constraint as Expression })),
      ...store.constraints.map((constraint) => ({ clauseId: `${protocol.name}.${store.role}.${constraint.label}`, key: undefined, condition: constraint.condition })),
    ];
    for (const entry of entries) {
      // Slots added for a clause that turns out unevaluable stay in the table unread; harmless.
      const lowering = new StoreExpressionLowering(protocol, collector, store.role, entry.key);
      let expression: IrStoreClauseExpression;
      let keySlot = -1;
      try {
        if (entry.key !== undefined) keySlot = collector.slotOf(store.role, entry.key.name);
        expression = lowering.lower(entry.condition);
      } catch (error) {
        if (!(error instanceof NotEvaluable)) throw error;
        unchecked.push({ clauseId: entry.clauseId, reason: error.reason, span: entry.condition.span });
        continue;
      }
      const read = [...new Set([...(keySlot >= 0 ? [keySlot] : []), ...lowering.valueSlots, ...lowering.presentSlots])];
      const ownSlots = read.filter((slot) => collector.slots[slot]?.role === store.role);
      const peerSlots = read.filter((slot) => collector.slots[slot]?.role !== store.role);
      const ownKeys = new Set(ownSlots.map((slot) => collector.slots[slot]?.key ?? ""));
      clauses.push({
        clauseId: entry.clauseId,
        role: store.role,
        key: entry.key?.name,
        keySlot,
        expression,
        ownSlots,
        peerSlots,
        valueSlots: [...lowering.valueSlots],
        presentSlots: [...lowering.presentSlots],
        dueInStates: dueStatesOf(protocol, store.role, ownKeys),
        text: sourceTextOf(entry.condition.span, sources),
        location: describeLocation(entry.condition.span, sources),
        span: entry.condition.span,
      });
    }
  }
  return { slots: collector.slots, clauses, unchecked };
}
