// Typed records of every domain, page, grant and event-channel operation, and the hub that
// hands them to subscribers (monitors, the policer, tests). Callers check `active` before
// building a record, so an operation nobody listens to allocates nothing.

import type { DomainId } from "./domain-summary.js";
import type { GrantFailureCode } from "./grant-status.js";
import type { EventChannelErrorName } from "./event-channel-status.js";

export type HypervisorOperation =
  | { readonly kind: "domain-created"; readonly domain: DomainId; readonly labels: readonly string[]; readonly privileged: boolean }
  | { readonly kind: "domain-paused"; readonly domain: DomainId }
  | { readonly kind: "domain-unpaused"; readonly domain: DomainId }
  | { readonly kind: "domain-reset"; readonly domain: DomainId }
  | { readonly kind: "domain-destroyed"; readonly domain: DomainId; readonly zombieFrames: number }
  | { readonly kind: "domain-released"; readonly domain: DomainId }
  | { readonly kind: "pages-allocated"; readonly domain: DomainId; readonly firstFrame: number; readonly count: number }
  | { readonly kind: "pages-freed"; readonly domain: DomainId; readonly firstFrame: number; readonly count: number; readonly deferred: boolean }
  | { readonly kind: "grant-access"; readonly granter: DomainId; readonly grantee: DomainId; readonly reference: number; readonly frame: number; readonly readonly: boolean }
  | { readonly kind: "grant-end-access"; readonly granter: DomainId; readonly reference: number; readonly deferred: boolean }
  | { readonly kind: "grant-map"; readonly mapper: DomainId; readonly granter: DomainId; readonly reference: number; readonly writable: boolean; readonly handle: number }
  | { readonly kind: "grant-unmap"; readonly mapper: DomainId; readonly granter: DomainId; readonly reference: number; readonly handle: number }
  | { readonly kind: "grant-copy"; readonly caller: DomainId; readonly sourceOwner: DomainId; readonly destinationOwner: DomainId; readonly length: number }
  | { readonly kind: "grant-refused"; readonly operation: "access" | "end-access" | "map" | "unmap" | "copy"; readonly caller: DomainId; readonly status: GrantFailureCode; readonly reason: string }
  | { readonly kind: "evtchn-alloc-unbound"; readonly domain: DomainId; readonly port: number; readonly remote: DomainId }
  | { readonly kind: "evtchn-bind-interdomain"; readonly domain: DomainId; readonly port: number; readonly remote: DomainId; readonly remotePort: number }
  | { readonly kind: "evtchn-send"; readonly domain: DomainId; readonly port: number; readonly delivered: boolean }
  | { readonly kind: "evtchn-close"; readonly domain: DomainId; readonly port: number }
  | { readonly kind: "evtchn-refused"; readonly operation: "alloc-unbound" | "bind-interdomain" | "send" | "close"; readonly domain: DomainId; readonly error: EventChannelErrorName; readonly reason: string };

export type HypervisorOperationKind = HypervisorOperation["kind"];
export type HypervisorObserver = (operation: HypervisorOperation) => void;

export class HypervisorObservation {
  private observers: readonly HypervisorObserver[] = [];

  /** True when at least one observer listens; check it before building an operation record. */
  get active(): boolean {
    return this.observers.length !== 0;
  }

  /** Adds an observer; the returned function removes it again. */
  subscribe(observer: HypervisorObserver): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((existing) => existing !== observer);
    };
  }

  publish(operation: HypervisorOperation): void {
    // The array is replaced, never mutated, so an observer that unsubscribes during delivery
    // does not disturb this loop.
    for (const observer of this.observers) observer(operation);
  }
}
