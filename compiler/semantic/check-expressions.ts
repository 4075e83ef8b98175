// Typing of expressions in where constraints, store constraints, guards, exchanges and
// guarantees: resolves every name against a chain of scopes and the protocol's declarations,
// checks operator and built-in argument types, and bounds every quantifier so that each
// predicate costs a bounded amount of work per message.
import type { CallExpression, Expression, Identifier, QuantifiedExpression } from "../syntax/ast.js";
import { DiagnosticSink } from "./diagnostic-sink.js";
import { constantFolderFor } from "./analyze-declarations.js";
import { storeKeyUpperBound } from "./store-key-bound.js";
import { describeDeclarationKind, type ProtocolContext } from "./protocol-context.js";
import { didYouMean } from "./suggest-names.js";
import {
  areComparable,
  areOrdered,
  booleanType,
  describeValueType,
  durationType,
  errorType,
  eventType,
  rangeType,
  stateType,
  stringType,
  untypedInteger,
  type ValueType,
} from "./value-types.js";
import { xenbusStates } from "./xenbus-states.js";

/** The shared ring header's indices a guarantee may read (Xen io/ring.h). */
export const ringIndexNames = ["req_prod", "req_event", "rsp_prod", "rsp_event"] as const;

export interface ScopeEntry {
  readonly type: ValueType;
  /** Largest value the name can have, when known (quantifier bounds). */
  readonly upperBound?: number | undefined;
}

export interface Scope {
  readonly entries: ReadonlyMap<string, ScopeEntry>;
  readonly parent: Scope | undefined;
}

export function createScope(entries: ReadonlyMap<string, ScopeEntry>, parent?: Scope): Scope {
  return { entries, parent };
}

function lookUp(scope: Scope | undefined, name: string): ScopeEntry | undefined {
  for (let current = scope; current !== undefined; current = current.parent) {
    const entry = current.entries.get(name);
    if (entry !== undefined) return entry;
  }
  return undefined;
}

function namesIn(scope: Scope | undefined): string[] {
  const names: string[] = [];
  for (let current = scope; current !== undefined; current = current.parent) names.push(...current.entries.keys());
  return names;
}

export interface CheckOptions {
  /** XenBus state names (Connected, ...) are values here: guards, data phase, guarantees. */
  readonly allowStates: boolean;
}

/** Upper bound on steps to evaluate an expression once; quantifiers multiply. */
export type WorkBound = number;

interface BuiltinSignature {
  readonly parameters: readonly (ValueType["kind"] | "any" | "collection")[];
  readonly result: ValueType;
  readonly summary: string;
}

/** The built-in functions and predicates of the expression language (docs/semantics.md lists them). */
export const builtinFunctions: ReadonlyMap<string, BuiltinSignature> = new Map<string, BuiltinSignature>([
  ["granted", { parameters: ["grant", "role"], result: booleanType, summary: "the grant is live for the role" }],
  ["readable", { parameters: ["grant", "role"], result: booleanType, summary: "the role may map the grant for reading" }],
  ["writable", { parameters: ["grant", "role"], result: booleanType, summary: "the role may map the grant for writing" }],
  ["mapped", { parameters: ["grant"], result: booleanType, summary: "the grant is currently mapped by the peer" }],
  ["padding_is_zero", { parameters: ["record"], result: booleanType, summary: "every padding byte of the message is zero" }],
  ["present", { parameters: ["any"], result: booleanType, summary: "the store key exists" }],
  ["within_store_quota", { parameters: ["role"], result: booleanType, summary: "no store request of the role fails for lack of quota (EQUOTA, ENOSPC)" }],
  ["answered", { parameters: ["record"], result: eventType, summary: "the response to this request was produced" }],
  ["unmapped", { parameters: ["grant"], result: eventType, summary: "the peer unmapped the grant" }],
  ["unmapped_all", { parameters: ["record"], result: eventType, summary: "the peer unmapped every grant the request names" }],
  ["consumed", { parameters: ["record"], result: eventType, summary: "the peer consumed (copied) the request's slot" }],
  ["unchanged", { parameters: ["record"], result: booleanType, summary: "the message's slot still holds the bytes first published" }],
  ["entries", { parameters: ["channel"], result: untypedInteger, summary: "number of entries of the ring at its negotiated page order" }],
  ["dropped_as_malformed", { parameters: ["packet"], result: eventType, summary: "the receiver dropped the packet as malformed" }],
  ["count", { parameters: ["collection"], result: untypedInteger, summary: "number of slots of a repeated packet part (or elements of an array)" }],
  ["sum", { parameters: ["collection"], result: untypedInteger, summary: "sum of an integer field across a repeated packet part" }],
]);

