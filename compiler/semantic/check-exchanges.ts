// Exchanges: how requests on a ring are answered — correlation fields that exist on both
// messages (in every variant) with the same type, exactly-once, ordering, a positive
// deadline and an outstanding bound the ring can hold.
import type { Expression, ExchangeDeclaration, QualifiedName } from "../syntax/ast.js";
import { constantFolderFor } from "./analyze-declarations.js";
import { createScope, ExpressionChecker } from "./check-expressions.js";
import type { ExchangeModel, FieldModel, FieldTypeModel, RecordModel, RingModel } from "./model.js";
import type { ProtocolContext } from "./protocol-context.js";
import { didYouMean } from "./suggest-names.js";

/** Whether a field with this name exists whatever variant the record's switches select. */
export function fieldInEveryVariant(record: RecordModel, name: string): FieldModel | undefined {
  const matches = record.fields.filter((field) => field.name === name);
  const common = matches.find((field) => field.variantPath.length === 0);
  if (common !== undefined) return common;
  const topSwitch = record.switches[0];
  if (topSwitch === undefined || matches.length === 0) return undefined;
  const everyCase = topSwitch.cases.every((entry) =>
    matches.some((field) => field.variantPath[0]?.discriminant === topSwitch.discriminant && field.variantPath[0].labels.join(",") === entry.labels.join(",") && field.variantPath[0].isDefault === entry.isDefault),
  );
  return everyCase ? matches[0] : undefined;
}

function sameFieldType(left: FieldTypeModel, right: FieldTypeModel): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

function describeFieldType(type: FieldTypeModel): string {
  switch (type.kind) {
    case "scalar": return type.scalar;
    case "enum": return type.enumName;
    case "record": return type.recordName;
    case "array": return `${describeFieldType(type.element)}[${type.capacity}]`;
    case "padding": return `pad[${type.bytes}]`;
  }
}

function unwrap(expression: Expression): Expression {
  let current = expression;
  while (current.kind === "ParenthesizedExpression") current = current.expression;
  return current;
}

function matchesRecord(name: QualifiedName, record: string): boolean {
  return name.parts.length === 1 && name.parts[0]?.text === record;
}

export function checkExchanges(context: ProtocolContext): ExchangeModel[] {
  const models: ExchangeModel[] = [];
  const byRing = new Map<string, ExchangeDeclaration>();
  for (const member of context.protocol.members) {
    if (member.kind !== "ExchangeDeclaration") continue;
    const ring = context.ringModels.get(member.channel.text);
    if (ring === undefined) {
      const declaration = context.declarations.get(member.channel.text);
      if (declaration?.kind === "RingDeclaration") continue; // The ring has its own diagnostics.
      const rings = [...context.declarations.values()].filter((entry) => entry.kind === "RingDeclaration").map((entry) => entry.name.text);
      context.sink.report("PD4020", member.channel.span, declaration === undefined
        ? `unknown ring '${member.channel.text}'${didYouMean(member.channel.text, rings)}`
        : `'${member.channel.text}' is not a request/response ring`);
      continue;
    }
    const previous = byRing.get(ring.name);
    if (previous !== undefined) {
      context.sink.report("PD4026", member.channel.span, `ring ${ring.name} already has an exchange`, { related: [{ span: previous.channel.span, message: "the first exchange" }] });
      continue;
    }
    byRing.set(ring.name, member);
    const model = checkExchange(context, member, ring);
    if (model !== undefined) models.push(model);
  }
  return models;
}

