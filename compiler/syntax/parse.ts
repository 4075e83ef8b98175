// The syntax phase's entry point: text in, AST and diagnostics out. Lexes, parses with
// recovery (every independent error is reported), and lowers the CST; never throws on input.
import { tokenMatcher, type ILexingError, type IRecognitionException, type IToken } from "../../grammar/chevrotain.js";
import { protoDescLexer } from "../../grammar/lexer.js";
import { protoDescParser } from "../../grammar/parser.js";
import * as tokens from "../../grammar/tokens.js";
import { syntaxDiagnostics } from "../diagnostics/codes/syntax.js";
import { createDiagnostic, type DiagnosticDefinition } from "../diagnostics/definition.js";
import type { Diagnostic, PhaseResult, Span } from "../diagnostics/diagnostic.js";
import type { Comment, SourceFileAst } from "./ast.js";
import { DocCommentIndex, type RawComment } from "./doc-comments.js";
import { CstLowerer } from "./lower.js";

export function parse(file: string, text: string): PhaseResult<SourceFileAst> {
  const diagnostics: Diagnostic[] = [];
  const lexed = protoDescLexer.tokenize(text);
  for (const error of lexed.errors) diagnostics.push(lexingDiagnostic(file, text, error));

  const parserTokens = lexed.tokens.map((token) => repairUnterminatedString(file, token, diagnostics));
  const comments = collectComments(file, lexed.groups[tokens.commentGroup] ?? [], diagnostics);

  protoDescParser.input = parserTokens;
  const cst = protoDescParser.sourceFile();
  diagnostics.push(...recognitionDiagnostics(file, text, protoDescParser.errors));

  const docs = new DocCommentIndex(
    file,
    text,
    comments.map((comment): RawComment => ({ start: comment.span.start, end: comment.span.end, text: comment.text, isDoc: comment.style === "doc" })),
  );
  const lowerer = new CstLowerer({ file, docs });
  const value = lowerer.lowerSourceFile(cst, text.length, comments);
  diagnostics.push(...lowerer.diagnostics);
  for (const detached of docs.unattached()) {
    diagnostics.push(
      createDiagnostic(syntaxDiagnostics.PD1301, detached.span, "this doc comment documents nothing: it is not directly before a declaration or member", {
        notes: ["use '//' for an ordinary comment, or move it directly above what it documents"],
      }),
    );
  }
  return { value, diagnostics: sortDiagnostics(dropCascadingSyntaxErrors(text, diagnostics)) };
}

/**
 * One mistake, one error: keeps only the first syntax error (PD11xx) at any offset, and drops
 * a syntax error right after an unexpected character or an unterminated string, which is only
 * the parser tripping over the gap the lexer left.
 */
function dropCascadingSyntaxErrors(text: string, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const lexicalEnds = new Set<number>();
  for (const diagnostic of diagnostics) {
    const isLexical = diagnostic.code === syntaxDiagnostics.PD1001.code || diagnostic.code === syntaxDiagnostics.PD1002.code;
    if (isLexical) lexicalEnds.add(skipWhitespace(text, diagnostic.span.end));
  }
  const seenSyntaxOffsets = new Set<number>();
  return diagnostics.filter((diagnostic) => {
    if (!diagnostic.code.startsWith("PD11")) return true;
    if (lexicalEnds.has(diagnostic.span.start) || seenSyntaxOffsets.has(diagnostic.span.start)) return false;
    seenSyntaxOffsets.add(diagnostic.span.start);
    return true;
  });
}

/** The offset of the next token after `offset`, skipping whitespace and comments. */
function skipWhitespace(text: string, offset: number): number {
  let position = offset;
  for (;;) {
    while (position < text.length && /[ \t\r\n]/.test(text[position] ?? "")) position++;
    if (text.startsWith("//", position)) {
      const lineEnd = text.indexOf("\n", position);
      position = lineEnd < 0 ? text.length : lineEnd;
    } else if (text.startsWith("/*", position)) {
      const commentEnd = text.indexOf("*/", position + 2);
      position = commentEnd < 0 ? text.length : commentEnd + 2;
    } else return position;
  }
}

