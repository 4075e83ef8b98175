// The event-channel rules with Xen semantics (reference/xen-abi.md §7): alloc_unbound for a
// named remote, bind_interdomain (the new port starts pending), send (silently dropped on an
// unbound port), close (the peer returns to unbound), plus handlers and waiters on the
// hypervisor's thread. Port state itself lives in the shared EventChannelTable.

import type { Domain } from "./domain.js";
import type { DomainId, DomainSummary } from "./domain-summary.js";
import { eventChannelFailure, eventChannelOkay, type EventChannelErrorName, type EventChannelFailure, type EventChannelResult } from "./event-channel-status.js";
import { PortState, SendOutcome, type EventChannelTable } from "./event-channel-table.js";
import type { HypervisorCore } from "./hypervisor-core.js";
import type { HypervisorOperation } from "./observation.js";

export type EventHandler = (port: number) => void;

/** Runs deliveries of pending events to handlers: a seeded scheduler in-process, microtasks otherwise. */
export interface EventDeliveryScheduler {
  scheduleDelivery(deliver: () => void): void;
}

export const microtaskDeliveryScheduler: EventDeliveryScheduler = Object.freeze({
  scheduleDelivery: (deliver: () => void) => queueMicrotask(deliver),
});

export interface PortAllocated {
  readonly port: number;
}

export interface EventSent {
  /** False when the port was unbound (Xen drops such a send silently) or already pending. */
  readonly raised: boolean;
}

interface PortListeners {
  readonly domain: Domain;
  readonly port: number;
  handlers: readonly EventHandler[];
  waiters: (() => void)[];
  deliveryScheduled: boolean;
  /** Made once per port so that scheduling a delivery allocates nothing. */
  deliver: () => void;
}

const sentRaised: EventChannelResult<EventSent> = Object.freeze({ ok: true as const, raised: true });
const sentNotRaised: EventChannelResult<EventSent> = Object.freeze({ ok: true as const, raised: false });

export class EventChannels {
  private readonly listeners = new Map<number, PortListeners>();
  /** Reused for every send so that checking the policy allocates nothing. */
  private readonly sendRequest: { sender: DomainSummary; receiver: DomainSummary; port: number } = {
    sender: { id: 0, labels: [], privileged: false },
    receiver: { id: 0, labels: [], privileged: false },
    port: 0,
  };
  deliveryScheduler: EventDeliveryScheduler = microtaskDeliveryScheduler;

  constructor(
    private readonly core: HypervisorCore,
    readonly table: EventChannelTable,
  ) {}

  /** alloc_unbound: a new port of `domain` that only `remoteId` may bind to. */
  allocateUnbound(domain: Domain, remoteId: DomainId): EventChannelResult<PortAllocated> {
    if (!domain.isLive) return this.refuse("alloc-unbound", domain.id, "ESRCH", `domain ${domain.id} is ${domain.lifecycle}`);
    const remote = this.core.findDomain(remoteId);
    if (remote === undefined || !remote.isLive) return this.refuse("alloc-unbound", domain.id, "ESRCH", `remote domain ${remoteId} does not exist`);
    const decision = this.core.currentPolicyHooks().checkEventChannelCreate({ creator: domain, remote });
    if (!decision.allowed) return this.refuse("alloc-unbound", domain.id, "EACCES", `policy denied the channel: ${decision.reason}`);
    const port = this.table.findFreePort(domain.eventTableSlot);
    if (port === undefined) return this.refuse("alloc-unbound", domain.id, "ENOSPC", `domain ${domain.id} has no free event-channel port`);
    this.table.writeUnbound(domain.eventTableSlot, port, remoteId);
    if (this.core.observation.active) this.core.observation.publish({ kind: "evtchn-alloc-unbound", domain: domain.id, port, remote: remoteId });
    return { ok: true, port };
  }