function checkExchange(context: ProtocolContext, exchange: ExchangeDeclaration, ring: RingModel): ExchangeModel | undefined {
  let typesMatch = true;
  if (!matchesRecord(exchange.requestType, ring.requestMessage)) {
    context.sink.report("PD4021", exchange.requestType.span, `the exchange's request type must be ${ring.requestMessage}, the request ring ${ring.name} carries`);
    typesMatch = false;
  }
  if (!matchesRecord(exchange.responseType, ring.responseMessage)) {
    context.sink.report("PD4021", exchange.responseType.span, `the exchange's response type must be ${ring.responseMessage}, the response ring ${ring.name} carries`);
    typesMatch = false;
  }
  const request = context.recordModels.get(ring.requestMessage);
  const response = context.recordModels.get(ring.responseMessage);
  if (!typesMatch || request === undefined || response === undefined) return undefined;
  const seen = new Map<string, import("../diagnostics/diagnostic.js").Span>();
  const once = (kind: string, span: import("../diagnostics/diagnostic.js").Span): boolean => {
    const earlier = seen.get(kind);
    if (earlier !== undefined) {
      context.sink.report("PD4026", span, `this exchange already states its ${kind}`, { related: [{ span: earlier, message: "stated first here" }] });
      return false;
    }
    seen.set(kind, span);
    return true;
  };
  const checker = new ExpressionChecker(context, { allowStates: false });
  const scope = createScope(new Map([
    ["request", { type: { kind: "record", recordName: request.name } as const }],
    ["response", { type: { kind: "record", recordName: response.name } as const }],
  ]));
  const correlation: { responseField: string; requestField: string }[] = [];
  let exactlyOnce = false;
  let ordered: boolean | undefined;
  let deadlineNanoseconds: bigint | undefined;
  let outstandingLimit: bigint | undefined;
  let outstandingIsRingCapacity = false;
  let progress: { nanoseconds: bigint; span: import("../diagnostics/diagnostic.js").Span } | undefined;
  for (const member of exchange.members) {
    switch (member.kind) {
      case "CorrelateMember": {
        if (!once("correlation", member.span)) break;
        const errorsBefore = context.sink.errorCount;
        checker.checkCondition(member.condition, scope, "a correlation");
        if (context.sink.errorCount > errorsBefore) break;
        collectCorrelation(context, member.condition, request, response, correlation);
        break;
      }
      case "ExactlyOnceMember":
        if (once("exactly-once rule", member.span)) exactlyOnce = true;
        break;
      case "OrderingMember":
        if (once("ordering", member.span)) ordered = member.ordered;
        break;
      case "DeadlineMember": {
        if (!once("deadline", member.span)) break;
        const folded = constantFolderFor(context).fold(member.duration);
        if (folded === undefined) break;
        if (folded.kind !== "duration" || folded.value <= 0n) {
          context.sink.report("PD4024", member.duration.span, folded.kind !== "duration" ? "a deadline is a duration such as `30s`" : "a deadline must be positive");
          break;
        }
        deadlineNanoseconds = folded.value;
        break;
      }
      case "ProgressMember": {
        if (!once("progress window", member.span)) break;
        const folded = constantFolderFor(context).fold(member.window);
        if (folded === undefined) break;
        if (folded.kind !== "duration" || folded.value <= 0n) {
          context.sink.report("PD4024", member.window.span, folded.kind !== "duration" ? "a progress window is a duration such as `10s`" : "a progress window must be positive");
          break;
        }
        progress = { nanoseconds: folded.value, span: member.span };
        break;
      }
      case "OutstandingMember": {
        if (!once("outstanding bound", member.span)) break;
        const limit = unwrap(member.limit);
        if (limit.kind === "CallExpression" && limit.callee.text === "entries") {
          // `entries(ring)`: as many as the ring holds at its negotiated order, the natural bound.
          const argument = limit.arguments[0];
          if (limit.arguments.length !== 1 || argument?.kind !== "NameExpression" || argument.name.text !== ring.name) {
            context.sink.report("PD4025", member.limit.span, `write the ring's own capacity as entries(${ring.name})`);
            break;
          }
          outstandingIsRingCapacity = true;
          break;
        }
        const folded = constantFolderFor(context).fold(member.limit);
        if (folded === undefined) break;
        const capacity = Math.max(...[...ring.geometry.values()].flatMap((geometry) => geometry.byOrder.map((order) => order.entries)));
        if (folded.kind !== "integer" || folded.value < 1n || folded.value > BigInt(capacity)) {
          context.sink.report("PD4025", member.limit.span, `the outstanding bound must be between 1 and ${capacity} (the most entries ring ${ring.name} can have)`);
          break;
        }
        outstandingLimit = folded.value;
        break;
      }
    }
  }
  if (progress !== undefined && deadlineNanoseconds !== undefined && progress.nanoseconds >= deadlineNanoseconds) {
    context.sink.report("PD4028", progress.span, "this progress window is not shorter than the exchange's deadline, so the deadline always fires first", {
      notes: ["make the progress window shorter than the deadline, or drop it"],
    });
  }
  return { ring: ring.name, span: exchange.span, requestMessage: request.name, responseMessage: response.name, correlation, exactlyOnce, ordered, deadlineNanoseconds, outstandingLimit, outstandingIsRingCapacity, progress };
}

function collectCorrelation(context: ProtocolContext, condition: Expression, request: RecordModel, response: RecordModel, into: { responseField: string; requestField: string }[]): void {
  const expression = unwrap(condition);
  if (expression.kind === "BinaryExpression" && expression.operator === "&&") {
    collectCorrelation(context, expression.left, request, response, into);
    collectCorrelation(context, expression.right, request, response, into);
    return;
  }
  const sideOf = (side: Expression): { binder: string; field: string; span: import("../diagnostics/diagnostic.js").Span } | undefined => {
    const node = unwrap(side);
    if (node.kind !== "MemberExpression" || node.object.kind !== "NameExpression") return undefined;
    return { binder: node.object.name.text, field: node.member.text, span: node.member.span };
  };
  if (expression.kind !== "BinaryExpression" || expression.operator !== "==") {
    context.sink.report("PD4027", expression.span, "a correlation is a conjunction of `response.field == request.field`");
    return;
  }
  const left = sideOf(expression.left);
  const right = sideOf(expression.right);
  const responseSide = left?.binder === "response" ? left : right?.binder === "response" ? right : undefined;
  const requestSide = left?.binder === "request" ? left : right?.binder === "request" ? right : undefined;
  if (responseSide === undefined || requestSide === undefined) {
    context.sink.report("PD4027", expression.span, "a correlation compares a response field with a request field");
    return;
  }
  const responseField = fieldInEveryVariant(response, responseSide.field);
  const requestField = fieldInEveryVariant(request, requestSide.field);
  if (responseField === undefined) context.sink.report("PD4022", responseSide.span, `${response.name} does not have '${responseSide.field}' in every variant`);
  if (requestField === undefined) context.sink.report("PD4022", requestSide.span, `${request.name} does not have '${requestSide.field}' in every variant`);
  if (responseField === undefined || requestField === undefined) return;
  if (!sameFieldType(responseField.type, requestField.type)) {
    context.sink.report("PD4023", expression.span, `${response.name}.${responseField.name} is ${describeFieldType(responseField.type)} but ${request.name}.${requestField.name} is ${describeFieldType(requestField.type)}`);
    return;
  }
  const mismatch = request.fields.filter((field) => field.name === requestField.name).find((field) => !sameFieldType(field.type, requestField.type));
  if (mismatch !== undefined) {
    context.sink.report("PD4023", mismatch.span, `'${requestField.name}' has different types in different variants of ${request.name}`);
    return;
  }
  into.push({ responseField: responseField.name, requestField: requestField.name });
}
