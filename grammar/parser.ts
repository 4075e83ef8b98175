// The one chevrotain CstParser for .proto-desc: pure grammar (no embedded actions), error
// recovery on, producing a concrete syntax tree that compiler/syntax/lower.ts turns into the AST.
import { CstParser, type CstNode, type IRecognitionException, type TokenType } from "./chevrotain.js";
import { tokenMatcher } from "./chevrotain.js";
import * as t from "./tokens.js";
import { protoDescErrorMessages } from "./error-messages.js";

export interface ProtoDescParserOptions {
  /**
   * Run chevrotain's grammar validations (ambiguities, left recursion, ...) while building the
   * parser. They cost a third of the construction time, which every cold `check` pays, so the
   * shared instance skips them and test/grammar/parser.test.ts builds one with them on.
   */
  readonly validateGrammar?: boolean;
}

export class ProtoDescParser extends CstParser {
  constructor(options: ProtoDescParserOptions = {}) {
    super([...t.parserTokens], {
      recoveryEnabled: true,
      maxLookahead: 2,
      nodeLocationTracking: "onlyOffset",
      skipValidations: options.validateGrammar !== true,
      errorMessageProvider: protoDescErrorMessages,
    });
    this.performSelfAnalysis();
  }

  // -------------------------------------------------------------------------------------------
  // File
  // -------------------------------------------------------------------------------------------

