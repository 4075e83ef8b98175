// Guarantees: each clause names an existing owner role and a protocol-unique stable id, binds
// subjects to messages, rings or streams, types its statements, and has a bounded cost per
// event (every quantifier bounded, so a monitor's work per message has a known maximum).
import type { Expression, GuaranteeDeclaration } from "../syntax/ast.js";
import { constantFolderFor } from "./analyze-declarations.js";
import { createScope, ExpressionChecker, type ScopeEntry } from "./check-expressions.js";
import type { GuaranteeModel, GuaranteeStatementModel, GuaranteeSubjectModel } from "./model.js";
import type { ProtocolContext } from "./protocol-context.js";
import { didYouMean } from "./suggest-names.js";
import { splitUnmapInvariant } from "./unmap-exemptions.js";
import { describeValueType, errorType, eventType } from "./value-types.js";

export function checkGuarantees(context: ProtocolContext): GuaranteeModel[] {
  const models: GuaranteeModel[] = [];
  const ids = new Map<string, GuaranteeDeclaration>();
  for (const member of context.protocol.members) {
    if (member.kind !== "GuaranteeDeclaration") continue;
    const previous = ids.get(member.id.text);
    if (previous !== undefined) {
      context.sink.report("PD4030", member.id.span, `guarantee id '${member.id.text}' is already used in protocol ${context.name}; ids name clauses in blame records and must be unique`, {
        related: [{ span: previous.id.span, message: "first used here" }],
      });
      continue;
    }
    ids.set(member.id.text, member);
    const model = checkGuarantee(context, member);
    if (model !== undefined) models.push(model);
  }
  return models;
}

