// Lowers the chevrotain CST into the readonly AST: applies operator precedence, decodes
// literals, attaches doc comments and checks the few rules the grammar leaves loose on purpose.
// The CST may be partial after error recovery, so every child is treated as possibly missing.
import type { CstElement, CstNode, IToken } from "chevrotain";
import type { Diagnostic, Span } from "../diagnostics/diagnostic.js";
import type { DiagnosticDefinition } from "../diagnostics/definition.js";
import { createDiagnostic } from "../diagnostics/definition.js";
import { syntaxDiagnostics } from "../diagnostics/codes/syntax.js";
import type * as ast from "./ast.js";
import type { DocCommentIndex } from "./doc-comments.js";
import { describeFoundToken, describeRule } from "../../grammar/error-messages.js";
import { decodeDuration, decodeInteger, decodeString } from "./literals.js";
import { binaryOperators } from "./precedence.js";

type Children = CstNode["children"];

const primitiveTypeNames: ReadonlySet<string> = new Set<ast.PrimitiveTypeName>([
  "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "bool", "char", "grant", "evtchn", "string", "abi",
]);

function isToken(element: CstElement): element is IToken {
  return "image" in element;
}

/** A token recovery invented has no text in the file; treat it as missing. */
function isRealToken(token: IToken): boolean {
  return token.isInsertedInRecovery !== true && Number.isFinite(token.startOffset);
}

export interface LowerContext {
  readonly file: string;
  readonly docs: DocCommentIndex;
}