  public readonly sourceFile = this.RULE("sourceFile", () => {
    this.MANY(() => this.SUBRULE(this.importDeclaration));
    this.MANY2(() => {
      this.OR({ MAX_LOOKAHEAD: 1, DEF: [
        { ALT: () => this.SUBRULE(this.topLevelDeclaration) },
        // A stray `}` at the top level is swallowed too, so one extra brace is one error.
        { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
        { ALT: () => this.CONSUME(t.RightBrace, { LABEL: "strayBrace" }) },
      ] });
    });
  });

  /**
   * One token that starts nothing where a member was expected. Member lists end with this
   * alternative so recovery is local: lowering reports each run of stray tokens once.
   */
  private readonly strayToken = this.RULE("strayToken", () => {
    this.CONSUME(t.StrayCategory);
  });

  /**
   * Whether the next tokens start a top-level declaration (`protocol NAME version N {`,
   * `resource NAME {`, `policy NAME {`). Member lists stop there, so an unclosed body is one
   * "expected '}'" error instead of the next declaration read as members.
   */
  private startsTopLevelDeclaration(): boolean {
    const first = this.LA(1);
    if (!tokenMatcher(first, t.Protocol) && !tokenMatcher(first, t.Resource) && !tokenMatcher(first, t.Policy)) return false;
    if (!tokenMatcher(this.LA(2), t.Identifier)) return false;
    // `protocol blkif version 1;` inside a resource class names a protocol; a declaration opens a body.
    if (tokenMatcher(first, t.Protocol)) return tokenMatcher(this.LA(3), t.Version) && tokenMatcher(this.LA(5), t.LeftBrace);
    return tokenMatcher(this.LA(3), t.LeftBrace);
  }

  /**
   * Whether a list nested in a protocol member goes on: not at a protocol member's keyword
   * used as a keyword (not followed by ':'), and not at a top-level declaration.
   */
  private continuesMemberList(): boolean {
    if (this.startsTopLevelDeclaration()) return false;
    const first = this.LA(1);
    const second = this.LA(2);
    for (const keyword of protocolMemberKeywords) {
      if (!tokenMatcher(first, keyword)) continue;
      // Used as a keyword only when followed the way a declaration is: `flags enum`,
      // `lifecycle {`, or a name (`ring io`); `ring.req_prod` or `ring: io` are names.
      if (keyword === t.Flags) return !tokenMatcher(second, t.Enum);
      if (keyword === t.Lifecycle) return !tokenMatcher(second, t.LeftBrace);
      return !tokenMatcher(second, t.Identifier);
    }
    return true;
  }

  /**
   * Replaces chevrotain's choice of the token to re-synchronise on after an error inside a
   * rule. chevrotain searches the follow sets of the whole rule stack from the outermost rule
   * inwards, so the outer member lists' "stray" category (which matches nearly every token)
   * always wins and recovery jumps out to the nearest member list. Searching from the
   * innermost rule outwards lets, for example, an empty name list stop at its own ';'. This
   * relies on two internal methods of chevrotain 11 (pinned), guarded by the error fixtures.
   */
  findReSyncTokenType(): TokenType {
    const internals = this as unknown as {
      buildFullFollowKeyStack(): unknown[];
      getFollowSetFromFollowKey(key: unknown): TokenType[] | undefined;
    };
    const innermostFirst = internals
      .buildFullFollowKeyStack()
      .map((key) => internals.getFollowSetFromFollowKey(key) ?? [])
      .reverse();
    // The outermost follow set is [EOF], and LA(k) is EOF past the end, so this terminates.
    for (let k = 1; ; k++) {
      const next = this.LA(k);
      for (const followSet of innermostFirst) {
        for (const tokenType of followSet) if (tokenMatcher(next, tokenType)) return tokenType;
      }
    }
  }

  /** True when LA(1) is the keyword and LA(2) is not ':' (`where: u8` is a field named where). */
  private keywordStartsConstruct(keyword: TokenType, second?: TokenType): boolean {
    if (!tokenMatcher(this.LA(1), keyword)) return false;
    if (second !== undefined) return tokenMatcher(this.LA(2), second);
    return !tokenMatcher(this.LA(2), t.Colon);
  }

  private readonly importDeclaration = this.RULE("importDeclaration", () => {
    this.CONSUME(t.Import);
    this.CONSUME(t.StringLiteral);
    this.CONSUME(t.Semicolon);
  });

  private readonly topLevelDeclaration = this.RULE("topLevelDeclaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.protocolDeclaration) },
      { ALT: () => this.SUBRULE(this.resourceDeclaration) },
      { ALT: () => this.SUBRULE(this.policyDeclaration) },
    ]);
  });

  // -------------------------------------------------------------------------------------------
  // Shared pieces
  // -------------------------------------------------------------------------------------------

  private readonly qualifiedName = this.RULE("qualifiedName", () => {
    this.CONSUME(t.Identifier);
    this.MANY(() => {
      this.CONSUME(t.Dot);
      this.CONSUME2(t.Identifier);
    });
  });

  private readonly identifierList = this.RULE("identifierList", () => {
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.CONSUME(t.Identifier) });
  });

  private readonly qualifiedNameList = this.RULE("qualifiedNameList", () => {
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.qualifiedName) });
  });

  private readonly typeExpression = this.RULE("typeExpression", () => {
    this.SUBRULE(this.qualifiedName);
    this.MANY(() => {
      this.CONSUME(t.LeftBracket);
      this.SUBRULE(this.expression);
      this.CONSUME(t.RightBracket);
      this.OPTION(() => {
        this.CONSUME(t.Count);
        this.CONSUME(t.Identifier);
      });
    });
  });

  private readonly whereClause = this.RULE("whereClause", () => {
    this.CONSUME(t.Where);
    this.OPTION(() => {
      this.CONSUME(t.Identifier);
      this.CONSUME(t.Colon);
    });
    this.SUBRULE(this.expression);
    this.CONSUME(t.Semicolon);
  });

  // -------------------------------------------------------------------------------------------
  // Protocol
  // -------------------------------------------------------------------------------------------

  private readonly protocolDeclaration = this.RULE("protocolDeclaration", () => {
    this.CONSUME(t.Protocol);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Version);
    this.CONSUME(t.NumberLiteral);
    this.CONSUME(t.LeftBrace);
    this.MANY({ GATE: () => !this.startsTopLevelDeclaration(), DEF: () => this.SUBRULE(this.protocolMember) });
    this.CONSUME(t.RightBrace);
  });

  private readonly protocolMember = this.RULE("protocolMember", () => {
    this.OR({ MAX_LOOKAHEAD: 1, DEF: [
      { ALT: () => this.SUBRULE(this.rolesDeclaration) },
      { ALT: () => this.SUBRULE(this.abiDeclaration) },
      { ALT: () => this.SUBRULE(this.constDeclaration) },
      { ALT: () => this.SUBRULE(this.enumDeclaration) },
      { ALT: () => this.SUBRULE(this.structDeclaration) },
      { ALT: () => this.SUBRULE(this.ringDeclaration) },
      { ALT: () => this.SUBRULE(this.streamDeclaration) },
      { ALT: () => this.SUBRULE(this.packetDeclaration) },
      { ALT: () => this.SUBRULE(this.storeDeclaration) },
      { ALT: () => this.SUBRULE(this.lifecycleDeclaration) },
      { ALT: () => this.SUBRULE(this.exchangeDeclaration) },
      { ALT: () => this.SUBRULE(this.guaranteeDeclaration) },
      { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
    ] });
  });

  private readonly rolesDeclaration = this.RULE("rolesDeclaration", () => {
    this.CONSUME(t.Roles);
    this.SUBRULE(this.identifierList);
    this.CONSUME(t.Semicolon);
  });

  private readonly abiDeclaration = this.RULE("abiDeclaration", () => {
    this.CONSUME(t.Abi);
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.abiEntry) });
    this.OPTION(() => {
      this.CONSUME(t.Selected);
      this.CONSUME(t.By);
      this.SUBRULE(this.qualifiedName);
    });
    this.CONSUME(t.Semicolon);
  });

  private readonly abiEntry = this.RULE("abiEntry", () => {
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.Equals);
      this.CONSUME(t.StringLiteral);
    });
  });

  private readonly constDeclaration = this.RULE("constDeclaration", () => {
    this.CONSUME(t.Const);
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.Colon);
      this.SUBRULE(this.typeExpression);
    });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression);
    this.CONSUME(t.Semicolon);
  });

  private readonly enumDeclaration = this.RULE("enumDeclaration", () => {
    this.OPTION(() => this.CONSUME(t.Flags));
    this.CONSUME(t.Enum);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.typeExpression);
    this.CONSUME(t.LeftBrace);
    // Commas are optional to the grammar so that a missing one is reported by lowering as one
    // precise error, and a trailing comma is allowed.
    this.MANY(() => {
      this.SUBRULE(this.enumMember);
      this.OPTION2(() => this.CONSUME(t.Comma));
    });
    this.CONSUME(t.RightBrace);
  });

  private readonly enumMember = this.RULE("enumMember", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression);
  });

  private readonly structDeclaration = this.RULE("structDeclaration", () => {
    this.OR([{ ALT: () => this.CONSUME(t.Struct) }, { ALT: () => this.CONSUME(t.Message) }]);
    this.CONSUME(t.Identifier, { LABEL: "structName" });
    this.OPTION(() => {
      this.CONSUME(t.From);
      this.CONSUME2(t.Identifier, { LABEL: "sender" });
    });
    this.SUBRULE(this.structBody);
  });

  private readonly structBody = this.RULE("structBody", () => {
    this.CONSUME(t.LeftBrace);
    this.MANY({ GATE: () => this.continuesMemberList(), DEF: () => this.SUBRULE(this.structMember) });
    this.CONSUME(t.RightBrace);
  });

  // One token of lookahead plus gates: any name starts a field unless it is `switch`/`where`
  // used as a keyword, so `a u8;` is read as a field missing its ':' (a precise error).
  private readonly structMember = this.RULE("structMember", () => {
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
        { GATE: () => this.keywordStartsConstruct(t.Switch), ALT: () => this.SUBRULE(this.switchDeclaration), IGNORE_AMBIGUITIES: true },
        { GATE: () => this.keywordStartsConstruct(t.Where), ALT: () => this.SUBRULE(this.whereClause), IGNORE_AMBIGUITIES: true },
        { ALT: () => this.SUBRULE(this.fieldDeclaration), IGNORE_AMBIGUITIES: true },
        { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
      ],
    });
  });

  private readonly fieldDeclaration = this.RULE("fieldDeclaration", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.typeExpression);
    this.OPTION(() => this.SUBRULE(this.abiRestriction));
    this.CONSUME(t.Semicolon);
  });

  // `on x86_32, arm`: the member exists only on these ABIs (Xen headers' `#ifdef` padding).
  private readonly abiRestriction = this.RULE("abiRestriction", () => {
    this.CONSUME(t.On);
    this.SUBRULE(this.identifierList);
  });

  private readonly switchDeclaration = this.RULE("switchDeclaration", () => {
    this.CONSUME(t.Switch);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LeftBrace);
    this.MANY({
      GATE: () => this.continuesMemberList(),
      DEF: () => {
      this.OR({ MAX_LOOKAHEAD: 1, DEF: [
        { ALT: () => this.SUBRULE(this.switchCase) },
        { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
      ] });
      },
    });
    this.CONSUME(t.RightBrace);
  });

  private readonly switchCase = this.RULE("switchCase", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Case);
          this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.expression) });
        },
      },
      { ALT: () => this.CONSUME(t.Default) },
    ]);
    this.SUBRULE(this.structBody);
  });

  // -------------------------------------------------------------------------------------------
  // Channels
  // -------------------------------------------------------------------------------------------

  private readonly ringDeclaration = this.RULE("ringDeclaration", () => {
    this.CONSUME(t.Ring);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LeftBrace);
    this.MANY({
      GATE: () => this.continuesMemberList(),
      DEF: () => {
      this.OR({ MAX_LOOKAHEAD: 1, DEF: [
        { ALT: () => this.SUBRULE(this.ringMember) },
        { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
      ] });
      },
    });
    this.CONSUME(t.RightBrace);
  });

  private readonly ringMember = this.RULE("ringMember", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(t.Request) }, { ALT: () => this.CONSUME(t.Response) }]);
          this.SUBRULE(this.qualifiedName);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Order);
          this.SUBRULE(this.expression);
        },
      },
    ]);
    this.CONSUME(t.Semicolon);
  });

  private readonly streamDeclaration = this.RULE("streamDeclaration", () => {
    this.CONSUME(t.Stream);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.On);
    this.SUBRULE(this.qualifiedName);
    this.CONSUME(t.LeftBrace);
    this.MANY({ GATE: () => this.continuesMemberList(), DEF: () => this.SUBRULE(this.streamDirection) });
    this.CONSUME(t.RightBrace);
  });

  private readonly streamDirection = this.RULE("streamDirection", () => {
    this.CONSUME(t.Direction);
    this.CONSUME(t.Identifier, { LABEL: "directionName" });
    this.CONSUME(t.From);
    this.CONSUME2(t.Identifier, { LABEL: "writer" });
    this.CONSUME(t.LeftBrace);
    this.MANY({ GATE: () => this.continuesMemberList(), DEF: () => this.SUBRULE(this.streamDirectionPart) });
    this.CONSUME(t.RightBrace);
  });

  private readonly streamDirectionPart = this.RULE("streamDirectionPart", () => {
    this.OR([
      { ALT: () => this.CONSUME(t.Data) },
      { ALT: () => this.CONSUME(t.Producer) },
      { ALT: () => this.CONSUME(t.Consumer) },
    ]);
    this.CONSUME(t.Identifier, { LABEL: "field" });
    this.CONSUME(t.Semicolon);
  });

  private readonly packetDeclaration = this.RULE("packetDeclaration", () => {
    this.CONSUME(t.Packet);
    this.CONSUME(t.Identifier, { LABEL: "packetName" });
    this.CONSUME(t.On);
    this.CONSUME2(t.Identifier, { LABEL: "ringName" });
    this.OR([{ ALT: () => this.CONSUME(t.Request) }, { ALT: () => this.CONSUME(t.Response) }]);
    this.CONSUME(t.LeftBrace);
    this.MANY({
      GATE: () => this.continuesMemberList(),
      DEF: () => {
      this.OR2({
        MAX_LOOKAHEAD: 1,
        DEF: [
          { GATE: () => this.keywordStartsConstruct(t.Where), ALT: () => this.SUBRULE(this.whereClause), IGNORE_AMBIGUITIES: true },
          { ALT: () => this.SUBRULE(this.packetPart), IGNORE_AMBIGUITIES: true },
          { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
        ],
      });
      },
    });
    this.CONSUME(t.RightBrace);
  });

  private readonly packetPart = this.RULE("packetPart", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.qualifiedName);
    this.OPTION(() => this.CONSUME(t.Repeated));
    this.OPTION2(() => {
      this.CONSUME(t.If);
      this.SUBRULE(this.expression, { LABEL: "startCondition" });
    });
    this.OPTION3(() => {
      this.CONSUME(t.While);
      this.SUBRULE2(this.expression, { LABEL: "continueCondition" });
    });
    this.CONSUME(t.Semicolon);
  });

  // -------------------------------------------------------------------------------------------
  // Store schema
  // -------------------------------------------------------------------------------------------

  private readonly storeDeclaration = this.RULE("storeDeclaration", () => {
    this.CONSUME(t.Store);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LeftBrace);
    this.MANY({
      GATE: () => this.continuesMemberList(),
      DEF: () => {
      this.OR({
        MAX_LOOKAHEAD: 1,
        DEF: [
          { GATE: () => this.keywordStartsConstruct(t.Where), ALT: () => this.SUBRULE(this.whereClause), IGNORE_AMBIGUITIES: true },
          { ALT: () => this.SUBRULE(this.storeKeyDeclaration), IGNORE_AMBIGUITIES: true },
          { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
        ],
      });
      },
    });
    this.CONSUME(t.RightBrace);
  });

  private readonly storeKeyDeclaration = this.RULE("storeKeyDeclaration", () => {
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.LeftBracket);
      this.SUBRULE(this.expression, { LABEL: "indexRange" });
      this.CONSUME(t.RightBracket);
    });
    this.CONSUME(t.Colon);
    this.SUBRULE(this.typeExpression);
    this.MANY(() => this.SUBRULE(this.storeKeyAttribute));
    this.CONSUME(t.Semicolon);
  });

  private readonly storeKeyAttribute = this.RULE("storeKeyAttribute", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Equals);
          this.SUBRULE(this.expression, { LABEL: "defaultValue" });
        },
      },
      { ALT: () => this.CONSUME(t.Optional) },
      {
        ALT: () => {
          this.CONSUME(t.For);
          this.SUBRULE(this.identifierList);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Where);
          this.SUBRULE2(this.expression, { LABEL: "constraint" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Enables);
          this.SUBRULE(this.qualifiedNameList);
        },
      },
    ]);
  });

  // -------------------------------------------------------------------------------------------
  // Lifecycle, exchanges, guarantees
  // -------------------------------------------------------------------------------------------

  private readonly lifecycleDeclaration = this.RULE("lifecycleDeclaration", () => {
    this.CONSUME(t.Lifecycle);
    this.CONSUME(t.LeftBrace);
    this.MANY({
      GATE: () => this.continuesMemberList(),
      DEF: () => {
      this.OR({
        MAX_LOOKAHEAD: 1,
        DEF: [
          { GATE: () => this.keywordStartsConstruct(t.Data, t.When), ALT: () => this.SUBRULE(this.dataPhaseDeclaration), IGNORE_AMBIGUITIES: true },
          { GATE: () => this.startsLifecycleDeadline(), ALT: () => this.SUBRULE(this.lifecycleDeadlineDeclaration), IGNORE_AMBIGUITIES: true },
          { ALT: () => this.SUBRULE(this.roleStateMachine), IGNORE_AMBIGUITIES: true },
          { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
        ],
      });
      },
    });
    this.CONSUME(t.RightBrace);
  });

  /** `[label:] STATE within` starts a lifecycle deadline; a role's machine is `ROLE {`. */
  private startsLifecycleDeadline(): boolean {
    if (!tokenMatcher(this.LA(1), t.Identifier)) return false;
    if (tokenMatcher(this.LA(2), t.Within)) return true;
    return tokenMatcher(this.LA(2), t.Colon) && tokenMatcher(this.LA(3), t.Identifier) && tokenMatcher(this.LA(4), t.Within);
  }

  private readonly lifecycleDeadlineDeclaration = this.RULE("lifecycleDeadlineDeclaration", () => {
    this.OPTION(() => {
      this.CONSUME(t.Identifier, { LABEL: "label" });
      this.CONSUME(t.Colon);
    });
    this.CONSUME2(t.Identifier, { LABEL: "state" });
    this.CONSUME(t.Within);
    this.SUBRULE(this.expression, { LABEL: "duration" });
    this.CONSUME(t.Semicolon);
  });

  private readonly dataPhaseDeclaration = this.RULE("dataPhaseDeclaration", () => {
    this.CONSUME(t.Data);
    this.CONSUME(t.When);
    this.SUBRULE(this.expression);
    this.CONSUME(t.Semicolon);
  });

  private readonly roleStateMachine = this.RULE("roleStateMachine", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LeftBrace);
    this.MANY({
      GATE: () => this.continuesMemberList(),
      DEF: () => {
      this.OR({ MAX_LOOKAHEAD: 1, DEF: [
        { ALT: () => this.SUBRULE(this.transitionDeclaration) },
        { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
      ] });
      },
    });
    this.CONSUME(t.RightBrace);
  });

  private readonly transitionDeclaration = this.RULE("transitionDeclaration", () => {
    this.OPTION(() => {
      this.CONSUME(t.Identifier, { LABEL: "label" });
      this.CONSUME(t.Colon);
    });
    this.OR([
      { ALT: () => this.CONSUME(t.Star) },
      { ALT: () => this.SUBRULE(this.identifierList, { LABEL: "sources" }) },
    ]);
    this.CONSUME(t.Arrow);
    this.CONSUME2(t.Identifier, { LABEL: "target" });
    this.MANY(() => this.SUBRULE(this.transitionAttribute));
    this.CONSUME(t.Semicolon);
  });

  private readonly transitionAttribute = this.RULE("transitionAttribute", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.When);
          this.SUBRULE(this.expression);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Publishes);
          this.SUBRULE(this.identifierList);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Reads);
          this.SUBRULE(this.qualifiedNameList);
        },
      },
    ]);
  });

  private readonly exchangeDeclaration = this.RULE("exchangeDeclaration", () => {
    this.CONSUME(t.Exchange);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.qualifiedName, { LABEL: "requestType" });
    this.CONSUME(t.Arrow);
    this.SUBRULE2(this.qualifiedName, { LABEL: "responseType" });
    this.CONSUME(t.LeftBrace);
    this.MANY({
      GATE: () => this.continuesMemberList(),
      DEF: () => {
      this.OR({ MAX_LOOKAHEAD: 1, DEF: [
        { ALT: () => this.SUBRULE(this.exchangeMember) },
        { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
      ] });
      },
    });
    this.CONSUME(t.RightBrace);
  });

  private readonly exchangeMember = this.RULE("exchangeMember", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Correlate);
          this.SUBRULE(this.expression, { LABEL: "correlation" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Exactly);
          this.CONSUME(t.Once);
        },
      },
      { ALT: () => this.CONSUME(t.Ordered) },
      { ALT: () => this.CONSUME(t.Unordered) },
      {
        ALT: () => {
          this.CONSUME(t.Deadline);
          this.SUBRULE2(this.expression, { LABEL: "deadline" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Outstanding);
          this.CONSUME(t.At);
          this.CONSUME(t.Most);
          this.SUBRULE3(this.expression, { LABEL: "limit" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Progress);
          this.CONSUME(t.Within);
          this.SUBRULE4(this.expression, { LABEL: "progress" });
        },
      },
    ]);
    this.CONSUME(t.Semicolon);
  });

  private readonly guaranteeDeclaration = this.RULE("guaranteeDeclaration", () => {
    this.CONSUME(t.Guarantee);
    this.CONSUME(t.Identifier, { LABEL: "guaranteeId" });
    this.CONSUME(t.By);
    this.CONSUME2(t.Identifier, { LABEL: "owner" });
    this.OPTION(() => {
      this.CONSUME(t.On);
      this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.guaranteeSubject) });
    });
    this.CONSUME(t.LeftBrace);
    this.MANY({
      GATE: () => this.continuesMemberList(),
      DEF: () => {
      this.OR({ MAX_LOOKAHEAD: 1, DEF: [
        { ALT: () => this.SUBRULE(this.guaranteeStatement) },
        { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
      ] });
      },
    });
    this.CONSUME(t.RightBrace);
  });

  private readonly guaranteeSubject = this.RULE("guaranteeSubject", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.qualifiedName);
  });

  private readonly guaranteeStatement = this.RULE("guaranteeStatement", () => {
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
      {
        GATE: () => this.keywordStartsConstruct(t.At, t.Most),
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          this.CONSUME(t.At);
          this.CONSUME(t.Most);
          this.SUBRULE(this.expression, { LABEL: "limit" });
          this.SUBRULE2(this.expression, { LABEL: "event" });
          this.CONSUME(t.Per);
          this.SUBRULE3(this.expression, { LABEL: "window" });
        },
      },
      {
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          this.SUBRULE4(this.expression, { LABEL: "condition" });
          this.OPTION(() => {
            this.OR2([
              {
                ALT: () => {
                  this.CONSUME(t.Until);
                  this.SUBRULE5(this.expression, { LABEL: "untilEvent" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(t.Within);
                  this.SUBRULE6(this.expression, { LABEL: "withinDeadline" });
                },
              },
            ]);
          });
        },
      },
      ],
    });
    this.CONSUME(t.Semicolon);
  });

  // -------------------------------------------------------------------------------------------
  // Resources and policies
  // -------------------------------------------------------------------------------------------

  private readonly resourceDeclaration = this.RULE("resourceDeclaration", () => {
    this.CONSUME(t.Resource);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LeftBrace);
    this.MANY({
      GATE: () => !this.startsTopLevelDeclaration(),
      DEF: () => {
      this.OR({ MAX_LOOKAHEAD: 1, DEF: [
        { ALT: () => this.SUBRULE(this.resourceMember) },
        { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
      ] });
      },
    });
    this.CONSUME(t.RightBrace);
  });

  private readonly resourceMember = this.RULE("resourceMember", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Protocol);
          this.CONSUME(t.Identifier, { LABEL: "protocolName" });
          this.OPTION(() => {
            this.CONSUME(t.Version);
            this.CONSUME(t.NumberLiteral);
          });
        },
      },
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(t.Provider) }, { ALT: () => this.CONSUME(t.Consumer) }]);
          this.CONSUME2(t.Identifier, { LABEL: "role" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Path);
          this.CONSUME3(t.Identifier, { LABEL: "pathRole" });
          this.CONSUME(t.StringLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Labels);
          this.SUBRULE(this.identifierList);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Limit);
          this.SUBRULE(this.expression);
          this.CONSUME(t.Per);
          this.CONSUME4(t.Identifier, { LABEL: "scope" });
        },
      },
    ]);
    this.CONSUME(t.Semicolon);
  });

  private readonly policyDeclaration = this.RULE("policyDeclaration", () => {
    this.CONSUME(t.Policy);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LeftBrace);
    this.MANY({ GATE: () => !this.startsTopLevelDeclaration(), DEF: () => this.SUBRULE(this.policyMember) });
    this.CONSUME(t.RightBrace);
  });

  private readonly policyMember = this.RULE("policyMember", () => {
    this.OR({ MAX_LOOKAHEAD: 1, DEF: [
      { ALT: () => this.SUBRULE(this.policyRoleDeclaration) },
      { ALT: () => this.SUBRULE(this.principalDeclaration) },
      { ALT: () => this.SUBRULE(this.resourceLabelDeclaration) },
      { ALT: () => this.SUBRULE(this.enforceDeclaration) },
      { ALT: () => this.SUBRULE(this.typeSetDeclaration) },
      { ALT: () => this.SUBRULE(this.strayToken), IGNORE_AMBIGUITIES: true },
    ] });
  });

  private readonly policyRoleDeclaration = this.RULE("policyRoleDeclaration", () => {
    this.CONSUME(t.Role);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LeftBrace);
    this.MANY({ GATE: () => !this.startsTopLevelDeclaration(), DEF: () => this.SUBRULE(this.permissionDeclaration) });
    this.CONSUME(t.RightBrace);
  });

  private readonly permissionDeclaration = this.RULE("permissionDeclaration", () => {
    this.CONSUME(t.Identifier);
    this.SUBRULE(this.identifierList);
    this.CONSUME(t.Semicolon);
  });

  private readonly principalDeclaration = this.RULE("principalDeclaration", () => {
    this.CONSUME(t.Principal);
    this.CONSUME(t.Identifier);
    this.MANY(() => this.SUBRULE(this.principalAttribute));
    this.CONSUME(t.Semicolon);
  });

  private readonly principalAttribute = this.RULE("principalAttribute", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Matches);
          this.CONSUME(t.StringLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Roles);
          this.SUBRULE(this.identifierList, { LABEL: "roleNames" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Types);
          this.SUBRULE2(this.identifierList, { LABEL: "typeNames" });
        },
      },
      { ALT: () => this.CONSUME(t.Privileged) },
    ]);
  });

  private readonly resourceLabelDeclaration = this.RULE("resourceLabelDeclaration", () => {
    this.CONSUME(t.Label);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Types);
    this.SUBRULE(this.identifierList);
    this.CONSUME(t.Semicolon);
  });

  private readonly enforceDeclaration = this.RULE("enforceDeclaration", () => {
    this.CONSUME(t.Enforce);
    this.SUBRULE(this.identifierList);
    this.CONSUME(t.Semicolon);
  });

  /** `conflict NAME { types }` and `colour NAME { types }` share one shape. */
  private readonly typeSetDeclaration = this.RULE("typeSetDeclaration", () => {
    this.OR([{ ALT: () => this.CONSUME(t.Conflict) }, { ALT: () => this.CONSUME(t.Colour) }]);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LeftBrace);
    this.MANY(() => {
      this.CONSUME2(t.Identifier, { LABEL: "typeName" });
      this.OPTION(() => this.CONSUME(t.Comma));
    });
    this.CONSUME(t.RightBrace);
  });

  // -------------------------------------------------------------------------------------------
  // Expressions: a flat `operand (operator operand)*`; precedence is applied during lowering.
  // -------------------------------------------------------------------------------------------

  public readonly expression = this.RULE("expression", () => {
    this.SUBRULE(this.operand);
    this.MANY(() => {
      this.CONSUME(t.BinaryOperatorCategory);
      this.SUBRULE2(this.operand);
    });
  });

  /**
   * Prefix operators, a primary and its suffixes in one rule rather than one rule per level:
   * expressions make up most of a spec's syntax tree, and every level was a node to build.
   */
  private readonly operand = this.RULE("operand", () => {
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(t.Minus) }, { ALT: () => this.CONSUME(t.Tilde) }, { ALT: () => this.CONSUME(t.Bang) }]);
    });
    this.SUBRULE(this.primaryExpression);
    this.MANY2(() => this.SUBRULE(this.postfixSuffix));
  });

  private readonly postfixSuffix = this.RULE("postfixSuffix", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Dot);
          this.CONSUME(t.Identifier);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.LeftBracket);
          this.SUBRULE(this.expression);
          this.CONSUME(t.RightBracket);
        },
      },
    ]);
  });

  private readonly primaryExpression = this.RULE("primaryExpression", () => {
    this.OR([
      { ALT: () => this.CONSUME(t.NumberLiteral) },
      { ALT: () => this.CONSUME(t.DurationLiteral) },
      { ALT: () => this.CONSUME(t.StringLiteral) },
      {
        ALT: () => {
          this.CONSUME(t.Identifier);
          this.OPTION(() => {
            this.CONSUME(t.LeftParen);
            this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: "argument" }) });
            this.CONSUME(t.RightParen);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(t.LeftParen, { LABEL: "groupOpen" });
          this.SUBRULE2(this.expression, { LABEL: "grouped" });
          this.CONSUME2(t.RightParen, { LABEL: "groupClose" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.LeftBrace);
          this.MANY_SEP2({ SEP: t.Comma, DEF: () => this.SUBRULE3(this.expression, { LABEL: "element" }) });
          this.CONSUME(t.RightBrace);
        },
      },
      { ALT: () => this.SUBRULE(this.quantifiedExpression) },
    ]);
  });

  private readonly quantifiedExpression = this.RULE("quantifiedExpression", () => {
    this.OR([{ ALT: () => this.CONSUME(t.Forall) }, { ALT: () => this.CONSUME(t.Exists) }]);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.In);
    this.SUBRULE(this.expression, { LABEL: "range" });
    this.CONSUME(t.Colon);
    this.SUBRULE2(this.expression, { LABEL: "body" });
  });
}

/** Keywords that start a protocol member; nested member lists end before them. */
const protocolMemberKeywords: readonly TokenType[] = [
  t.Roles, t.Abi, t.Const, t.Flags, t.Enum, t.Struct, t.Message, t.Ring, t.Stream, t.Packet, t.Store, t.Lifecycle, t.Exchange, t.Guarantee,
];

/** The singleton: building a chevrotain parser is expensive, using one is cheap. */
export const protoDescParser = new ProtoDescParser();

export type { CstNode, IRecognitionException };