function lexingDiagnostic(file: string, text: string, error: ILexingError): Diagnostic {
  const length = Math.max(1, error.length);
  const span: Span = { file, start: error.offset, end: Math.min(text.length, error.offset + length) };
  const characters = [...text.slice(span.start, span.end)];
  const shown = `'${characters.map((character) => describeCharacter(character)).join("")}'`;
  const message = characters.length === 1 ? `unexpected character ${shown}` : `unexpected characters ${shown}`;
  return createDiagnostic(syntaxDiagnostics.PD1001, span, message);
}

function describeCharacter(character: string): string {
  const code = character.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f) || code === 0xfeff) return `\\u{${code.toString(16)}}`;
  return character;
}

/** Reports an unterminated string and hands the parser an ordinary string token instead. */
function repairUnterminatedString(file: string, token: IToken, diagnostics: Diagnostic[]): IToken {
  if (!tokenMatcher(token, tokens.UnterminatedString)) return token;
  diagnostics.push(
    createDiagnostic(syntaxDiagnostics.PD1002, { file, start: token.startOffset, end: token.startOffset + token.image.length }, "this string has no closing '\"' on its line", {
      notes: ["strings end on the line they start on"],
    }),
  );
  return { ...token, tokenType: tokens.StringLiteral, tokenTypeIdx: tokens.StringLiteral.tokenTypeIdx ?? token.tokenTypeIdx };
}

function collectComments(file: string, commentTokens: readonly IToken[], diagnostics: Diagnostic[]): Comment[] {
  return commentTokens.map((token): Comment => {
    const span: Span = { file, start: token.startOffset, end: token.startOffset + token.image.length };
    if (tokenMatcher(token, tokens.UnterminatedBlockComment)) {
      diagnostics.push(
        createDiagnostic(syntaxDiagnostics.PD1003, { file, start: span.start, end: span.start + 2 }, "this block comment is never closed", {
          notes: ["everything up to the end of the file is inside the comment"],
        }),
      );
    }
    const style = tokenMatcher(token, tokens.DocComment) ? "doc" : tokenMatcher(token, tokens.LineComment) ? "line" : "block";
    return { kind: "Comment", span, style, text: token.image };
  });
}

const recognitionCodes: Readonly<Record<string, DiagnosticDefinition>> = {
  MismatchedTokenException: syntaxDiagnostics.PD1101,
  NoViableAltException: syntaxDiagnostics.PD1102,
  EarlyExitException: syntaxDiagnostics.PD1103,
};

/** Turns chevrotain's recognition errors into diagnostics, one per offending position. */
function recognitionDiagnostics(file: string, text: string, errors: readonly IRecognitionException[]): Diagnostic[] {
  const result: Diagnostic[] = [];
  const seenOffsets = new Set<number>();
  for (const error of errors) {
    const span = recognitionSpan(file, text, error);
    // Recovery can report the same position twice (from a rule and from its caller); keep the first.
    if (seenOffsets.has(span.start)) continue;
    seenOffsets.add(span.start);
    const definition = recognitionCodes[error.name] ?? syntaxDiagnostics.PD1102;
    result.push(createDiagnostic(definition, span, error.message));
  }
  return result;
}

/** The offending token's span; at the end of the file, an empty span at the end of the text. */
function recognitionSpan(file: string, text: string, error: IRecognitionException): Span {
  const token = error.token;
  if (token.tokenType === undefined || !Number.isFinite(token.startOffset) || token.image === "") {
    const previous = (error as IRecognitionException & { previousToken?: IToken }).previousToken;
    if (previous !== undefined && Number.isFinite(previous.startOffset) && previous.image !== "") {
      const end = previous.startOffset + previous.image.length;
      return { file, start: end, end };
    }
    return { file, start: text.length, end: text.length };
  }
  return { file, start: token.startOffset, end: token.startOffset + token.image.length };
}

function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((left, right) => left.span.start - right.span.start || left.span.end - right.span.end || left.code.localeCompare(right.code));
}