function checkGuarantee(context: ProtocolContext, guarantee: GuaranteeDeclaration): GuaranteeModel | undefined {
  const owner = context.requireRole(guarantee.owner, `the owner of guarantee ${guarantee.id.text}`);
  const errorsBefore = context.sink.errorCount;
  const entries = new Map<string, ScopeEntry>([["notify", { type: eventType }]]);
  const subjects: GuaranteeSubjectModel[] = [];
  for (const subject of guarantee.subjects) {
    const [name, ...rest] = subject.subjectType.parts;
    if (name === undefined) continue;
    if (entries.has(subject.binder.text) && subject.binder.text !== "notify" && guarantee.subjects.find((other) => other.binder.text === subject.binder.text) !== subject) {
      context.sink.report("PD2002", subject.binder.span, `'${subject.binder.text}' is already bound in this guarantee`);
      continue;
    }
    // Until proven otherwise the binder has the error type, so its uses add no follow-on findings.
    entries.set(subject.binder.text, { type: errorType });
    const declaration = rest.length > 0 ? undefined : context.declarations.get(name.text);
    if (declaration === undefined) {
      const candidates = [...context.declarations.values()].filter((entry) => entry.kind === "StructDeclaration" || entry.kind === "RingDeclaration" || entry.kind === "StreamDeclaration" || entry.kind === "PacketDeclaration").map((entry) => entry.name.text);
      context.sink.report("PD2001", subject.subjectType.span, `unknown subject '${subject.subjectType.parts.map((part) => part.text).join(".")}'${didYouMean(name.text, candidates)}`);
      continue;
    }
    if (declaration.kind === "StructDeclaration" && declaration.isMessage) {
      entries.set(subject.binder.text, { type: { kind: "record", recordName: name.text } });
      subjects.push({ kind: "message", binder: subject.binder.text, message: name.text });
    } else if (declaration.kind === "RingDeclaration") {
      entries.set(subject.binder.text, { type: { kind: "channel", channel: name.text } });
      subjects.push({ kind: "ring", binder: subject.binder.text, ring: name.text });
    } else if (declaration.kind === "PacketDeclaration") {
      entries.set(subject.binder.text, { type: { kind: "packet", packet: name.text } });
      subjects.push({ kind: "packet", binder: subject.binder.text, packet: name.text });
    } else if (declaration.kind === "StreamDeclaration") {
      entries.set(subject.binder.text, { type: { kind: "channel", channel: name.text } });
      subjects.push({ kind: "stream", binder: subject.binder.text, stream: name.text });
    } else {
      context.sink.report("PD4032", subject.subjectType.span, `a guarantee is about a message, a packet, a ring or a stream; '${name.text}' is none of these`);
    }
  }
  const scope = createScope(entries);
  const checker = new ExpressionChecker(context, { allowStates: true });
  const expectEvent = (expression: import("../syntax/ast.js").Expression): void => {
    const type = checker.check(expression, scope);
    if (type.kind !== "event" && type.kind !== "error") context.sink.report("PD4034", expression.span, `expected an event such as answered(request), unmapped(g) or notify, but this is ${describeValueType(type)}`);
  };
  const positiveDuration = (expression: import("../syntax/ast.js").Expression, code: "PD4024" | "PD4033"): bigint | undefined => {
    const folded = constantFolderFor(context).fold(expression);
    if (folded === undefined) return undefined;
    if (folded.kind !== "duration" || folded.value <= 0n) {
      context.sink.report(code, expression.span, "this must be a positive constant duration such as `30s`");
      return undefined;
    }
    return folded.value;
  };
  const statements: GuaranteeStatementModel[] = [];
  let work = 0;
  for (const statement of guarantee.statements) {
    switch (statement.kind) {
      case "InvariantStatement": {
        const errorsBeforeCondition = context.sink.errorCount;
        work += checker.checkCondition(statement.condition, scope, "a guarantee statement");
        reportForeignStoreQuota(context, statement.condition, owner);
        // A condition that already failed to type-check gets no second finding about its shape.
        if (context.sink.errorCount === errorsBeforeCondition) reportUnsupportedUnmapExemption(context, statement.condition);
        statements.push({ kind: "invariant", span: statement.span, condition: statement.condition });
        break;
      }
      case "UntilStatement":
        work += checker.checkCondition(statement.condition, scope, "the condition before `until`");
        expectEvent(statement.event);
        work += checker.workOf(statement.event);
        statements.push({ kind: "until", span: statement.span, condition: statement.condition, event: statement.event });
        break;
      case "WithinStatement": {
        expectEvent(statement.event);
        work += checker.workOf(statement.event);
        const deadline = positiveDuration(statement.deadline, "PD4024");
        if (deadline !== undefined) statements.push({ kind: "within", span: statement.span, event: statement.event, deadlineNanoseconds: deadline });
        break;
      }
      case "RateStatement": {
        expectEvent(statement.event);
        work += checker.workOf(statement.event);
        const limit = constantFolderFor(context).fold(statement.limit);
        const window = positiveDuration(statement.window, "PD4033");
        if (limit !== undefined && (limit.kind !== "integer" || limit.value < 1n)) {
          context.sink.report("PD4033", statement.limit.span, "a rate's count must be a positive constant integer");
          break;
        }
        if (limit !== undefined && window !== undefined) statements.push({ kind: "rate", span: statement.span, limit: limit.value, event: statement.event, windowNanoseconds: window });
        break;
      }
    }
  }
  if (owner === undefined || context.sink.errorCount > errorsBefore) return undefined;
  return {
    id: guarantee.id.text,
    qualifiedId: `${context.name}.${guarantee.id.text}`,
    owner,
    span: guarantee.id.span,
    subjects,
    statements,
    maximumWorkPerEvent: work,
    doc: guarantee.doc?.text,
  };
}

/** `within_store_quota(R)` blames R, so only R may own it (PD4035). */
function reportForeignStoreQuota(context: ProtocolContext, condition: Expression, owner: string | undefined): void {
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const element of node) visit(element);
      return;
    }
    const expression = node as Expression;
    if (expression.kind === "CallExpression" && expression.callee.text === "within_store_quota") {
      const argument = expression.arguments[0];
      if (owner !== undefined && argument?.kind === "NameExpression" && context.roles.has(argument.name.text) && argument.name.text !== owner) {
        context.sink.report("PD4035", argument.span, `${owner} cannot guarantee ${argument.name.text}'s store quota: a quota error blames the role that made the request`, {
          notes: [`write this guarantee \`by ${argument.name.text}\``],
        });
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== "span") visit(value);
  };
  visit(condition);
}

/**
 * An invariant requiring `unmapped_all(...)` is checked by monitors, which can relax it only by
 * exemptions they can read from the store (PD4036); any other form would have to be dropped,
 * blaming honest responders or missing real violations, so it is refused here.
 */
function reportUnsupportedUnmapExemption(context: ProtocolContext, condition: Expression): void {
  const shape = splitUnmapInvariant(condition, { isRole: (name) => context.roles.has(name), findStoreKey: (role, key) => context.findStoreKey(role, key) });
  if (shape.kind === "unsupported") context.sink.report("PD4036", shape.span, shape.message);
}
