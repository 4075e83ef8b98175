// The formatting worker: one worker thread with prettier loaded, so that a module's formatting
// can be split between the compiler's thread and a second core. Starting it is cheap for the
// caller (the thread loads prettier on its own core), and it never keeps the process alive
// while idle. A worker that cannot start is not an error: every request then answers
// `undefined` and the caller formats on its own thread. A worker that stops or fails after it
// started rejects the requests in flight with a one-line message, so nothing ever hangs.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { FormatRequestMessage, FormatWorkerMessage } from "./format-worker-messages.js";

export interface FormatWorkerPoolOptions {
  /** Overrides where the compiled worker entry module is (see resolveFormatWorkerEntryUrl). */
  readonly workerEntryUrl?: URL;
}

/**
 * Workers load JavaScript only. From dist/ the entry sits beside this module; when this module
 * runs from its TypeScript source (under vitest), the compiled entry in dist/ is used, which
 * is why tests run after `tsc` (without it the pool is unavailable and formatting stays on the
 * calling thread).
 */
export function resolveFormatWorkerEntryUrl(): URL {
  const beside = new URL("./format-worker.js", import.meta.url);
  if (!import.meta.url.endsWith(".ts")) return beside;
  return new URL("../../dist/compiler/codegen/format-worker.js", import.meta.url);
}

interface PendingRequest {
  readonly resolve: (texts: readonly string[] | undefined) => void;
  readonly reject: (error: Error) => void;
}

type WorkerState = "starting" | "ready" | "unavailable" | "closed";

/** What the worker was asked to do so far (the benchmark reports the worker's share from it). */
export interface FormatWorkerStatistics {
  readonly requests: number;
  readonly characters: number;
}

export class FormatWorkerPool {
  private readonly worker: Worker | undefined;
  private state: WorkerState;
  private nextRequestId = 1;
  private charactersSent = 0;
  private readonly pending = new Map<number, PendingRequest>();
  private settleReady: (ready: boolean) => void = () => undefined;
  /** Settles true once prettier has loaded and warmed up on the worker, false if it never will. */
  readonly ready: Promise<boolean>;

  private constructor(worker: Worker | undefined) {
    this.worker = worker;
    this.state = worker === undefined ? "unavailable" : "starting";
    this.ready = new Promise<boolean>((resolve) => (this.settleReady = resolve));
    if (worker === undefined) {
      this.settleReady(false);
      return;
    }
    worker.unref();
    worker.on("message", (message: FormatWorkerMessage) => this.receive(message));
    worker.on("error", (error: Error) => this.stop(`the formatting worker thread failed: ${error.message.split("\n")[0] ?? ""}`));
    worker.on("exit", (code: number) => this.stop(`the formatting worker thread exited with code ${code}`));
  }

  /** Starts the worker thread now; prettier loads and warms up on it while the caller goes on. */
  static start(options: FormatWorkerPoolOptions = {}): FormatWorkerPool {
    const entryUrl = options.workerEntryUrl ?? resolveFormatWorkerEntryUrl();
    if (!existsSync(fileURLToPath(entryUrl))) return new FormatWorkerPool(undefined);
    try {
      // The worker needs none of this process's Node flags, and some would break it
      // (`--input-type` with `-e`) or run twice (`--import` preloads).
      return new FormatWorkerPool(new Worker(entryUrl, { execArgv: [] }));
    } catch {
      return new FormatWorkerPool(undefined);
    }
  }

  get statistics(): FormatWorkerStatistics {
    return { requests: this.nextRequestId - 1, characters: this.charactersSent };
  }

  /** False once the worker could not start, stopped, or was closed: requests then answer undefined. */
  get available(): boolean {
    return this.state === "starting" || this.state === "ready";
  }

  /**
   * Formats the texts on the worker thread, in order. Answers undefined when the worker is not
   * available (the caller formats them itself); rejects when prettier rejected a text or the
   * worker stopped after it had started.
   */
  formatTexts(texts: readonly string[]): Promise<readonly string[] | undefined> {
    const worker = this.worker;
    if (worker === undefined || !this.available) return Promise.resolve(undefined);
    const requestId = this.nextRequestId++;
    for (const text of texts) this.charactersSent += text.length;
    return new Promise<readonly string[] | undefined>((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      // While an answer is awaited the worker must keep the process alive, or an otherwise idle
      // event loop would end the process before the answer arrives.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ kind: "format", requestId, texts } satisfies FormatRequestMessage);
    });
  }

  /** Stops the worker thread; requests still in flight answer undefined. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    const wasRunning = this.available;
    this.state = "closed";
    this.settleReady(false);
    this.settleAll((request) => request.resolve(undefined));
    if (this.worker !== undefined && wasRunning) await this.worker.terminate();
  }

  private receive(message: FormatWorkerMessage): void {
    if (message.kind === "ready") {
      if (this.state === "starting") this.state = "ready";
      this.settleReady(true);
      return;
    }
    const request = this.pending.get(message.requestId);
    if (request === undefined) return;
    this.pending.delete(message.requestId);
    if (this.pending.size === 0) this.worker?.unref();
    if (message.kind === "formatted") request.resolve(message.texts);
    else request.reject(new Error(`formatting the generated code failed: ${message.message}`));
  }

  /**
   * The worker is gone. Before it reported ready it never worked here (a missing or broken
   * entry, no threads): its requests fall back to the caller. After that, it is a failure the
   * caller must see.
   */
  private stop(reason: string): void {
    if (this.state === "closed" || this.state === "unavailable") return;
    const startedBefore = this.state === "ready";
    this.state = "unavailable";
    this.settleReady(false);
    this.settleAll((request) => (startedBefore ? request.reject(new Error(reason)) : request.resolve(undefined)));
  }

  private settleAll(settle: (request: PendingRequest) => void): void {
    const requests = [...this.pending.values()];
    this.pending.clear();
    this.worker?.unref();
    for (const request of requests) settle(request);
  }
}
