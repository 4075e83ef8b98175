// Formats one generated module from its ts-morph structure: on the calling thread alone, or,
// given a formatting worker, half on each of two threads. Both ways give the same bytes: every
// top-level statement is formatted exactly once with the pinned options (format.ts), and the
// halves are cut and joined at statement boundaries (print-statement-chunks.ts).
import type { SourceFileStructure } from "ts-morph";
import { formatTypeScript } from "./format.js";
import type { FormatWorkerPool } from "./format-worker-pool.js";
import { printModuleInStatementChunks } from "./print-statement-chunks.js";

/** One chunk per thread: the calling thread's and the worker's. */
const threadCount = 2;

export async function formatModuleStructure(structure: SourceFileStructure, formatWorkers: FormatWorkerPool | undefined): Promise<string> {
  // Printing the structure directly writes the same text as creating a ts-morph SourceFile from
  // it and reading that back, without having TypeScript parse the whole module in between
  // (several times faster); prettier then decides every layout detail anyway.
  const printed = printModuleInStatementChunks(structure, formatWorkers?.available === true ? threadCount : 1);
  const chunks = printed.chunks;
  if (formatWorkers === undefined || chunks === undefined) return formatTypeScript(printed.text);
  const [ownChunk, workerChunk] = chunks;
  if (ownChunk === undefined || workerChunk === undefined) return formatTypeScript(printed.text);
  // The worker's share is sent first so that both threads format at the same time.
  const workerAnswer = formatWorkers.formatTexts([workerChunk.text]);
  const ownFormatted = await formatTypeScript(ownChunk.text);
  const workerFormatted = (await workerAnswer)?.[0] ?? (await formatTypeScript(workerChunk.text));
  return joinFormattedChunks([ownFormatted, workerFormatted], chunks);
}

/**
 * Prettier ends every formatted program with one line break and keeps one blank line between
 * statements where the text had one; joining chunks does the same at each cut.
 */
function joinFormattedChunks(formatted: readonly string[], chunks: readonly { readonly blankLineBefore: boolean }[]): string {
  let joined = "";
  for (const [index, text] of formatted.entries()) joined += (chunks[index]?.blankLineBefore === true ? "\n" : "") + text;
  return joined;
}