export class ExpressionChecker {
  private readonly quantifierBounds = new Map<QuantifiedExpression, number>();

  constructor(
    private readonly context: ProtocolContext,
    private readonly options: CheckOptions,
  ) {}

  /** Checks a condition: it must be boolean. Returns the work bound of evaluating it. */
  checkCondition(expression: Expression, scope: Scope | undefined, what: string): WorkBound {
    const type = this.check(expression, scope);
    if (type.kind !== "boolean" && type.kind !== "event" && type.kind !== "error") {
      this.context.sink.report("PD2031", expression.span, `${what} must be a boolean condition, but this is ${describeValueType(type)}`);
    }
    return this.workOf(expression);
  }

  /**
   * `enumHint` names the enum of the other operand of a comparison: there, bare member names
   * of that enum resolve (`operation == read`, `op in {read, write}`).
   */
  check(expression: Expression, scope: Scope | undefined, enumHint?: string): ValueType {
    const type = this.infer(expression, scope, enumHint);
    this.context.expressionTypes.set(expression, type);
    return type;
  }

  private report(...args: Parameters<DiagnosticSink["report"]>): ValueType {
    this.context.sink.report(...args);
    return errorType;
  }

  private infer(expression: Expression, scope: Scope | undefined, enumHint: string | undefined): ValueType {
    switch (expression.kind) {
      case "IntegerLiteral": return untypedInteger;
      case "DurationLiteral": return durationType;
      case "StringLiteral": return stringType;
      case "BooleanLiteral": return booleanType;
      case "ParenthesizedExpression": return this.check(expression.expression, scope, enumHint);
      case "NameExpression": return this.resolveName(expression.name, scope, enumHint);
      case "MemberExpression": return this.inferMember(expression, scope);
      case "IndexExpression": {
        const object = this.check(expression.object, scope);
        const index = this.check(expression.index, scope);
        if (index.kind !== "integer" && index.kind !== "error") return this.report("PD2033", expression.index.span, `an index must be an integer, not ${describeValueType(index)}`);
        if (object.kind === "array" || object.kind === "sequence") return object.element;
        if (object.kind === "error") return errorType;
        return this.report("PD2033", expression.object.span, `only arrays can be indexed; this is ${describeValueType(object)}`);
      }
      case "CallExpression": return this.inferCall(expression, scope);
      case "UnaryExpression": {
        const operand = this.check(expression.operand, scope);
        if (operand.kind === "error") return errorType;
        if (expression.operator === "!") {
          if (operand.kind !== "boolean" && operand.kind !== "event") return this.report("PD2030", expression.span, `'!' needs a boolean, not ${describeValueType(operand)}`);
          return booleanType;
        }
        if (operand.kind !== "integer" && !(expression.operator === "-" && operand.kind === "duration")) {
          return this.report("PD2030", expression.span, `'${expression.operator}' needs an integer, not ${describeValueType(operand)}`);
        }
        return operand.kind === "duration" ? durationType : untypedInteger;
      }
      case "BinaryExpression": return this.inferBinary(expression, scope);
      case "RangeExpression": {
        for (const end of [expression.start, expression.end]) {
          const type = this.check(end, scope);
          if (type.kind !== "integer" && type.kind !== "error") this.report("PD2030", end.span, `a range bound must be an integer, not ${describeValueType(type)}`);
        }
        return rangeType;
      }
      case "SetExpression": {
        let element: ValueType | undefined;
        for (const item of expression.elements) {
          const type = this.check(item, scope, enumHint);
          if (element === undefined || element.kind === "error") element = type;
          else if (!areComparable(element, type)) this.report("PD2030", item.span, `set elements must have one type: ${describeValueType(element)} and ${describeValueType(type)} mix`);
        }
        return { kind: "set", element: element ?? errorType };
      }
      case "QuantifiedExpression": return this.inferQuantifier(expression, scope);
      default: {
        const unreachable: never = expression;
        throw new Error(`unknown expression ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private resolveName(name: Identifier, scope: Scope | undefined, enumHint: string | undefined): ValueType {
    const entry = lookUp(scope, name.text);
    if (entry !== undefined) return entry.type;
    const context = this.context;
    if (enumHint !== undefined) {
      const hinted = context.enumModels.get(enumHint);
      if (hinted?.members.some((member) => member.name === name.text) === true) return { kind: "integer", scalar: hinted.baseType, enumName: enumHint };
    }
    if (context.roles.has(name.text)) return { kind: "role", role: name.text };
    if (this.options.allowStates && xenbusStates.some((state) => state.name === name.text)) return stateType;
    const declaration = context.declarations.get(name.text);
    if (declaration !== undefined) {
      switch (declaration.kind) {
        case "ConstDeclaration": {
          const value = context.constantValues.get(name.text);
          return typeof value === "object" && value.kind === "duration" ? durationType : value === "failed" ? errorType : untypedInteger;
        }
        case "EnumDeclaration": return { kind: "enum-type", enumName: name.text };
        case "RingDeclaration":
        case "StreamDeclaration": return { kind: "channel", channel: name.text };
        case "PacketDeclaration": return { kind: "packet", packet: name.text };
        default:
          return this.report("PD2036", name.span, `'${name.text}' is a ${describeDeclarationKind(declaration)} type, not a value here`);
      }
    }
    if (this.options.allowStates && /^[A-Z]/.test(name.text) && !context.declarations.has(name.text)) {
      return this.report("PD4001", name.span, `unknown state '${name.text}'; lifecycle states are the XenBus states${didYouMean(name.text, xenbusStates.map((state) => state.name))}`);
    }
    const candidates = [...namesIn(scope), ...context.roleNames(), ...[...context.declarations.keys()], ...(this.options.allowStates ? xenbusStates.map((state) => state.name) : [])];
    return this.report("PD2001", name.span, `unknown name '${name.text}'${didYouMean(name.text, candidates)}`);
  }

  private inferMember(expression: Extract<Expression, { kind: "MemberExpression" }>, scope: Scope | undefined): ValueType {
    const object = this.check(expression.object, scope);
    const member = expression.member;
    switch (object.kind) {
      case "error": return errorType;
      case "record": {
        const fields = this.context.recordFields.get(object.recordName);
        const field = fields?.get(member.text);
        if (field !== undefined) return field.type;
        return this.report("PD2032", member.span, `${object.recordName} has no field '${member.text}'${didYouMean(member.text, fields?.keys() ?? [])}`);
      }
      case "sequence": {
        if (object.element.kind !== "record") return this.report("PD2032", member.span, `a sequence of ${describeValueType(object.element)} has no members`);
        const fields = this.context.recordFields.get(object.element.recordName);
        const field = fields?.get(member.text);
        if (field === undefined) return this.report("PD2032", member.span, `${object.element.recordName} has no field '${member.text}'${didYouMean(member.text, fields?.keys() ?? [])}`);
        return { kind: "sequence", element: field.type, maximumLength: object.maximumLength };
      }
      case "role": {
        const key = this.context.findStoreKey(object.role, member.text);
        if (key === undefined) {
          return this.report("PD2032", member.span, `role ${object.role} declares no store key '${member.text}'${didYouMean(member.text, this.context.storeKeyNames(object.role))}`);
        }
        return storeKeyValueType(key.type);
      }
      case "channel": {
        const ring = this.context.declarations.get(object.channel);
        if (ring?.kind === "RingDeclaration") {
          if ((ringIndexNames as readonly string[]).includes(member.text)) return { kind: "integer", scalar: "u32", enumName: undefined };
          return this.report("PD2032", member.span, `ring ${object.channel} has no member '${member.text}'; its shared indices are ${ringIndexNames.join(", ")}${didYouMean(member.text, ringIndexNames)}`);
        }
        const stream = this.context.streamModels.get(object.channel);
        const fields = stream === undefined ? undefined : this.context.recordFields.get(stream.layoutRecord);
        const field = fields?.get(member.text);
        if (field !== undefined) return field.type;
        return this.report("PD2032", member.span, `stream ${object.channel} has no field '${member.text}'${didYouMean(member.text, fields?.keys() ?? [])}`);
      }
      case "packet": {
        const packet = this.context.packetModels.get(object.packet);
        const part = packet?.parts.find((candidate) => candidate.name === member.text);
        if (part === undefined) return this.report("PD2032", member.span, `packet ${object.packet} has no part '${member.text}'${didYouMean(member.text, packet?.parts.map((entry) => entry.name) ?? [])}`);
        const element: ValueType = { kind: "record", recordName: part.slotMessage };
        return part.repeated ? { kind: "sequence", element, maximumLength: packetPartMaximum(this.context, object.packet) } : element;
      }
      case "enum-type": {
        const enumModel = this.context.enumModels.get(object.enumName);
        const found = enumModel?.members.find((candidate) => candidate.name === member.text);
        if (found === undefined) return this.report("PD2032", member.span, `enum ${object.enumName} has no member '${member.text}'${didYouMean(member.text, enumModel?.members.map((entry) => entry.name) ?? [])}`);
        return { kind: "integer", scalar: enumModel?.baseType, enumName: object.enumName };
      }
      default:
        return this.report("PD2032", member.span, `${describeValueType(object)} has no member '${member.text}'`);
    }
  }

  private inferCall(expression: CallExpression, scope: Scope | undefined): ValueType {
    const signature = builtinFunctions.get(expression.callee.text);
    const argumentTypes = expression.arguments.map((argument) => this.check(argument, scope));
    if (expression.callee.text === "old") {
      // old(x): the value x had at the previous observation of the same subject; same type as x.
      const [argument] = argumentTypes;
      if (argumentTypes.length !== 1 || argument === undefined) return this.report("PD2035", expression.span, "old takes one argument: a field of the guarantee's subject");
      return argument;
    }
    if (signature === undefined) {
      return this.report("PD2034", expression.callee.span, `unknown function '${expression.callee.text}'${didYouMean(expression.callee.text, builtinFunctions.keys())}`);
    }
    if (argumentTypes.length !== signature.parameters.length) {
      return this.report("PD2035", expression.span, `${expression.callee.text} takes ${signature.parameters.length} argument${signature.parameters.length === 1 ? "" : "s"} (${signature.parameters.join(", ")}), not ${argumentTypes.length}`);
    }
    signature.parameters.forEach((parameter, index) => {
      const type = argumentTypes[index] ?? errorType;
      const argument = expression.arguments[index];
      if (argument === undefined || type.kind === "error" || parameter === "any") return;
      if (parameter === "collection") {
        const ok = type.kind === "sequence" || type.kind === "array";
        const integerElements = expression.callee.text !== "sum" || (ok && (type.element.kind === "integer" || type.element.kind === "error"));
        if (!ok || !integerElements) this.report("PD2035", argument.span, `${expression.callee.text} needs ${expression.callee.text === "sum" ? "an integer field of a repeated packet part" : "a repeated packet part or an array"}, not ${describeValueType(type)}`);
        return;
      }
      if (type.kind !== parameter) this.report("PD2035", argument.span, `argument ${index + 1} of ${expression.callee.text} must be a ${parameter}, not ${describeValueType(type)}`);
    });
    if (expression.callee.text === "present" && expression.arguments[0] !== undefined && expression.arguments[0].kind !== "NameExpression" && expression.arguments[0].kind !== "MemberExpression") {
      this.report("PD2035", expression.arguments[0].span, "present(...) takes a store key name");
    }
    return signature.result;
  }

  private inferBinary(expression: Extract<Expression, { kind: "BinaryExpression" }>, scope: Scope | undefined): ValueType {
    const operator = expression.operator;
    const comparison = operator === "==" || operator === "!=" || operator === "in";
    const left = this.check(expression.left, scope);
    const right = this.check(expression.right, scope, comparison && left.kind === "integer" ? left.enumName : undefined);
    const mismatch = (requirement: string): ValueType =>
      this.report("PD2030", expression.span, `'${operator}' ${requirement}, but got ${describeValueType(left)} and ${describeValueType(right)}`);
    if (left.kind === "error" || right.kind === "error") {
      return operator === "==" || operator === "!=" || operator === "<" || operator === "<=" || operator === ">" || operator === ">=" || operator === "in" || operator === "&&" || operator === "||" || operator === "==>" ? booleanType : errorType;
    }
    switch (operator) {
      case "&&":
      case "||":
      case "==>": {
        // An event in a condition means "has happened"; two events joined by && or || are an event.
        const truthy = (type: ValueType): boolean => type.kind === "boolean" || type.kind === "event";
        if (!truthy(left) || !truthy(right)) return mismatch("needs two booleans");
        return left.kind === "event" && right.kind === "event" && operator !== "==>" ? eventType : booleanType;
      }
      case "==":
      case "!=":
        if (!areComparable(left, right)) return mismatch("compares values of one type");
        return booleanType;
      case "<":
      case "<=":
      case ">":
      case ">=":
        if (!areOrdered(left, right)) return mismatch("orders integers, durations, or a role against a XenBus state");
        return booleanType;
      case "in":
        if (right.kind === "range") {
          if (left.kind !== "integer") return mismatch("tests an integer against a range");
          return booleanType;
        }
        if (right.kind === "set") {
          if (!areComparable(left, right.element)) return mismatch("tests a value against a set of the same type");
          return booleanType;
        }
        return mismatch("needs a set or a range on the right");
      case "+":
      case "-":
        if (left.kind === "duration" && right.kind === "duration") return durationType;
        if (left.kind !== "integer" || right.kind !== "integer") return mismatch("needs two integers");
        return untypedInteger;
      case "&":
      case "|":
      case "^":
        if (left.kind !== "integer" || right.kind !== "integer") return mismatch("needs two integers (or flags)");
        // Masking a flags value keeps its enum so that comparisons with its members stay typed.
        return left.enumName !== undefined && left.enumName === right.enumName ? left : untypedInteger;
      default:
        if (left.kind !== "integer" || right.kind !== "integer") return mismatch("needs two integers");
        return untypedInteger;
    }
  }

  private inferQuantifier(expression: QuantifiedExpression, scope: Scope | undefined): ValueType {
    this.check(expression.range, scope);
    const bound = this.upperBoundOf(expression.range.end, scope);
    if (bound === undefined) {
      this.report("PD4031", expression.range.end.span, `the range of '${expression.quantifier} ${expression.variable.text}' is not bounded: use a constant or a length field with a declared maximum (an array's count field, or a field constrained by \`where field <= N\`)`);
    } else {
      this.quantifierBounds.set(expression, expression.range.inclusive ? bound + 1 : bound);
    }
    const inner = createScope(new Map([[expression.variable.text, { type: untypedInteger, upperBound: bound }]]), scope);
    const body = this.check(expression.body, inner);
    if (body.kind !== "boolean" && body.kind !== "error") this.report("PD2031", expression.body.span, `the body of '${expression.quantifier}' must be a boolean condition, not ${describeValueType(body)}`);
    return booleanType;
  }

  /** The largest value an expression can take, when the spec bounds it; undefined otherwise. */
  upperBoundOf(expression: Expression, scope: Scope | undefined): number | undefined {
    switch (expression.kind) {
      case "ParenthesizedExpression":
        return this.upperBoundOf(expression.expression, scope);
      case "NameExpression": {
        const entry = lookUp(scope, expression.name.text);
        if (entry !== undefined) return entry.upperBound;
        return this.foldSilently(expression);
      }
      case "MemberExpression": {
        const objectType = this.context.expressionTypes.get(expression.object) ?? this.check(expression.object, scope);
        if (objectType.kind === "record") return this.context.recordFields.get(objectType.recordName)?.get(expression.member.text)?.upperBound;
        if (objectType.kind === "role") {
          const key = this.context.findStoreKey(objectType.role, expression.member.text);
          return key === undefined ? undefined : storeKeyUpperBound(this.context, key);
        }
        return this.foldSilently(expression);
      }
      case "CallExpression": {
        if (expression.callee.text !== "count" || expression.arguments.length !== 1) return undefined;
        const argument = expression.arguments[0];
        const type = argument === undefined ? undefined : this.context.expressionTypes.get(argument);
        if (type?.kind === "sequence") return type.maximumLength;
        if (type?.kind === "array") return type.capacity;
        return undefined;
      }
      case "BinaryExpression": {
        const left = this.upperBoundOf(expression.left, scope);
        const right = this.upperBoundOf(expression.right, scope);
        if (left === undefined || right === undefined) return this.foldSilently(expression);
        if (expression.operator === "+") return left + right;
        if (expression.operator === "*") return left * right;
        return this.foldSilently(expression);
      }
      default:
        return this.foldSilently(expression);
    }
  }

  private foldSilently(expression: Expression): number | undefined {
    const scratch = new DiagnosticSink();
    const folder = constantFolderFor(this.context, scratch);
    const folded = folder.fold(expression);
    if (folded === undefined || folded.kind !== "integer" || scratch.diagnostics.length > 0) return undefined;
    return folded.value < 0n ? 0 : Number(folded.value);
  }

  /** Evaluation steps of an expression: one per node, quantifier bodies multiplied by their bound. */
  workOf(expression: Expression): WorkBound {
    const children = (...parts: (Expression | undefined)[]): number => parts.reduce((total, part) => total + (part === undefined ? 0 : this.workOf(part)), 1);
    switch (expression.kind) {
      case "QuantifiedExpression":
        return 1 + (this.quantifierBounds.get(expression) ?? 1) * this.workOf(expression.body);
      case "ParenthesizedExpression": return this.workOf(expression.expression);
      case "MemberExpression": return children(expression.object);
      case "IndexExpression": return children(expression.object, expression.index);
      case "CallExpression": return children(...expression.arguments);
      case "UnaryExpression": return children(expression.operand);
      case "BinaryExpression": return children(expression.left, expression.right);
      case "RangeExpression": return children(expression.start, expression.end);
      case "SetExpression": return children(...expression.elements);
      default: return 1;
    }
  }
}

/** The most slots a repeated part can span: the entries of the smallest ring it travels on. */
export function packetPartMaximum(context: ProtocolContext, packetName: string): number {
  const packet = context.packetModels.get(packetName);
  const ring = packet === undefined ? undefined : context.ringModels.get(packet.ring);
  if (ring === undefined) return 1;
  return Math.min(...[...ring.geometry.values()].flatMap((geometry) => geometry.byOrder.map((order) => order.entries)));
}

export function storeKeyValueType(type: import("./model.js").StoreValueTypeModel): ValueType {
  switch (type.kind) {
    case "string": return stringType;
    case "abi": return { kind: "abi" };
    case "enum": return { kind: "integer", scalar: type.scalar, enumName: type.enumName };
    case "scalar":
      if (type.scalar === "bool") return booleanType;
      if (type.scalar === "grant") return { kind: "grant" };
      if (type.scalar === "evtchn") return { kind: "evtchn" };
      return { kind: "integer", scalar: type.scalar, enumName: undefined };
  }
}
