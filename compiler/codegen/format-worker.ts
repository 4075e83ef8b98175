// The entry module of the formatting worker thread: loads prettier, warms it up on a sample of
// generated-looking code (while the compiler's thread is still loading TypeScript), then formats
// the texts it is sent with the same pinned options as the compiler's own thread.
import { parentPort } from "node:worker_threads";
import { formatTypeScript } from "./format.js";
import type { FormatRequestMessage, FormatWorkerMessage } from "./format-worker-messages.js";

/**
 * A few declarations in the shapes the generator writes (an interface, a const enum object, a
 * decoding function, a table), so that prettier's hot paths are compiled before real work arrives.
 */
const warmUpText = `
export interface WarmUpRecord { readonly id: number; handle: number; sectorNumber: number; seg: WarmUpSegment[] }
export interface WarmUpSegment { gref: number; firstSect: number; lastSect: number }
export const WarmUpOperation = { read: 0, write: 1, flushDiskcache: 3 } as const;
export function decodeWarmUpRecord(view: DataView, offset: number, target: WarmUpRecord): WarmUpError | undefined {
  const nrSegments = view.getUint8(offset + 1);
  if (nrSegments > 11) return { code: "out-of-range", fieldPath: "nrSegments", offset: offset + 1 };
  target.handle = view.getUint16(offset + 2, true);
  target.sectorNumber = Number(view.getBigUint64(offset + 16, true));
  for (let index = 0; index < nrSegments; index++) { const segment = target.seg[index]!; segment.gref = view.getUint32(offset + 24 + index * 8, true); segment.firstSect = view.getUint8(offset + 28 + index * 8); }
  return target.handle === 0 && nrSegments === 0 ? { code: "clause", fieldPath: "handle", offset } : undefined;
}
export const warmUpTable = { x86_64: { WarmUpRecord: { size: 112, align: 8, padding: [[9, 1], [12, 4]] } }, x86_32: { WarmUpRecord: { size: 108, align: 4, padding: [] } } } as const;
`;

const warmUpRounds = 3;

/** Prettier runs one text at a time here, in arrival order, as on the compiler's own thread. */
let queueTail: Promise<unknown> = Promise.resolve();
function enqueue<Result>(work: () => Promise<Result>): Promise<Result> {
  const result = queueTail.then(work);
  queueTail = result.catch(() => undefined);
  return result;
}

const port = parentPort;
if (port !== null) {
  let workArrived = false;
  port.on("message", (request: FormatRequestMessage) => {
    workArrived = true;
    void enqueue(async () => port.postMessage(await answer(request)));
  });
  // The first round proves prettier works here (if it throws, the worker fails before it is
  // ready, and the compiler formats on its own thread); later rounds only warm prettier up, so
  // they stop as soon as real work arrives (letting messages in between rounds).
  await enqueue(() => formatTypeScript(warmUpText));
  port.postMessage({ kind: "ready" } satisfies FormatWorkerMessage);
  for (let round = 1; round < warmUpRounds && !workArrived; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    await enqueue(async () => (workArrived ? undefined : formatTypeScript(warmUpText)));
  }
}

async function answer(request: FormatRequestMessage): Promise<FormatWorkerMessage> {
  try {
    const texts: string[] = [];
    for (const text of request.texts) texts.push(await formatTypeScript(text));
    return { kind: "formatted", requestId: request.requestId, texts };
  } catch (error) {
    return { kind: "failed", requestId: request.requestId, message: error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error) };
  }
}
