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
  // Locate every statement in the whole text: printed alone, a top-level statement is the same
  // text (top-level statements carry no indentation), and it must sit after the previous one
  // with nothing but white space between. Anything else means the cut would not be exact.
  const starts: number[] = [];
  const ends: number[] = [];
  let cursor = 0;
  for (const statement of statements) {
    const alone = printStructure({ kind: StructureKind.SourceFile, statements: [statement] }, printOptions).trim();
    const start = text.indexOf(alone, cursor);
    if (start < 0 || text.slice(cursor, start).trim() !== "") return { text, chunks: undefined };
    starts.push(start);
    ends.push(start + alone.length);
    cursor = start + alone.length;
  }
  if (text.slice(cursor).trim() !== "") return { text, chunks: undefined };
  const firstIndexOfChunk = chooseBalancedCuts(starts, ends, chunkCount);
  const chunks: PrintedStatementChunk[] = [];
  for (let chunk = 0; chunk < chunkCount; chunk++) {
    const first = firstIndexOfChunk[chunk] ?? 0;
    const last = (firstIndexOfChunk[chunk + 1] ?? statements.length) - 1;
    const start = starts[first] ?? 0;
    const end = ends[last] ?? text.length;
    const previousEnd = chunk === 0 ? 0 : (ends[first - 1] ?? 0);
    chunks.push({ text: text.slice(start, end), blankLineBefore: chunk > 0 && blankLinePattern.test(text.slice(previousEnd, start)) });
  }
  return { text, chunks };
}

/**
 * The index of each chunk's first statement: chunk j starts at the first statement that begins
 * at or after j/chunkCount of the printed text, and every chunk holds at least one statement.
 */
function chooseBalancedCuts(starts: readonly number[], ends: readonly number[], chunkCount: number): number[] {
  const total = ends[ends.length - 1] ?? 0;
  const firsts = [0];
  for (let chunk = 1; chunk < chunkCount; chunk++) {
    const target = (total * chunk) / chunkCount;
    const previous = firsts[chunk - 1] ?? 0;
    const latestAllowed = starts.length - (chunkCount - chunk);
    let index = previous + 1;
    // Cut before the statement that straddles or follows the target, whichever side is nearer.
    while (index < latestAllowed && (ends[index] ?? total) <= target) index++;
    const straddling = index;
    const cutBefore = starts[straddling] ?? total;
    const cutAfter = ends[straddling] ?? total;
    if (straddling + 1 <= latestAllowed && target - cutBefore > cutAfter - target) index = straddling + 1;
    firsts.push(index);
  }
  return firsts;
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
