// A provisional, deliberately tiny store used only until the real core (store-core branch)
// is merged: flat values, watches with prefix matching, errors by name. Not a model of Xen.
import type { StoreConnection, StoreConnectionOptions, StoreMessage } from "../../../runtime/store/connection.js";
import type { StoreConnectionOpener } from "../../../runtime/store/connection-opener.js";
import { decodeStringArguments, encodeStringArguments } from "../../../runtime/store/request-payloads.js";
import { createErrorReply } from "../../../runtime/store/wire-frame-encoder.js";
import { XsMessageType } from "../../../runtime/store/wire-types.js";

export class ProvisionalFakeStore implements StoreConnectionOpener {
  readonly values = new Map<string, Uint8Array>();
  private readonly watches = new Set<{ path: string; token: string; options: StoreConnectionOptions }>();

  openConnection(options: StoreConnectionOptions): StoreConnection {
    const store = this;
    const mine = new Set<{ path: string; token: string; options: StoreConnectionOptions }>();
    return {
      domainId: options.domainId,
      privileged: options.privileged,
      handle(request: StoreMessage): StoreMessage {
        const ok = (payload: Uint8Array): StoreMessage => ({ type: request.type, requestId: request.requestId, transactionId: request.transactionId, payload });
        const args = decodeStringArguments(request.payload);
        const path = args[0] ?? "";
        switch (request.type) {
          case XsMessageType.read: {
            const value = store.values.get(path);
            return value === undefined ? createErrorReply(request, "ENOENT") : ok(value);
          }
          case XsMessageType.write: {
            const nul = request.payload.indexOf(0);
            if (nul < 0) return createErrorReply(request, "EINVAL");
            store.values.set(path, request.payload.slice(nul + 1));
            store.fire(path);
            return ok(encodeStringArguments("OK"));
          }
          case XsMessageType.watch: {
            const watch = { path, token: args[1] ?? "", options };
            mine.add(watch);
            store.watches.add(watch);
            const reply = ok(encodeStringArguments("OK"));
            options.sink.deliver({ type: XsMessageType.watchEvent, requestId: 0, transactionId: 0, payload: encodeStringArguments(path, watch.token) });
            return reply;
          }
          default:
            return createErrorReply(request, "ENOSYS");
        }
      },
      close(): void {
        for (const watch of mine) store.watches.delete(watch);
      },
    };
  }

  private fire(path: string): void {
    for (const watch of this.watches) {
      if (path === watch.path || path.startsWith(`${watch.path}/`)) {
        watch.options.sink.deliver({ type: XsMessageType.watchEvent, requestId: 0, transactionId: 0, payload: encodeStringArguments(path, watch.token) });
      }
    }
  }
}