export class CstLowerer {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly context: LowerContext) {}

  // -------------------------------------------------------------------------------------------
  // Generic access to possibly-missing CST children
  // -------------------------------------------------------------------------------------------

  private nodes(children: Children, key: string): CstNode[] {
    return (children[key] ?? []).filter((element): element is CstNode => !isToken(element));
  }

  // The accessors below walk the child list instead of filtering it: lowering calls them
  // for every node, and allocating a filtered array each time dominated its cost.
  private node(children: Children, key: string, index = 0): CstNode | undefined {
    const list = children[key];
    if (list === undefined) return undefined;
    let seen = 0;
    for (const element of list) {
      if (isToken(element)) continue;
      if (seen === index) return element;
      seen++;
    }
    return undefined;
  }

  private tokens(children: Children, key: string): IToken[] {
    return (children[key] ?? []).filter((element): element is IToken => isToken(element) && isRealToken(element));
  }

  private token(children: Children, key: string, index = 0): IToken | undefined {
    const list = children[key];
    if (list === undefined) return undefined;
    let seen = 0;
    for (const element of list) {
      if (!isToken(element) || !isRealToken(element)) continue;
      if (seen === index) return element;
      seen++;
    }
    return undefined;
  }

  private has(children: Children, key: string): boolean {
    return this.token(children, key) !== undefined;
  }

  private tokenSpan(token: IToken): Span {
    return { file: this.context.file, start: token.startOffset, end: token.startOffset + token.image.length };
  }

  /** A node's span; recovered nodes without a location fall back to their real tokens. */
  private span(node: CstNode): Span {
    const location = node.location;
    if (location !== undefined && Number.isFinite(location.startOffset) && Number.isFinite(location.endOffset ?? Number.NaN)) {
      return { file: this.context.file, start: location.startOffset, end: (location.endOffset ?? location.startOffset) + 1 };
    }
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    const visit = (current: CstNode): void => {
      for (const elements of Object.values(current.children)) {
        for (const element of elements) {
          if (isToken(element)) {
            if (!isRealToken(element)) continue;
            start = Math.min(start, element.startOffset);
            end = Math.max(end, (element.endOffset ?? element.startOffset) + 1);
          } else visit(element);
        }
      }
    };
    visit(node);
    if (!Number.isFinite(start)) {
      const offset = Number.isFinite(location?.startOffset ?? Number.NaN) ? (location?.startOffset ?? 0) : 0;
      return { file: this.context.file, start: offset, end: offset };
    }
    return { file: this.context.file, start, end };
  }

  private spanFrom(start: Span, end: Span): Span {
    return { file: this.context.file, start: start.start, end: Math.max(start.end, end.end) };
  }

  private report(definition: DiagnosticDefinition, span: Span, message: string, notes: readonly string[] = []): void {
    this.diagnostics.push(createDiagnostic(definition, span, message, { notes }));
  }

  private doc(span: Span): ast.DocComment | undefined {
    return this.context.docs.take(span.start);
  }

  private identifier(token: IToken | undefined, fallback: Span): ast.Identifier {
    if (token === undefined) return { kind: "Identifier", span: { ...fallback, end: fallback.start }, text: "" };
    return { kind: "Identifier", span: this.tokenSpan(token), text: token.image };
  }

  private identifierAt(children: Children, key: string, fallback: Span, index = 0): ast.Identifier {
    return this.identifier(this.token(children, key, index), fallback);
  }

  private identifierList(node: CstNode | undefined, fallback: Span): ast.Identifier[] {
    if (node === undefined) return [];
    return this.tokens(node.children, "Identifier").map((token) => this.identifier(token, fallback));
  }

  private qualifiedName(node: CstNode | undefined, fallback: Span): ast.QualifiedName {
    if (node === undefined) return { kind: "QualifiedName", span: { ...fallback, end: fallback.start }, parts: [this.identifier(undefined, fallback)] };
    const span = this.span(node);
    const parts = this.tokens(node.children, "Identifier").map((token) => this.identifier(token, span));
    return { kind: "QualifiedName", span, parts: parts.length > 0 ? parts : [this.identifier(undefined, span)] };
  }

  private qualifiedNameList(node: CstNode | undefined, fallback: Span): ast.QualifiedName[] {
    if (node === undefined) return [];
    return this.nodes(node.children, "qualifiedName").map((name) => this.qualifiedName(name, fallback));
  }

  private stringLiteral(token: IToken): ast.StringLiteral {
    const span = this.tokenSpan(token);
    const decoded = decodeString(token.image);
    for (const problem of decoded.problems) {
      this.report(syntaxDiagnostics.PD1004, { file: this.context.file, start: span.start + problem.offset, end: span.start + problem.offset + problem.length }, problem.problem);
    }
    return { kind: "StringLiteral", span, value: decoded.value, text: token.image };
  }

  private integerLiteral(token: IToken | undefined, fallback: Span): ast.IntegerLiteral {
    if (token === undefined) return { kind: "IntegerLiteral", span: { ...fallback, end: fallback.start }, value: 0n, text: "" };
    const span = this.tokenSpan(token);
    const decoded = decodeInteger(token.image);
    if (!decoded.ok) {
      this.report(syntaxDiagnostics.PD1005, span, decoded.problem);
      return { kind: "IntegerLiteral", span, value: 0n, text: token.image };
    }
    return { kind: "IntegerLiteral", span, value: decoded.value, text: token.image };
  }

  private missingExpression(fallback: Span): ast.Expression {
    return { kind: "NameExpression", span: { ...fallback, end: fallback.start }, name: this.identifier(undefined, fallback) };
  }

  private optionalExpression(node: CstNode | undefined): ast.Expression | undefined {
    return node === undefined ? undefined : this.expression(node);
  }

  private requiredExpression(node: CstNode | undefined, fallback: Span): ast.Expression {
    return node === undefined ? this.missingExpression(fallback) : this.expression(node);
  }

  /** Reports the second and later occurrence of an attribute keyword in one declaration. */
  private reportDuplicates(attributeNodes: readonly CstNode[], keys: readonly string[], where: string): void {
    for (const key of keys) {
      const occurrences = attributeNodes.flatMap((node) => this.tokens(node.children, key));
      for (const duplicate of occurrences.slice(1)) {
        this.report(syntaxDiagnostics.PD1207, this.tokenSpan(duplicate), `'${duplicate.image}' is given twice in this ${where}`);
      }
    }
  }

  /** The token a stray item swallowed: the item is a `strayToken` node, wraps one, or is a stray brace. */
  private strayTokenOf(item: CstNode | IToken): IToken | undefined {
    if (isToken(item)) return isRealToken(item) ? item : undefined;
    const isWrapperOfStray = Object.keys(item.children).length === 1 && item.children["strayToken"] !== undefined;
    const strayNode = item.name === "strayToken" ? item : isWrapperOfStray ? this.node(item.children, "strayToken") : undefined;
    return strayNode === undefined ? undefined : this.token(strayNode.children, "Stray");
  }

  private itemStart(item: CstNode | IToken): number {
    return isToken(item) ? item.startOffset : this.span(item).start;
  }

  /**
   * Reports each run of consecutive stray tokens in a member list once ("expected a protocol
   * member but found 'x'"), so one mistake gives one error however many tokens it spans.
   */
  private reportStrays(items: readonly (CstNode | IToken)[], expectedRule: string): void {
    const ordered = [...items].sort((left, right) => this.itemStart(left) - this.itemStart(right));
    let run: IToken[] = [];
    const flush = (): void => {
      const first = run[0];
      const last = run[run.length - 1];
      if (first !== undefined && last !== undefined) {
        this.report(
          syntaxDiagnostics.PD1102,
          this.spanFrom(this.tokenSpan(first), this.tokenSpan(last)),
          expectedRule === "topLevelDeclaration" && first.image === "import"
            ? "imports must come before the first declaration of the file"
            : `expected ${describeRule(expectedRule)} but found ${describeFoundToken(first)}`,
          run.length > 1 ? [`the next ${run.length - 1} token${run.length > 2 ? "s were" : " was"} skipped as well`] : [],
        );
      }
      run = [];
    };
    for (const item of ordered) {
      const stray = this.strayTokenOf(item);
      if (stray === undefined) flush();
      else run.push(stray);
    }
    flush();
  }

  private childItems(children: Children, keys: readonly string[]): (CstNode | IToken)[] {
    return keys.flatMap((key) => children[key] ?? []);
  }

  // -------------------------------------------------------------------------------------------
  // File and top level
  // -------------------------------------------------------------------------------------------

  lowerSourceFile(node: CstNode, textLength: number, comments: readonly ast.Comment[]): ast.SourceFileAst {
    const children = node.children;
    const imports = this.nodes(children, "importDeclaration").map((declaration) => this.importDeclaration(declaration));
    this.reportStrays(this.childItems(children, ["topLevelDeclaration", "strayToken", "strayBrace"]), "topLevelDeclaration");
    const declarations: ast.TopLevelDeclaration[] = [];
    for (const topLevel of this.nodes(children, "topLevelDeclaration")) {
      const declaration = this.topLevelDeclaration(topLevel);
      if (declaration !== undefined) declarations.push(declaration);
    }
    return {
      kind: "SourceFile",
      span: { file: this.context.file, start: 0, end: textLength },
      file: this.context.file,
      imports,
      declarations,
      comments,
    };
  }

  private importDeclaration(node: CstNode): ast.ImportDeclaration {
    const span = this.span(node);
    const pathToken = this.token(node.children, "StringLiteral");
    const path: ast.StringLiteral =
      pathToken === undefined ? { kind: "StringLiteral", span: { ...span, end: span.start }, value: "", text: "" } : this.stringLiteral(pathToken);
    return { kind: "ImportDeclaration", span, path };
  }

  private topLevelDeclaration(node: CstNode): ast.TopLevelDeclaration | undefined {
    const protocol = this.node(node.children, "protocolDeclaration");
    if (protocol !== undefined) return this.protocolDeclaration(protocol);
    const resource = this.node(node.children, "resourceDeclaration");
    if (resource !== undefined) return this.resourceDeclaration(resource);
    const policy = this.node(node.children, "policyDeclaration");
    if (policy !== undefined) return this.policyDeclaration(policy);
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Protocol and its members
  // -------------------------------------------------------------------------------------------

  private protocolDeclaration(node: CstNode): ast.ProtocolDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const children = node.children;
    const members: ast.ProtocolMember[] = [];
    this.reportStrays(this.nodes(children, "protocolMember"), "protocolMember");
    for (const memberNode of this.nodes(children, "protocolMember")) {
      const member = this.protocolMember(memberNode);
      if (member !== undefined) members.push(member);
    }
    return {
      kind: "ProtocolDeclaration",
      span,
      doc,
      name: this.identifierAt(children, "Identifier", span),
      version: this.integerLiteral(this.token(children, "NumberLiteral"), span),
      members,
    };
  }

  private protocolMember(node: CstNode): ast.ProtocolMember | undefined {
    const [key, elements] = Object.entries(node.children)[0] ?? [];
    const child = elements?.[0];
    if (key === undefined || child === undefined || isToken(child)) return undefined;
    switch (key) {
      case "rolesDeclaration":
        return this.rolesDeclaration(child);
      case "abiDeclaration":
        return this.abiDeclaration(child);
      case "constDeclaration":
        return this.constDeclaration(child);
      case "enumDeclaration":
        return this.enumDeclaration(child);
      case "structDeclaration":
        return this.structDeclaration(child);
      case "ringDeclaration":
        return this.ringDeclaration(child);
      case "streamDeclaration":
        return this.streamDeclaration(child);
      case "packetDeclaration":
        return this.packetDeclaration(child);
      case "storeDeclaration":
        return this.storeDeclaration(child);
      case "lifecycleDeclaration":
        return this.lifecycleDeclaration(child);
      case "exchangeDeclaration":
        return this.exchangeDeclaration(child);
      case "guaranteeDeclaration":
        return this.guaranteeDeclaration(child);
      default:
        return undefined;
    }
  }

  private rolesDeclaration(node: CstNode): ast.RolesDeclaration {
    const span = this.span(node);
    return { kind: "RolesDeclaration", span, doc: this.doc(span), roles: this.identifierList(this.node(node.children, "identifierList"), span) };
  }

  private abiDeclaration(node: CstNode): ast.AbiDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const entries = this.nodes(node.children, "abiEntry").map((entry): ast.AbiEntry => {
      const entrySpan = this.span(entry);
      const value = this.token(entry.children, "StringLiteral");
      return {
        kind: "AbiEntry",
        span: entrySpan,
        abi: this.identifierAt(entry.children, "Identifier", entrySpan),
        storeValue: value === undefined ? undefined : this.stringLiteral(value),
      };
    });
    const selectorNode = this.node(node.children, "qualifiedName");
    return { kind: "AbiDeclaration", span, doc, entries, selector: selectorNode === undefined ? undefined : this.qualifiedName(selectorNode, span) };
  }

  private constDeclaration(node: CstNode): ast.ConstDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const typeNode = this.node(node.children, "typeExpression");
    return {
      kind: "ConstDeclaration",
      span,
      doc,
      name: this.identifierAt(node.children, "Identifier", span),
      type: typeNode === undefined ? undefined : this.typeExpression(typeNode),
      value: this.requiredExpression(this.node(node.children, "expression"), span),
    };
  }

  private enumDeclaration(node: CstNode): ast.EnumDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const memberNodes = this.nodes(node.children, "enumMember");
    const commas = this.tokens(node.children, "Comma");
    const members = memberNodes.map((memberNode, index): ast.EnumMember => {
      const memberSpan = this.span(memberNode);
      const next = memberNodes[index + 1];
      if (next !== undefined) {
        const nextStart = this.span(next).start;
        const separated = commas.some((comma) => comma.startOffset >= memberSpan.end && comma.startOffset < nextStart);
        if (!separated) {
          const nextName = this.token(next.children, "Identifier");
          this.report(syntaxDiagnostics.PD1206, nextName === undefined ? this.span(next) : this.tokenSpan(nextName), `expected ',' before enum member '${nextName?.image ?? ""}'`);
        }
      }
      return {
        kind: "EnumMember",
        span: memberSpan,
        doc: this.doc(memberSpan),
        name: this.identifierAt(memberNode.children, "Identifier", memberSpan),
        value: this.requiredExpression(this.node(memberNode.children, "expression"), memberSpan),
      };
    });
    const baseNode = this.node(node.children, "typeExpression");
    return {
      kind: "EnumDeclaration",
      span,
      doc,
      isFlags: this.has(node.children, "Keyword_flags"),
      name: this.identifierAt(node.children, "Identifier", span),
      baseType: baseNode === undefined ? { kind: "PrimitiveType", span: { ...span, end: span.start }, name: "u32" } : this.typeExpression(baseNode),
      members,
    };
  }

  private structDeclaration(node: CstNode): ast.StructDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const children = node.children;
    const isMessage = this.has(children, "Keyword_message");
    const name = this.identifierAt(children, "structName", span);
    const senderToken = this.token(children, "sender");
    const fromToken = this.token(children, "Keyword_from");
    if (!isMessage && senderToken !== undefined && fromToken !== undefined) {
      this.report(syntaxDiagnostics.PD1204, this.spanFrom(this.tokenSpan(fromToken), this.tokenSpan(senderToken)), `struct '${name.text}' cannot name a sender; write 'message ${name.text} from ${senderToken.image}' if it travels on a channel`);
    }
    if (isMessage && senderToken === undefined && fromToken === undefined && name.text !== "") {
      this.report(syntaxDiagnostics.PD1205, name.span, `message '${name.text}' must name the role that sends it: 'message ${name.text} from ROLE'`);
    }
    const body = this.node(children, "structBody");
    return {
      kind: "StructDeclaration",
      span,
      doc,
      isMessage,
      name,
      sender: isMessage && senderToken !== undefined ? this.identifier(senderToken, span) : undefined,
      members: body === undefined ? [] : this.structMembers(body),
    };
  }

  private structMembers(body: CstNode): ast.StructMember[] {
    const members: ast.StructMember[] = [];
    this.reportStrays(this.nodes(body.children, "structMember"), "structMember");
    for (const memberNode of this.nodes(body.children, "structMember")) {
      const field = this.node(memberNode.children, "fieldDeclaration");
      const switchNode = this.node(memberNode.children, "switchDeclaration");
      const where = this.node(memberNode.children, "whereClause");
      if (field !== undefined) members.push(this.fieldDeclaration(field));
      else if (switchNode !== undefined) members.push(this.switchDeclaration(switchNode));
      else if (where !== undefined) members.push(this.whereClause(where));
    }
    return members;
  }

  private fieldDeclaration(node: CstNode): ast.FieldDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    return {
      kind: "FieldDeclaration",
      span,
      doc,
      name: this.identifierAt(node.children, "Identifier", span),
      type: this.requiredType(this.node(node.children, "typeExpression"), span),
      abiRestriction: this.abiRestriction(this.node(node.children, "abiRestriction")),
    };
  }

  private abiRestriction(node: CstNode | undefined): ast.AbiRestriction | undefined {
    if (node === undefined) return undefined;
    const span = this.span(node);
    return { kind: "AbiRestriction", span, abis: this.identifierList(this.node(node.children, "identifierList"), span) };
  }

  private switchDeclaration(node: CstNode): ast.SwitchDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    this.reportStrays(this.childItems(node.children, ["switchCase", "strayToken"]), "switchCase");
    const cases = this.nodes(node.children, "switchCase").map((caseNode): ast.SwitchCase => {
      const caseSpan = this.span(caseNode);
      const caseDoc = this.doc(caseSpan);
      const body = this.node(caseNode.children, "structBody");
      return {
        kind: "SwitchCase",
        span: caseSpan,
        doc: caseDoc,
        labels: this.nodes(caseNode.children, "expression").map((label) => this.expression(label)),
        isDefault: this.has(caseNode.children, "Keyword_default"),
        members: body === undefined ? [] : this.structMembers(body),
      };
    });
    return { kind: "SwitchDeclaration", span, doc, discriminant: this.identifierAt(node.children, "Identifier", span), cases };
  }

  private whereClause(node: CstNode): ast.WhereClause {
    const span = this.span(node);
    const doc = this.doc(span);
    const label = this.token(node.children, "Identifier");
    return {
      kind: "WhereClause",
      span,
      doc,
      label: label === undefined ? undefined : this.identifier(label, span),
      condition: this.requiredExpression(this.node(node.children, "expression"), span),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Types
  // -------------------------------------------------------------------------------------------

  private requiredType(node: CstNode | undefined, fallback: Span): ast.TypeExpression {
    if (node === undefined) return { kind: "NamedType", span: { ...fallback, end: fallback.start }, name: this.qualifiedName(undefined, fallback) };
    return this.typeExpression(node);
  }

  private typeExpression(node: CstNode): ast.TypeExpression {
    const span = this.span(node);
    const name = this.qualifiedName(this.node(node.children, "qualifiedName"), span);
    const capacities = this.nodes(node.children, "expression");
    const countTokens = this.tokens(node.children, "Keyword_count");
    const countNames = this.tokens(node.children, "Identifier");
    const rightBrackets = this.tokens(node.children, "RightBracket");
    const simpleName = name.parts.length === 1 ? (name.parts[0]?.text ?? "") : "";

    if (simpleName === "pad") {
      const bytes = capacities[0];
      if (capacities.length !== 1 || bytes === undefined || countTokens.length > 0) {
        this.report(syntaxDiagnostics.PD1203, span, "padding is written 'pad[N]': exactly one size in brackets and no 'count'");
      }
      return { kind: "PaddingType", span, bytes: this.requiredExpression(bytes, span) };
    }

    let element: ast.TypeExpression = primitiveTypeNames.has(simpleName)
      ? { kind: "PrimitiveType", span: name.span, name: simpleName as ast.PrimitiveTypeName }
      : { kind: "NamedType", span: name.span, name };
    // `T[N][M]` reads like C: N elements, each a `T[M]`; so fold the suffixes from the right.
    for (let index = capacities.length - 1; index >= 0; index--) {
      const capacityNode = capacities[index];
      if (capacityNode === undefined) continue;
      const capacity = this.expression(capacityNode);
      const closing = rightBrackets[index];
      const nextCapacity = capacities[index + 1];
      const suffixEnd = nextCapacity === undefined ? span.end : this.span(nextCapacity).start;
      const count = countTokens.find((token) => closing !== undefined && token.startOffset > closing.startOffset && token.startOffset < suffixEnd);
      const countName = count === undefined ? undefined : countNames.find((token) => token.startOffset > count.startOffset);
      element = {
        kind: "ArrayType",
        span,
        element,
        capacity,
        countField: count === undefined ? undefined : this.identifier(countName, this.tokenSpan(count)),
      };
    }
    return element;
  }

  // -------------------------------------------------------------------------------------------
  // Channels
  // -------------------------------------------------------------------------------------------

  private ringDeclaration(node: CstNode): ast.RingDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    this.reportStrays(this.childItems(node.children, ["ringMember", "strayToken"]), "ringMember");
    const members = this.nodes(node.children, "ringMember").map((memberNode): ast.RingMember => {
      const memberSpan = this.span(memberNode);
      if (this.has(memberNode.children, "Keyword_order")) {
        return { kind: "RingOrderMember", span: memberSpan, range: this.requiredExpression(this.node(memberNode.children, "expression"), memberSpan) };
      }
      return {
        kind: "RingMessageMember",
        span: memberSpan,
        direction: this.has(memberNode.children, "Keyword_response") ? "response" : "request",
        messageType: this.qualifiedName(this.node(memberNode.children, "qualifiedName"), memberSpan),
      };
    });
    return { kind: "RingDeclaration", span, doc, name: this.identifierAt(node.children, "Identifier", span), members };
  }

  private streamDeclaration(node: CstNode): ast.StreamDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const directions = this.nodes(node.children, "streamDirection").map((directionNode) => this.streamDirection(directionNode));
    return {
      kind: "StreamDeclaration",
      span,
      doc,
      name: this.identifierAt(node.children, "Identifier", span),
      layout: this.qualifiedName(this.node(node.children, "qualifiedName"), span),
      directions,
    };
  }

  private streamDirection(node: CstNode): ast.StreamDirection {
    const span = this.span(node);
    const doc = this.doc(span);
    const name = this.identifierAt(node.children, "directionName", span);
    const parts = this.nodes(node.children, "streamDirectionPart");
    this.reportDuplicates(parts, ["Keyword_data", "Keyword_producer", "Keyword_consumer"], "stream direction");
    const fieldFor = (key: string): ast.Identifier | undefined => {
      const part = parts.find((candidate) => this.has(candidate.children, key));
      return part === undefined ? undefined : this.identifierAt(part.children, "field", this.span(part));
    };
    const data = fieldFor("Keyword_data");
    const producerIndex = fieldFor("Keyword_producer");
    const consumerIndex = fieldFor("Keyword_consumer");
    const missing = [data === undefined ? "data" : "", producerIndex === undefined ? "producer" : "", consumerIndex === undefined ? "consumer" : ""].filter((word) => word !== "");
    if (missing.length > 0) {
      this.report(syntaxDiagnostics.PD1208, name.text === "" ? span : name.span, `stream direction '${name.text}' does not name its ${missing.map((word) => `'${word}'`).join(", ")} field${missing.length > 1 ? "s" : ""}`);
    }
    return {
      kind: "StreamDirection",
      span,
      doc,
      name,
      writer: this.identifierAt(node.children, "writer", span),
      data: data ?? this.identifier(undefined, span),
      producerIndex: producerIndex ?? this.identifier(undefined, span),
      consumerIndex: consumerIndex ?? this.identifier(undefined, span),
    };
  }

  private packetDeclaration(node: CstNode): ast.PacketDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const members: ast.PacketMember[] = [];
    this.reportStrays(this.childItems(node.children, ["packetPart", "whereClause", "strayToken"]), "packetMember");
    const memberNodes = [...this.nodes(node.children, "packetPart"), ...this.nodes(node.children, "whereClause")].sort(
      (left, right) => this.span(left).start - this.span(right).start,
    );
    for (const memberNode of memberNodes) {
      if (memberNode.name === "whereClause") {
        members.push(this.whereClause(memberNode));
        continue;
      }
      const partSpan = this.span(memberNode);
      members.push({
        kind: "PacketPart",
        span: partSpan,
        doc: this.doc(partSpan),
        name: this.identifierAt(memberNode.children, "Identifier", partSpan),
        slotType: this.qualifiedName(this.node(memberNode.children, "qualifiedName"), partSpan),
        repeated: this.has(memberNode.children, "Keyword_repeated"),
        startCondition: this.optionalExpression(this.node(memberNode.children, "startCondition")),
        continueCondition: this.optionalExpression(this.node(memberNode.children, "continueCondition")),
      });
    }
    return {
      kind: "PacketDeclaration",
      span,
      doc,
      name: this.identifierAt(node.children, "packetName", span),
      ring: this.identifierAt(node.children, "ringName", span),
      direction: this.has(node.children, "Keyword_response") ? "response" : "request",
      members,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Store schema
  // -------------------------------------------------------------------------------------------

  private storeDeclaration(node: CstNode): ast.StoreDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    this.reportStrays(this.childItems(node.children, ["storeKeyDeclaration", "whereClause", "strayToken"]), "storeMember");
    const memberNodes = [...this.nodes(node.children, "storeKeyDeclaration"), ...this.nodes(node.children, "whereClause")].sort(
      (left, right) => this.span(left).start - this.span(right).start,
    );
    const members = memberNodes.map((memberNode): ast.StoreMember =>
      memberNode.name === "whereClause" ? this.whereClause(memberNode) : this.storeKeyDeclaration(memberNode),
    );
    return { kind: "StoreDeclaration", span, doc, role: this.identifierAt(node.children, "Identifier", span), members };
  }

  private storeKeyDeclaration(node: CstNode): ast.StoreKeyDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const attributes = this.nodes(node.children, "storeKeyAttribute");
    this.reportDuplicates(attributes, ["Equals", "Keyword_optional", "Keyword_for", "Keyword_where", "Keyword_enables"], "store key");
    const attributeWith = (key: string): CstNode | undefined => attributes.find((attribute) => this.has(attribute.children, key));
    const defaultNode = attributeWith("Equals");
    const forNode = attributeWith("Keyword_for");
    const whereNode = attributeWith("Keyword_where");
    const enablesNode = attributeWith("Keyword_enables");
    return {
      kind: "StoreKeyDeclaration",
      span,
      doc,
      name: this.identifierAt(node.children, "Identifier", span),
      indexRange: this.optionalExpression(this.node(node.children, "indexRange")),
      type: this.requiredType(this.node(node.children, "typeExpression"), span),
      defaultValue: defaultNode === undefined ? undefined : this.requiredExpression(this.node(defaultNode.children, "defaultValue"), this.span(defaultNode)),
      optional: attributeWith("Keyword_optional") !== undefined,
      forChannels: forNode === undefined ? [] : this.identifierList(this.node(forNode.children, "identifierList"), this.span(forNode)),
      constraint: whereNode === undefined ? undefined : this.requiredExpression(this.node(whereNode.children, "constraint"), this.span(whereNode)),
      enables: enablesNode === undefined ? [] : this.qualifiedNameList(this.node(enablesNode.children, "qualifiedNameList"), this.span(enablesNode)),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle, exchanges, guarantees
  // -------------------------------------------------------------------------------------------

  private lifecycleDeclaration(node: CstNode): ast.LifecycleDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    this.reportStrays(this.childItems(node.children, ["roleStateMachine", "dataPhaseDeclaration", "lifecycleDeadlineDeclaration", "strayToken"]), "lifecycleDeclaration");
    const memberNodes = [...this.nodes(node.children, "roleStateMachine"), ...this.nodes(node.children, "dataPhaseDeclaration"), ...this.nodes(node.children, "lifecycleDeadlineDeclaration")].sort(
      (left, right) => this.span(left).start - this.span(right).start,
    );
    const members = memberNodes.map((memberNode): ast.LifecycleMember => {
      const memberSpan = this.span(memberNode);
      const memberDoc = this.doc(memberSpan);
      if (memberNode.name === "dataPhaseDeclaration") {
        return { kind: "DataPhaseDeclaration", span: memberSpan, doc: memberDoc, condition: this.requiredExpression(this.node(memberNode.children, "expression"), memberSpan) };
      }
      if (memberNode.name === "lifecycleDeadlineDeclaration") {
        const label = this.token(memberNode.children, "label");
        return {
          kind: "LifecycleDeadlineDeclaration",
          span: memberSpan,
          doc: memberDoc,
          label: label === undefined ? undefined : this.identifier(label, memberSpan),
          state: this.identifierAt(memberNode.children, "state", memberSpan),
          duration: this.requiredExpression(this.node(memberNode.children, "duration"), memberSpan),
        };
      }
      this.reportStrays(this.childItems(memberNode.children, ["transitionDeclaration", "strayToken"]), "transitionDeclaration");
      return {
        kind: "RoleStateMachine",
        span: memberSpan,
        doc: memberDoc,
        role: this.identifierAt(memberNode.children, "Identifier", memberSpan),
        transitions: this.nodes(memberNode.children, "transitionDeclaration").map((transition) => this.transitionDeclaration(transition)),
      };
    });
    return { kind: "LifecycleDeclaration", span, doc, members };
  }

  private transitionDeclaration(node: CstNode): ast.TransitionDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const attributes = this.nodes(node.children, "transitionAttribute");
    this.reportDuplicates(attributes, ["Keyword_when", "Keyword_publishes", "Keyword_reads"], "transition");
    const attributeWith = (key: string): CstNode | undefined => attributes.find((attribute) => this.has(attribute.children, key));
    const whenNode = attributeWith("Keyword_when");
    const publishesNode = attributeWith("Keyword_publishes");
    const readsNode = attributeWith("Keyword_reads");
    const label = this.token(node.children, "label");
    const fromAnyState = this.has(node.children, "Star");
    return {
      kind: "TransitionDeclaration",
      span,
      doc,
      label: label === undefined ? undefined : this.identifier(label, span),
      from: fromAnyState ? [] : this.identifierList(this.node(node.children, "sources"), span),
      fromAnyState,
      to: this.identifierAt(node.children, "target", span),
      guard: whenNode === undefined ? undefined : this.requiredExpression(this.node(whenNode.children, "expression"), this.span(whenNode)),
      publishes: publishesNode === undefined ? [] : this.identifierList(this.node(publishesNode.children, "identifierList"), this.span(publishesNode)),
      reads: readsNode === undefined ? [] : this.qualifiedNameList(this.node(readsNode.children, "qualifiedNameList"), this.span(readsNode)),
    };
  }

  private exchangeDeclaration(node: CstNode): ast.ExchangeDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    this.reportStrays(this.childItems(node.children, ["exchangeMember", "strayToken"]), "exchangeMember");
    const members = this.nodes(node.children, "exchangeMember").map((memberNode): ast.ExchangeMember => {
      const memberSpan = this.span(memberNode);
      const children = memberNode.children;
      if (this.has(children, "Keyword_correlate")) {
        return { kind: "CorrelateMember", span: memberSpan, condition: this.requiredExpression(this.node(children, "correlation"), memberSpan) };
      }
      if (this.has(children, "Keyword_exactly")) return { kind: "ExactlyOnceMember", span: memberSpan };
      if (this.has(children, "Keyword_ordered")) return { kind: "OrderingMember", span: memberSpan, ordered: true };
      if (this.has(children, "Keyword_unordered")) return { kind: "OrderingMember", span: memberSpan, ordered: false };
      if (this.has(children, "Keyword_deadline")) {
        return { kind: "DeadlineMember", span: memberSpan, duration: this.requiredExpression(this.node(children, "deadline"), memberSpan) };
      }
      if (this.has(children, "Keyword_progress")) {
        return { kind: "ProgressMember", span: memberSpan, window: this.requiredExpression(this.node(children, "progress"), memberSpan) };
      }
      return { kind: "OutstandingMember", span: memberSpan, limit: this.requiredExpression(this.node(children, "limit"), memberSpan) };
    });
    return {
      kind: "ExchangeDeclaration",
      span,
      doc,
      channel: this.identifierAt(node.children, "Identifier", span),
      requestType: this.qualifiedName(this.node(node.children, "requestType"), span),
      responseType: this.qualifiedName(this.node(node.children, "responseType"), span),
      members,
    };
  }

  private guaranteeDeclaration(node: CstNode): ast.GuaranteeDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const subjects = this.nodes(node.children, "guaranteeSubject").map((subject): ast.GuaranteeSubject => {
      const subjectSpan = this.span(subject);
      return {
        kind: "GuaranteeSubject",
        span: subjectSpan,
        binder: this.identifierAt(subject.children, "Identifier", subjectSpan),
        subjectType: this.qualifiedName(this.node(subject.children, "qualifiedName"), subjectSpan),
      };
    });
    this.reportStrays(this.childItems(node.children, ["guaranteeStatement", "strayToken"]), "guaranteeStatement");
    const statements = this.nodes(node.children, "guaranteeStatement").map((statement) => this.guaranteeStatement(statement));
    return {
      kind: "GuaranteeDeclaration",
      span,
      doc,
      id: this.identifierAt(node.children, "guaranteeId", span),
      owner: this.identifierAt(node.children, "owner", span),
      subjects,
      statements,
    };
  }

  private guaranteeStatement(node: CstNode): ast.GuaranteeStatement {
    const span = this.span(node);
    const children = node.children;
    if (this.has(children, "Keyword_most")) {
      return {
        kind: "RateStatement",
        span,
        limit: this.requiredExpression(this.node(children, "limit"), span),
        event: this.requiredExpression(this.node(children, "event"), span),
        window: this.requiredExpression(this.node(children, "window"), span),
      };
    }
    const condition = this.requiredExpression(this.node(children, "condition"), span);
    const untilEvent = this.node(children, "untilEvent");
    if (untilEvent !== undefined) return { kind: "UntilStatement", span, condition, event: this.expression(untilEvent) };
    const withinDeadline = this.node(children, "withinDeadline");
    if (withinDeadline !== undefined) return { kind: "WithinStatement", span, event: condition, deadline: this.expression(withinDeadline) };
    return { kind: "InvariantStatement", span, condition };
  }

  // -------------------------------------------------------------------------------------------
  // Resources and policies
  // -------------------------------------------------------------------------------------------

  private resourceDeclaration(node: CstNode): ast.ResourceDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const members: ast.ResourceMember[] = [];
    this.reportStrays(this.childItems(node.children, ["resourceMember", "strayToken"]), "resourceMember");
    for (const memberNode of this.nodes(node.children, "resourceMember")) {
      const memberSpan = this.span(memberNode);
      const children = memberNode.children;
      if (this.has(children, "Keyword_protocol")) {
        const version = this.token(children, "NumberLiteral");
        members.push({
          kind: "ResourceProtocolMember",
          span: memberSpan,
          protocol: this.identifierAt(children, "protocolName", memberSpan),
          version: version === undefined ? undefined : this.integerLiteral(version, memberSpan),
        });
      } else if (this.has(children, "Keyword_provider") || this.has(children, "Keyword_consumer")) {
        members.push({
          kind: "ResourceRoleMember",
          span: memberSpan,
          side: this.has(children, "Keyword_provider") ? "provider" : "consumer",
          role: this.identifierAt(children, "role", memberSpan),
        });
      } else if (this.has(children, "Keyword_path")) {
        const template = this.token(children, "StringLiteral");
        members.push({
          kind: "ResourcePathMember",
          span: memberSpan,
          role: this.identifierAt(children, "pathRole", memberSpan),
          template: template === undefined ? { kind: "StringLiteral", span: { ...memberSpan, end: memberSpan.start }, value: "", text: "" } : this.stringLiteral(template),
        });
      } else if (this.has(children, "Keyword_labels")) {
        members.push({ kind: "ResourceLabelsMember", span: memberSpan, labels: this.identifierList(this.node(children, "identifierList"), memberSpan) });
      } else if (this.has(children, "Keyword_limit")) {
        members.push({
          kind: "ResourceLimitMember",
          span: memberSpan,
          limit: this.requiredExpression(this.node(children, "expression"), memberSpan),
          scope: this.identifierAt(children, "scope", memberSpan),
        });
      }
    }
    return { kind: "ResourceDeclaration", span, doc, name: this.identifierAt(node.children, "Identifier", span), members };
  }

  private policyDeclaration(node: CstNode): ast.PolicyDeclaration {
    const span = this.span(node);
    const doc = this.doc(span);
    const members: ast.PolicyMember[] = [];
    this.reportStrays(this.nodes(node.children, "policyMember"), "policyMember");
    for (const memberNode of this.nodes(node.children, "policyMember")) {
      const member = this.policyMember(memberNode);
      if (member !== undefined) members.push(member);
    }
    return { kind: "PolicyDeclaration", span, doc, name: this.identifierAt(node.children, "Identifier", span), members };
  }

  private policyMember(node: CstNode): ast.PolicyMember | undefined {
    const role = this.node(node.children, "policyRoleDeclaration");
    if (role !== undefined) {
      const span = this.span(role);
      const doc = this.doc(span);
      const permissions = this.nodes(role.children, "permissionDeclaration").map((permission): ast.PermissionDeclaration => {
        const permissionSpan = this.span(permission);
        return {
          kind: "PermissionDeclaration",
          span: permissionSpan,
          permission: this.identifierAt(permission.children, "Identifier", permissionSpan),
          resourceClasses: this.identifierList(this.node(permission.children, "identifierList"), permissionSpan),
        };
      });
      return { kind: "PolicyRoleDeclaration", span, doc, name: this.identifierAt(role.children, "Identifier", span), permissions };
    }
    const principal = this.node(node.children, "principalDeclaration");
    if (principal !== undefined) {
      const span = this.span(principal);
      const doc = this.doc(span);
      const attributes = this.nodes(principal.children, "principalAttribute");
      this.reportDuplicates(attributes, ["Keyword_matches", "Keyword_roles", "Keyword_types", "Keyword_privileged"], "principal");
      const attributeWith = (key: string): CstNode | undefined => attributes.find((attribute) => this.has(attribute.children, key));
      const matches = attributeWith("Keyword_matches");
      const pattern = matches === undefined ? undefined : this.token(matches.children, "StringLiteral");
      const roles = attributeWith("Keyword_roles");
      const types = attributeWith("Keyword_types");
      return {
        kind: "PrincipalDeclaration",
        span,
        doc,
        name: this.identifierAt(principal.children, "Identifier", span),
        pattern: pattern === undefined ? undefined : this.stringLiteral(pattern),
        roles: roles === undefined ? [] : this.identifierList(this.node(roles.children, "roleNames"), span),
        types: types === undefined ? [] : this.identifierList(this.node(types.children, "typeNames"), span),
        privileged: attributeWith("Keyword_privileged") !== undefined,
      };
    }
    const label = this.node(node.children, "resourceLabelDeclaration");
    if (label !== undefined) {
      const span = this.span(label);
      return {
        kind: "ResourceLabelDeclaration",
        span,
        doc: this.doc(span),
        resourceClass: this.identifierAt(label.children, "Identifier", span),
        types: this.identifierList(this.node(label.children, "identifierList"), span),
      };
    }
    const enforce = this.node(node.children, "enforceDeclaration");
    if (enforce !== undefined) {
      const span = this.span(enforce);
      return { kind: "EnforceDeclaration", span, doc: this.doc(span), mechanisms: this.identifierList(this.node(enforce.children, "identifierList"), span) };
    }
    const typeSet = this.node(node.children, "typeSetDeclaration");
    if (typeSet !== undefined) {
      const span = this.span(typeSet);
      const doc = this.doc(span);
      const typeTokens = this.tokens(typeSet.children, "typeName");
      const commas = this.tokens(typeSet.children, "Comma");
      typeTokens.forEach((typeToken, index) => {
        const next = typeTokens[index + 1];
        if (next === undefined) return;
        const separated = commas.some((comma) => comma.startOffset > typeToken.startOffset && comma.startOffset < next.startOffset);
        if (!separated) this.report(syntaxDiagnostics.PD1206, this.tokenSpan(next), `expected ',' before '${next.image}'`);
      });
      const types = typeTokens.map((typeToken) => this.identifier(typeToken, span));
      const name = this.identifierAt(typeSet.children, "Identifier", span);
      if (this.has(typeSet.children, "Keyword_colour")) return { kind: "ColourGroupDeclaration", span, doc, name, types };
      return { kind: "ConflictSetDeclaration", span, doc, name, types };
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------------

  expression(node: CstNode): ast.Expression {
    const operands = this.nodes(node.children, "operand");
    const operators = this.tokens(node.children, "BinaryOperator");
    const span = this.span(node);
    if (operands.length === 0) return this.missingExpression(span);
    // Recovery can leave an operator without its right operand; drop such dangling operators.
    const usableOperators = operators.slice(0, Math.max(0, operands.length - 1));
    const loweredOperands = operands.map((operand) => this.operand(operand));
    let operandIndex = 0;
    let operatorIndex = 0;

    const climb = (minimumPrecedence: number): ast.Expression => {
      let left = loweredOperands[operandIndex++] ?? this.missingExpression(span);
      let chainedPrecedence: number | undefined;
      while (operatorIndex < usableOperators.length) {
        const operatorToken = usableOperators[operatorIndex];
        if (operatorToken === undefined) break;
        const info = binaryOperators.get(operatorToken.image);
        if (info === undefined || info.precedence < minimumPrecedence) break;
        operatorIndex++;
        if (info.associativity === "none" && chainedPrecedence === info.precedence) {
          this.report(
            syntaxDiagnostics.PD1201,
            this.tokenSpan(operatorToken),
            `'${operatorToken.image}' cannot follow another ${info.result.kind === "range" ? "range" : "comparison"} directly`,
            ["comparisons and ranges do not chain: write 'a < b && b < c', or add parentheses"],
          );
        }
        const right = climb(info.associativity === "right" ? info.precedence : info.precedence + 1);
        const combinedSpan = this.spanFrom(left.span, right.span);
        left =
          info.result.kind === "range"
            ? { kind: "RangeExpression", span: combinedSpan, start: left, end: right, inclusive: info.result.inclusive }
            : { kind: "BinaryExpression", span: combinedSpan, operator: info.result.operator, left, right };
        chainedPrecedence = info.associativity === "none" ? info.precedence : undefined;
      }
      return left;
    };
    let result = climb(0);
    // Operators that could not attach (impossible with a well-formed table) still consume operands.
    while (operandIndex < loweredOperands.length) result = loweredOperands[operandIndex++] ?? result;
    return result;
  }

  /** Suffixes bind tighter than prefixes: `-a.b[0]` is `-(a.b[0])`, and `-~x` is `-(~x)`. */
  private operand(node: CstNode): ast.Expression {
    const span = this.span(node);
    const primary = this.node(node.children, "primaryExpression");
    let result = primary === undefined ? this.missingExpression(span) : this.primaryExpression(primary);
    for (const suffix of this.nodes(node.children, "postfixSuffix")) {
      const suffixSpan = this.span(suffix);
      const combined = this.spanFrom(result.span, suffixSpan);
      if (this.has(suffix.children, "Dot")) {
        result = { kind: "MemberExpression", span: combined, object: result, member: this.identifierAt(suffix.children, "Identifier", suffixSpan) };
      } else {
        result = { kind: "IndexExpression", span: combined, object: result, index: this.requiredExpression(this.node(suffix.children, "expression"), suffixSpan) };
      }
    }
    const prefixes = [...this.tokens(node.children, "Minus"), ...this.tokens(node.children, "Tilde"), ...this.tokens(node.children, "Bang")].sort(
      (left, right) => left.startOffset - right.startOffset,
    );
    for (let index = prefixes.length - 1; index >= 0; index--) {
      const prefix = prefixes[index];
      if (prefix === undefined) continue;
      result = {
        kind: "UnaryExpression",
        span: { file: this.context.file, start: prefix.startOffset, end: Math.max(result.span.end, prefix.startOffset + prefix.image.length) },
        operator: prefix.image as ast.UnaryOperator,
        operand: result,
      };
    }
    return result;
  }

  private primaryExpression(node: CstNode): ast.Expression {
    const span = this.span(node);
    const children = node.children;
    const number = this.token(children, "NumberLiteral");
    if (number !== undefined) return this.integerLiteral(number, span);
    const duration = this.token(children, "DurationLiteral");
    if (duration !== undefined) {
      const durationSpan = this.tokenSpan(duration);
      const decoded = decodeDuration(duration.image);
      if (!decoded.ok) {
        this.report(syntaxDiagnostics.PD1005, durationSpan, decoded.problem);
        return { kind: "DurationLiteral", span: durationSpan, amount: 0n, unit: "s", nanoseconds: 0n, text: duration.image };
      }
      return { kind: "DurationLiteral", span: durationSpan, ...decoded.value, text: duration.image };
    }
    const string = this.token(children, "StringLiteral");
    if (string !== undefined) return this.stringLiteral(string);
    const name = this.token(children, "Identifier");
    if (name !== undefined) {
      if (this.has(children, "LeftParen")) {
        return {
          kind: "CallExpression",
          span,
          callee: this.identifier(name, span),
          arguments: this.nodes(children, "argument").map((argument) => this.expression(argument)),
        };
      }
      if (name.image === "true" || name.image === "false") return { kind: "BooleanLiteral", span: this.tokenSpan(name), value: name.image === "true" };
      return { kind: "NameExpression", span: this.tokenSpan(name), name: this.identifier(name, span) };
    }
    const grouped = this.node(children, "grouped");
    if (grouped !== undefined || this.has(children, "groupOpen")) {
      return { kind: "ParenthesizedExpression", span, expression: this.requiredExpression(grouped, span) };
    }
    if (this.has(children, "LeftBrace")) {
      return { kind: "SetExpression", span, elements: this.nodes(children, "element").map((element) => this.expression(element)) };
    }
    const quantified = this.node(children, "quantifiedExpression");
    if (quantified !== undefined) return this.quantifiedExpression(quantified);
    return this.missingExpression(span);
  }

  private quantifiedExpression(node: CstNode): ast.Expression {
    const span = this.span(node);
    const children = node.children;
    const rangeNode = this.node(children, "range");
    let range = this.requiredExpression(rangeNode, span);
    while (range.kind === "ParenthesizedExpression") range = range.expression;
    let rangeExpression: ast.RangeExpression;
    if (range.kind === "RangeExpression") rangeExpression = range;
    else {
      if (rangeNode !== undefined) {
        this.report(syntaxDiagnostics.PD1202, range.span, "a quantifier ranges over a written-out range such as '0 .. n' or '0 ..= n'", [
          "bounded ranges keep every guarantee checkable with bounded work",
        ]);
      }
      rangeExpression = { kind: "RangeExpression", span: range.span, start: range, end: range, inclusive: true };
    }
    return {
      kind: "QuantifiedExpression",
      span,
      quantifier: this.has(children, "Exists") ? "exists" : "forall",
      variable: this.identifierAt(children, "Identifier", span),
      range: rangeExpression,
      body: this.requiredExpression(this.node(children, "body"), span),
    };
  }
}
