// Syntax error messages in the user's terms ("expected ';' after the field type") instead of
// chevrotain's token-type names; the parser calls these while it records recognition errors.
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "./chevrotain.js";

/** What a rule means to a user, for "expected X" messages when no alternative fits. */
const ruleDescriptions: Readonly<Record<string, string>> = {
  sourceFile: "an import, protocol, resource or policy declaration",
  topLevelDeclaration: "a 'protocol', 'resource' or 'policy' declaration",
  protocolMember:
    "a protocol member ('roles', 'abi', 'const', 'enum', 'struct', 'message', 'ring', 'stream', 'packet', 'store', 'lifecycle', 'exchange' or 'guarantee')",
  structDeclaration: "'struct' or 'message'",
  structMember: "a field ('name: type;'), 'switch' or 'where'",
  switchCase: "'case' or 'default'",
  ringMember: "a ring member ('request', 'response' or 'order')",
  streamDirectionPart: "'data', 'producer' or 'consumer'",
  storeKeyAttribute: "a key attribute ('=', 'optional', 'for', 'where' or 'enables')",
  transitionDeclaration: "a transition ('FROM -> TO;')",
  transitionAttribute: "'when', 'publishes' or 'reads'",
  exchangeMember: "an exchange member ('correlate', 'exactly once', 'ordered', 'unordered', 'deadline' or 'outstanding at most')",
  guaranteeStatement: "a guarantee statement",
  packetMember: "a packet part ('name: Type ...;') or 'where'",
  storeMember: "a store key ('key-name: type ...;') or 'where'",
  resourceMember: "a resource member ('protocol', 'provider', 'consumer', 'path', 'labels' or 'limit')",
  policyMember: "a policy member ('role', 'principal', 'label', 'enforce', 'conflict' or 'colour')",
  principalAttribute: "'matches', 'roles', 'types' or 'privileged'",
  operand: "an expression",
  primaryExpression: "an expression",
  postfixSuffix: "'.' or '['",
  quantifiedExpression: "'forall' or 'exists'",
  lifecycleDeclaration: "a role's state machine or 'data when'",
  packetDeclaration: "'request' or 'response'",
};

export function describeRule(ruleName: string): string {
  return ruleDescriptions[ruleName] ?? ruleName;
}

/** A token as the user sees it: its text in quotes, or "the end of the file". */
export function describeFoundToken(token: IToken | undefined): string {
  if (token === undefined || token.tokenType === EOF) return "the end of the file";
  const image = token.image.length > 24 ? `${token.image.slice(0, 24)}...` : token.image;
  return `'${image}'`;
}

export function describeTokenType(tokenType: TokenType): string {
  if (tokenType === EOF) return "the end of the file";
  return tokenType.LABEL ?? tokenType.name;
}

function describeAlternatives(paths: readonly (readonly TokenType[])[]): string {
  const firsts = new Set<string>();
  for (const path of paths) {
    const first = path[0];
    if (first !== undefined) firsts.add(describeTokenType(first));
  }
  const list = [...firsts];
  if (list.length <= 1) return list[0] ?? "more input";
  return `${list.slice(0, -1).join(", ")} or ${list[list.length - 1] ?? ""}`;
}

export const protoDescErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    return `expected ${describeTokenType(expected)} but found ${describeFoundToken(actual)}${ruleContext(ruleName)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeFoundToken(firstRedundant)}: expected ${describeRule("sourceFile")}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const description = ruleDescriptions[ruleName] ?? describeAlternatives(expectedPathsPerAlt.flat());
    return `expected ${description} but found ${describeFoundToken(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    return `expected ${describeAlternatives(expectedIterationPaths)} but found ${describeFoundToken(actual[0])}${ruleContext(ruleName)}`;
  },
};

/** Where in the grammar the error happened, for mismatches inside a named construct. */
const ruleContexts: Readonly<Record<string, string>> = {
  importDeclaration: "in an import",
  protocolDeclaration: "in a protocol",
  rolesDeclaration: "in 'roles'",
  abiDeclaration: "in 'abi'",
  constDeclaration: "in a constant",
  enumDeclaration: "in an enum",
  enumMember: "in an enum member",
  structDeclaration: "in a struct or message",
  structBody: "in a struct body",
  fieldDeclaration: "in a field",
  switchDeclaration: "in a switch",
  ringDeclaration: "in a ring",
  ringMember: "in a ring member",
  streamDeclaration: "in a stream",
  streamDirection: "in a stream direction",
  streamDirectionPart: "in a stream direction",
  packetDeclaration: "in a packet",
  packetPart: "in a packet part",
  storeDeclaration: "in a store schema",
  storeKeyDeclaration: "in a store key",
  lifecycleDeclaration: "in a lifecycle",
  dataPhaseDeclaration: "in 'data when'",
  roleStateMachine: "in a state machine",
  transitionDeclaration: "in a transition",
  exchangeDeclaration: "in an exchange",
  exchangeMember: "in an exchange member",
  guaranteeDeclaration: "in a guarantee",
  guaranteeSubject: "in a guarantee subject",
  guaranteeStatement: "in a guarantee statement",
  resourceDeclaration: "in a resource class",
  resourceMember: "in a resource member",
  policyDeclaration: "in a policy",
  policyRoleDeclaration: "in a policy role",
  permissionDeclaration: "in a permission",
  principalDeclaration: "in a principal",
  resourceLabelDeclaration: "in a resource label",
  enforceDeclaration: "in 'enforce'",
  typeSetDeclaration: "in a type set",
  whereClause: "in a 'where' constraint",
  typeExpression: "in a type",
  primaryExpression: "in an expression",
  postfixSuffix: "in an expression",
  quantifiedExpression: "in a quantifier",
};

function ruleContext(ruleName: string): string {
  const context = ruleContexts[ruleName];
  return context === undefined ? "" : ` ${context}`;
}