  /**
   * bind_interdomain: connects a new local port of `binder` to `remotePort` of `remoteId`,
   * which must be unbound and reserved for `binder`. The new local port starts pending.
   */
  bindInterdomain(binder: Domain, remoteId: DomainId, remotePort: number): EventChannelResult<PortAllocated> {
    if (!binder.isLive) return this.refuse("bind-interdomain", binder.id, "ESRCH", `domain ${binder.id} is ${binder.lifecycle}`);
    const remote = this.core.findDomain(remoteId);
    if (remote === undefined || !remote.isLive) return this.refuse("bind-interdomain", binder.id, "ESRCH", `remote domain ${remoteId} does not exist`);
    if (!this.table.isValidPort(remotePort)) return this.refuse("bind-interdomain", binder.id, "EINVAL", `port ${remotePort} is not a valid port of domain ${remoteId}`);
    const remoteSlot = remote.eventTableSlot;
    if (this.table.stateOf(remoteSlot, remotePort) !== PortState.unbound) {
      return this.refuse("bind-interdomain", binder.id, "EINVAL", `port ${remotePort} of domain ${remoteId} is not unbound`);
    }
    if (this.table.remoteDomainIdOf(remoteSlot, remotePort) !== binder.id) {
      return this.refuse(
        "bind-interdomain",
        binder.id,
        "EINVAL",
        `port ${remotePort} of domain ${remoteId} is reserved for domain ${this.table.remoteDomainIdOf(remoteSlot, remotePort)}, not domain ${binder.id}`,
      );
    }
    const decision = this.core.currentPolicyHooks().checkEventChannelBind({ binder, remote, remotePort });
    if (!decision.allowed) return this.refuse("bind-interdomain", binder.id, "EACCES", `policy denied the binding: ${decision.reason}`);
    const port = this.table.findFreePort(binder.eventTableSlot);
    if (port === undefined) return this.refuse("bind-interdomain", binder.id, "ENOSPC", `domain ${binder.id} has no free event-channel port`);
    this.table.writeInterdomain(binder.eventTableSlot, port, remote.id, remoteSlot, remotePort);
    this.table.writeInterdomain(remoteSlot, remotePort, binder.id, binder.eventTableSlot, port);
    this.refreshSendPermission(binder, port, remote);
    this.refreshSendPermission(remote, remotePort, binder);
    if (this.core.observation.active) this.core.observation.publish({ kind: "evtchn-bind-interdomain", domain: binder.id, port, remote: remote.id, remotePort });
    this.table.raisePending(binder.eventTableSlot, port);
    this.scheduleDeliveryIfListened(binder.eventTableSlot, port);
    return { ok: true, port };
  }

  /** send: raises the peer's pending bit; a send on an unbound port is dropped silently. */
  send(sender: Domain, port: number): EventChannelResult<EventSent> {
    if (!sender.isLive) return this.refuse("send", sender.id, "ESRCH", `domain ${sender.id} is ${sender.lifecycle}`);
    if (!this.table.isValidPort(port)) return this.refuse("send", sender.id, "EINVAL", `port ${port} is not a valid port`);
    const slot = sender.eventTableSlot;
    const state = this.table.stateOf(slot, port);
    if (state === PortState.free) return this.refuse("send", sender.id, "EINVAL", `port ${port} of domain ${sender.id} is not allocated`);
    if (state === PortState.interdomain) {
      const receiver = this.core.findDomain(this.table.remoteDomainIdOf(slot, port));
      if (receiver !== undefined) {
        const request = this.sendRequest;
        request.sender = sender;
        request.receiver = receiver;
        request.port = port;
        const decision = this.core.currentPolicyHooks().checkEventChannelSend(request);
        if (!decision.allowed) return this.refuse("send", sender.id, "EACCES", `policy denied the notification: ${decision.reason}`);
      }
    }
    const outcome = this.table.send(slot, port);
    if (outcome === SendOutcome.deniedByPolicy) return this.refuse("send", sender.id, "EACCES", `policy denied notifications on port ${port}`);
    const raised = outcome === SendOutcome.deliveredNewPending;
    if (raised) this.scheduleDeliveryIfListened(this.table.remoteSlotOf(slot, port), this.table.remotePortOf(slot, port));
    if (this.core.observation.active) this.core.observation.publish({ kind: "evtchn-send", domain: sender.id, port, delivered: raised });
    return raised ? sentRaised : sentNotRaised;
  }

  /** close: frees the port; an interdomain peer returns to unbound, rebindable by this domain. */
  close(domain: Domain, port: number): EventChannelResult<object> {
    if (!this.table.isValidPort(port)) return this.refuse("close", domain.id, "EINVAL", `port ${port} is not a valid port`);
    const slot = domain.eventTableSlot;
    const state = this.table.stateOf(slot, port);
    if (state === PortState.free) return this.refuse("close", domain.id, "EINVAL", `port ${port} of domain ${domain.id} is not allocated`);
    if (state === PortState.interdomain) {
      const remoteSlot = this.table.remoteSlotOf(slot, port);
      const remotePort = this.table.remotePortOf(slot, port);
      this.table.writeUnbound(remoteSlot, remotePort, domain.id);
    }
    this.table.writeFree(slot, port);
    this.dropListeners(slot, port);
    if (this.core.observation.active) this.core.observation.publish({ kind: "evtchn-close", domain: domain.id, port });
    return eventChannelOkay;
  }

  /** Closes every open port of `domain` (its destroy or reset); returns how many. */
  closeAll(domain: Domain): number {
    let closed = 0;
    for (let port = 1; port < this.table.portsPerDomain; port += 1) {
      if (this.table.stateOf(domain.eventTableSlot, port) !== PortState.free) {
        this.close(domain, port);
        closed += 1;
      }
    }
    this.table.bumpWakeSequence(domain.eventTableSlot);
    return closed;
  }

