// Prints a module's structure once and cuts the printed text into runs of whole top-level
// statements of about equal size, so that each run can be formatted on its own (on another
// thread) and the formatted runs joined into exactly what formatting the whole text gives.
// Prettier formats every top-level statement independently and keeps one blank line between
// two statements where the text had one, so the only thing a cut must carry over is whether
// the gap at the cut held a blank line.
import { printStructure, type SourceFileStructure, StructureKind } from "ts-morph";

export interface PrintedStatementChunk {
  /** A run of whole top-level statements, exactly as the module printed them (blank lines inside kept). */
  readonly text: string;
  /** Whether the printed module had a blank line between the previous chunk and this one. */
  readonly blankLineBefore: boolean;
}

export interface PrintedModule {
  /** The whole module as printStructure writes it. */
  readonly text: string;
  /**
   * The same text cut into `chunkCount` runs of statements, or undefined when it is not worth
   * cutting (too short) or cannot be cut with certainty (too few statements, trivia outside
   * statements, or a statement whose text printed alone is not found in place): the caller then
   * formats `text` whole.
   */
  readonly chunks: readonly PrintedStatementChunk[] | undefined;
}

const printOptions = { newLine: "\n" } as const;

/** A gap between two statements "has a blank line" when two line breaks are separated by spaces only. */
const blankLinePattern = /\n[ \t]*\n/;

/** Prints the module and, when it has at least `minimumChunkLength` characters per chunk, cuts it into `chunkCount` chunks. */
export function printModuleInStatementChunks(structure: SourceFileStructure, chunkCount: number, minimumChunkLength = 0): PrintedModule {
  const text = printStructure(structure, printOptions);
  const statements = structure.statements;
  const cuttable =
    chunkCount >= 2 && text.length >= chunkCount * minimumChunkLength && structure.leadingTrivia === undefined && structure.trailingTrivia === undefined;
  if (!cuttable || !Array.isArray(statements) || statements.length < chunkCount) return { text, chunks: undefined };
  // Walk back from the end, locating each statement in the whole text: printed alone, a
  // top-level statement is the same text (top-level statements carry no indentation), and it
  // must end where the next one begins, white space apart. Once the statements after a cut are
  // located exactly, whatever precedes them is the printing of the statements before it, so the
  // walk stops at the first cut and the first chunk's statements are never printed twice.
  /** Where each located statement starts, in statement order (the statements after the first cut). */
  const locatedStarts: number[] = [];
  let cursor = text.length;
  let lastStatementEnd = text.length;
  for (let index = statements.length - 1; index >= 1; index--) {
    const statement = statements[index];
    if (statement === undefined) return { text, chunks: undefined };
    const alone = printStructure({ kind: StructureKind.SourceFile, statements: [statement] }, printOptions).trim();
    const start = text.lastIndexOf(alone, cursor - alone.length);
    if (start < 0 || text.slice(start + alone.length, cursor).trim() !== "") return { text, chunks: undefined };
    if (locatedStarts.length === 0) lastStatementEnd = start + alone.length;
    locatedStarts.unshift(start);
    cursor = start;
    if (locatedStarts.length >= chunkCount - 1 && start <= lastStatementEnd / chunkCount) break;
  }
  // Chunk j (from 1) starts at the located statement that begins nearest j/chunkCount of the
  // text, after the previous chunk's start and leaving every later chunk a statement.
  const cutStarts: number[] = [];
  let earliest = 0;
  for (let chunk = 1; chunk < chunkCount; chunk++) {
    const target = (lastStatementEnd * chunk) / chunkCount;
    const latest = locatedStarts.length - (chunkCount - chunk);
    let best = earliest;
    for (let candidate = earliest + 1; candidate <= latest; candidate++) {
      if (Math.abs((locatedStarts[candidate] ?? 0) - target) < Math.abs((locatedStarts[best] ?? 0) - target)) best = candidate;
    }
    cutStarts.push(locatedStarts[best] ?? 0);
    earliest = best + 1;
  }
  const chunkStarts = [0, ...cutStarts];
  const chunks: PrintedStatementChunk[] = [];
  for (const [chunk, start] of chunkStarts.entries()) {
    const next = chunkStarts[chunk + 1];
    const end = next === undefined ? lastStatementEnd : text.slice(0, next).trimEnd().length;
    const gapBefore = chunk === 0 ? "" : text.slice(text.slice(0, start).trimEnd().length, start);
    chunks.push({ text: text.slice(start, end), blankLineBefore: blankLinePattern.test(gapBefore) });
  }
  return { text, chunks };
}

/**
 * Joins the chunks once each is formatted, in order: prettier ends every formatted program with
 * one line break and keeps one blank line between statements where the text had one, so the
 * join adds that blank line at each cut that had one.
 */
export function joinFormattedStatementChunks(formatted: readonly string[], chunks: readonly PrintedStatementChunk[]): string {
  let joined = "";
  for (const [index, text] of formatted.entries()) joined += (chunks[index]?.blankLineBefore === true ? "\n" : "") + text;
  return joined;
}
