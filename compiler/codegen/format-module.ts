// Formats one generated module from its ts-morph structure: on the calling thread alone, or
// with a formatting worker's help. Every way gives the same bytes: each top-level statement is
// formatted exactly once with the pinned options (format.ts), and when the module is shared
// between the two threads it is cut and joined at statement boundaries (print-statement-chunks.ts).
import { printStructure, type SourceFileStructure } from "ts-morph";
import type { FormatWorkerPool } from "./format-worker-pool.js";
import { joinFormattedStatementChunks, printModuleInStatementChunks } from "./print-statement-chunks.js";

/** One chunk per thread: the calling thread's and the worker's. */
const threadCount = 2;

/**
 * Below this many printed characters per thread a module is formatted by one thread alone:
 * warm prettier formats about a character per microsecond, so a smaller share would spend a
 * noticeable part of its time in the round trip to the worker.
 */
const minimumCharactersPerThread = 2048;

/**
 * Whether prettier has run on this thread yet. Prettier's first run in a thread costs several
 * times a later one (loading it, then compiling its hot paths); the worker has paid that on its
 * own core while this thread was loading TypeScript, so while this thread is cold the worker
 * formats whole modules, and this thread never loads prettier at all.
 */
let thisThreadHasFormatted = false;

async function formatOnThisThread(text: string): Promise<string> {
  // Loaded on first use, so that a compile whose worker formats everything never loads prettier here.
  const { formatTypeScript } = await import("./format.js");
  thisThreadHasFormatted = true;
  return formatTypeScript(text);
}

export async function formatModuleStructure(structure: SourceFileStructure, formatWorkers: FormatWorkerPool | undefined): Promise<string> {
  // Printing the structure directly writes the same text as creating a ts-morph SourceFile from
  // it and reading that back, without having TypeScript parse the whole module in between
  // (several times faster); prettier then decides every layout detail anyway.
  if (formatWorkers === undefined || !formatWorkers.available) return formatOnThisThread(printStructure(structure, { newLine: "\n" }));
  if (!thisThreadHasFormatted) {
    const text = printStructure(structure, { newLine: "\n" });
    const answer = await formatWorkers.formatTexts([text]);
    return answer?.[0] ?? formatOnThisThread(text);
  }
  const printed = printModuleInStatementChunks(structure, threadCount, minimumCharactersPerThread);
  const chunks = printed.chunks;
  const [ownChunk, workerChunk] = chunks ?? [];
  if (chunks === undefined || ownChunk === undefined || workerChunk === undefined) return formatOnThisThread(printed.text);
  // The worker's share is sent first so that both threads format at the same time.
  const workerAnswer = formatWorkers.formatTexts([workerChunk.text]);
  // Should this thread's share fail, that error is the one reported; the worker's answer is moot.
  workerAnswer.catch(() => undefined);
  const ownFormatted = await formatOnThisThread(ownChunk.text);
  const workerFormatted = (await workerAnswer)?.[0] ?? (await formatOnThisThread(workerChunk.text));
  return joinFormattedStatementChunks([ownFormatted, workerFormatted], chunks);
}