  /** Re-asks the policy whether each end of every connected port may send (after a policy change). */
  refreshAllSendPermissions(domains: Iterable<Domain>): void {
    for (const domain of domains) {
      for (let port = 1; port < this.table.portsPerDomain; port += 1) {
        if (this.table.stateOf(domain.eventTableSlot, port) !== PortState.interdomain) continue;
        const receiver = this.core.findDomain(this.table.remoteDomainIdOf(domain.eventTableSlot, port));
        if (receiver !== undefined) this.refreshSendPermission(domain, port, receiver);
      }
    }
  }

  /**
   * Calls `handler` on the hypervisor's thread each time the port's pending bit is found set;
   * the bit is cleared first, so the handler must re-check whatever the event is about.
   */
  onEvent(domain: Domain, port: number, handler: EventHandler): () => void {
    const listeners = this.listenersOf(domain, port);
    listeners.handlers = [...listeners.handlers, handler];
    this.scheduleDeliveryIfListened(domain.eventTableSlot, port);
    return () => {
      listeners.handlers = listeners.handlers.filter((existing) => existing !== handler);
    };
  }

  /**
   * Resolves at the next delivery of an event on the port (immediately if already pending),
   * or when the port is closed: a spurious wake-up, after which callers re-check their state.
   */
  waitForEvent(domain: Domain, port: number): Promise<void> {
    const listeners = this.listenersOf(domain, port);
    const promise = new Promise<void>((resolve) => listeners.waiters.push(resolve));
    this.scheduleDeliveryIfListened(domain.eventTableSlot, port);
    return promise;
  }

  /** Delivers every listened port whose pending bit is set (after sends from other threads). */
  deliverPendingFromOtherThreads(): void {
    for (const listeners of this.listeners.values()) this.scheduleDeliveryIfListened(listeners.domain.eventTableSlot, listeners.port);
  }

  /** Delivers events held back while `domain` was paused. */
  resumeDeliveries(domain: Domain): void {
    for (const listeners of this.listeners.values()) if (listeners.domain === domain) this.scheduleDeliveryIfListened(domain.eventTableSlot, listeners.port);
  }

  countListenedPorts(): number {
    return this.listeners.size;
  }

  private refreshSendPermission(sender: Domain, port: number, receiver: Domain): void {
    const decision = this.core.currentPolicyHooks().checkEventChannelSend({ sender, receiver, port });
    this.table.writeSendDenied(sender.eventTableSlot, port, !decision.allowed);
  }

  private listenersOf(domain: Domain, port: number): PortListeners {
    const key = domain.eventTableSlot * this.table.portsPerDomain + port;
    let listeners = this.listeners.get(key);
    if (listeners === undefined) {
      const created: PortListeners = { domain, port, handlers: [], waiters: [], deliveryScheduled: false, deliver: () => this.deliver(created) };
      listeners = created;
      this.listeners.set(key, listeners);
    }
    return listeners;
  }

  /** Forgets a closed port's handlers; its waiters wake (spuriously) so that nobody waits forever. */
  private dropListeners(slot: number, port: number): void {
    const key = slot * this.table.portsPerDomain + port;
    const listeners = this.listeners.get(key);
    if (listeners === undefined) return;
    this.listeners.delete(key);
    for (const resolve of listeners.waiters) resolve();
  }

  private scheduleDeliveryIfListened(slot: number, port: number): void {
    const listeners = this.listeners.get(slot * this.table.portsPerDomain + port);
    if (listeners === undefined || listeners.deliveryScheduled) return;
    if (listeners.handlers.length === 0 && listeners.waiters.length === 0) return;
    if (!this.table.isPending(slot, port)) return;
    listeners.deliveryScheduled = true;
    this.deliveryScheduler.scheduleDelivery(listeners.deliver);
  }

  private deliver(listeners: PortListeners): void {
    listeners.deliveryScheduled = false;
    const { domain, port } = listeners;
    // A paused domain runs nothing: its events stay pending until it is unpaused.
    if (domain.lifecycle !== "running") return;
    if (this.listeners.get(domain.eventTableSlot * this.table.portsPerDomain + port) !== listeners) return;
    if (listeners.handlers.length === 0 && listeners.waiters.length === 0) return;
    if (!this.table.consumePending(domain.eventTableSlot, port)) return;
    const waiters = listeners.waiters;
    listeners.waiters = [];
    for (const resolve of waiters) resolve();
    for (const handler of listeners.handlers) handler(port);
  }

  private refuse(operation: Extract<HypervisorOperation, { kind: "evtchn-refused" }>["operation"], domain: DomainId, error: EventChannelErrorName, reason: string): EventChannelFailure {
    if (this.core.observation.active) this.core.observation.publish({ kind: "evtchn-refused", operation, domain, error, reason });
    return eventChannelFailure(error, reason);
  }
}
