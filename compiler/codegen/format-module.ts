// Formats one generated module from its ts-morph structure: on the calling thread alone, or,
// given a formatting worker, half on each of two threads. Both ways give the same bytes: every
// top-level statement is formatted exactly once with the pinned options (format.ts), and the
// halves are cut and joined at statement boundaries (print-statement-chunks.ts).
import type { SourceFileStructure } from "ts-morph";
import { formatTypeScript } from "./format.js";
import type { FormatWorkerPool } from "./format-worker-pool.js";
import { joinFormattedStatementChunks, printModuleInStatementChunks } from "./print-statement-chunks.js";

/** One chunk per thread: the calling thread's and the worker's. */
const threadCount = 2;

/**
 * Below this many printed characters per thread a module is formatted on the calling thread
 * alone: warm prettier formats about a character per microsecond, so a smaller share would
 * spend a noticeable part of its time in the round trip to the worker.
 */
const minimumCharactersPerThread = 2048;

export async function formatModuleStructure(structure: SourceFileStructure, formatWorkers: FormatWorkerPool | undefined): Promise<string> {
  // Printing the structure directly writes the same text as creating a ts-morph SourceFile from
  // it and reading that back, without having TypeScript parse the whole module in between
  // (several times faster); prettier then decides every layout detail anyway.
  const printed = printModuleInStatementChunks(structure, formatWorkers?.available === true ? threadCount : 1, minimumCharactersPerThread);
  const chunks = printed.chunks;
  if (formatWorkers === undefined || chunks === undefined) return formatTypeScript(printed.text);
  const [ownChunk, workerChunk] = chunks;
  if (ownChunk === undefined || workerChunk === undefined) return formatTypeScript(printed.text);
  // The worker's share is sent first so that both threads format at the same time.
  const workerAnswer = formatWorkers.formatTexts([workerChunk.text]);
  // Should this thread's share fail, that error is the one reported; the worker's answer is moot.
  workerAnswer.catch(() => undefined);
  const ownFormatted = await formatTypeScript(ownChunk.text);
  const workerFormatted = (await workerAnswer)?.[0] ?? (await formatTypeScript(workerChunk.text));
  return joinFormattedStatementChunks([ownFormatted, workerFormatted], chunks);
}
