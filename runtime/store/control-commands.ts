// XS_CONTROL commands beyond the store's own: xenstored's control request (type 0, what
// xenstore-control sends) carries a command word and its arguments, and a component hosted in
// the daemon (the broker) registers the words it serves. The store stays protocol-agnostic: it
// only checks privilege, finds the handler by word and returns its reply text.
import type { XsErrorName } from "./wire-types.js";

/** Who sent a control command, as the store knows the connection. */
export interface StoreControlCaller {
  readonly domainId: number;
  readonly privileged: boolean;
  /** The policy principal the transport names this connection by (e.g. the socket's tool), if any. */
  readonly principal: string | undefined;
}

/** A reply text (sent NUL-terminated) or one of Xen's error names. */
export type StoreControlOutcome = { readonly ok: true; readonly reply: string } | { readonly ok: false; readonly error: XsErrorName };

export interface StoreControlHandler {
  /** Runs synchronously inside the request, like every store operation. */
  execute(caller: StoreControlCaller, commandArguments: readonly string[]): StoreControlOutcome;
}

/** The command words and handlers a store serves; a word is served by one handler at a time. */
export class StoreControlRegistry {
  private readonly handlers = new Map<string, StoreControlHandler>();

  /** Registers `word`; returns the function that unregisters it. Throws if the word is taken. */
  register(word: string, handler: StoreControlHandler): () => void {
    if (!/^[a-z][a-z0-9-]*$/.test(word)) throw new Error(`'${word}' is not a control command word (lower-case letters, digits, '-')`);
    if (this.handlers.has(word)) throw new Error(`the control command '${word}' is already registered`);
    this.handlers.set(word, handler);
    return () => {
      if (this.handlers.get(word) === handler) this.handlers.delete(word);
    };
  }

  lookUp(word: string): StoreControlHandler | undefined {
    return this.handlers.get(word);
  }

  get words(): readonly string[] {
    return [...this.handlers.keys()].sort();
  }
}
