// The messages between the compiler's thread and its formatting worker thread
// (format-worker-pool.ts and format-worker.ts): texts to format in, formatted texts out.

/** From the compiler to the worker: format every text with the pinned options. */
export interface FormatRequestMessage {
  readonly kind: "format";
  readonly requestId: number;
  readonly texts: readonly string[];
}

/** From the worker: prettier has loaded (and warmed up), so the worker is known to work. */
export interface FormatWorkerReadyMessage {
  readonly kind: "ready";
}

export interface FormatResultMessage {
  readonly kind: "formatted";
  readonly requestId: number;
  /** One formatted text per requested text, in order. */
  readonly texts: readonly string[];
}

/** Prettier rejected a text: the generated code is not valid TypeScript (a compiler bug). */
export interface FormatFailureMessage {
  readonly kind: "failed";
  readonly requestId: number;
  readonly message: string;
}

export type FormatWorkerMessage = FormatWorkerReadyMessage | FormatResultMessage | FormatFailureMessage;
