// The hypervisor: creates and tears down domains and owns their memory, grant tables and the
// shared event-channel table. Every operation a domain can perform is a method taking the
// calling domain's id first; refusals come back as typed results.

import { firstReservedDomainId } from "./constants.js";
import { Domain } from "./domain.js";
import { DomainMemory, type FrameRelease } from "./domain-memory.js";
import type { DomainId } from "./domain-summary.js";
import type { EventChannelResult } from "./event-channel-status.js";
import { EventChannels, type EventDeliveryScheduler, type EventHandler, type EventSent, type PortAllocated } from "./event-channels.js";
import { EventChannelTable, type EventChannelTableLayout } from "./event-channel-table.js";
import { GrantOperations, type GrantAccessGranted, type GrantCopyEndpoint, type GrantEndAccess, type GrantMapped, type GrantsMapped } from "./grant-operations.js";
import { GrantStatus, grantFailure, type GrantResult } from "./grant-status.js";
import { GrantTable } from "./grant-table.js";
import type { HypervisorCore } from "./hypervisor-core.js";
import { HypervisorObservation } from "./observation.js";
import { allowAllPolicyHooks, type HypervisorPolicyHooks } from "./policy-hooks.js";

export interface HypervisorLimits {
  /** How many domains may exist at once (rows of the shared event-channel table). */
  readonly maximumDomains: number;
  /** Event-channel ports per domain, port 0 included (Xen's 2-level ABI has 4096 on 64-bit). */
  readonly portsPerDomain: number;
  /** Grant-table entries per domain, the 8 reserved ones included. */
  readonly grantEntriesPerDomain: number;
  /** Memory frames of a domain unless createDomain says otherwise. */
  readonly defaultFramesPerDomain: number;
}

export const defaultHypervisorLimits: HypervisorLimits = Object.freeze({
  maximumDomains: 64,
  portsPerDomain: 256,
  grantEntriesPerDomain: 1024,
  defaultFramesPerDomain: 64,
});

export interface HypervisorOptions {
  readonly limits?: Partial<HypervisorLimits>;
  readonly policyHooks?: HypervisorPolicyHooks;
  /** Who runs deliveries to handlers and waiters; microtasks unless an execution installs its own. */
  readonly deliveryScheduler?: EventDeliveryScheduler;
}

export interface CreateDomainOptions {
  /** An explicit id (0 for dom0); otherwise the lowest free id from 1. */
  readonly id?: DomainId;
  readonly labels?: readonly string[];
  readonly privileged?: boolean;
  readonly memoryFrames?: number;
}

export type DomainOperationResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What a destroy or reset took away, for callers and tests that check nothing dangles. */
export interface DomainTeardown {
  readonly closedPorts: number;
  readonly unmappedForeignGrants: number;
  readonly revokedGrantEntries: number;
  readonly frames: FrameRelease;
}

export class Hypervisor {
  readonly limits: HypervisorLimits;
  readonly observation = new HypervisorObservation();
  readonly eventChannelTable: EventChannelTable;
  private readonly domainsById = new Map<DomainId, Domain>();
  private readonly freeSlots: number[] = [];
  private policy: HypervisorPolicyHooks;
  private readonly grants: GrantOperations;
  private readonly channels: EventChannels;

  constructor(options: HypervisorOptions = {}) {
    this.limits = { ...defaultHypervisorLimits, ...options.limits };
    this.policy = options.policyHooks ?? allowAllPolicyHooks;
    this.eventChannelTable = EventChannelTable.create(this.limits.maximumDomains, this.limits.portsPerDomain);
    for (let slot = this.limits.maximumDomains - 1; slot >= 0; slot -= 1) this.freeSlots.push(slot);
    const core: HypervisorCore = {
      findDomain: (id) => this.domainsById.get(id),
      currentPolicyHooks: () => this.policy,
      observation: this.observation,
      noteForeignFrameReleased: (owner) => this.finishDyingDomainIfUnmapped(owner),
    };
    this.grants = new GrantOperations(core);
    this.channels = new EventChannels(core, this.eventChannelTable);
    if (options.deliveryScheduler !== undefined) this.channels.deliveryScheduler = options.deliveryScheduler;
  }

  get policyHooks(): HypervisorPolicyHooks {
    return this.policy;
  }

  /** Installs the policy engine's hooks and re-checks send permission on every connected port. */
  setPolicyHooks(hooks: HypervisorPolicyHooks): void {
    this.policy = hooks;
    this.channels.refreshAllSendPermissions(this.domainsById.values());
  }

  setDeliveryScheduler(scheduler: EventDeliveryScheduler): void {
    this.channels.deliveryScheduler = scheduler;
  }

  /** The layout workers need to share the event-channel table. */
  get eventChannelTableLayout(): EventChannelTableLayout {
    return this.eventChannelTable.layout;
  }

  // Domains ------------------------------------------------------------------------------

  createDomain(options: CreateDomainOptions = {}): Domain {
    const id = options.id ?? this.lowestFreeDomainId();
    if (!Number.isInteger(id) || id < 0 || id >= firstReservedDomainId) throw new RangeError(`domain id ${id} is outside 0..${firstReservedDomainId - 1}`);
    if (this.domainsById.has(id)) throw new RangeError(`domain ${id} already exists`);
    const slot = this.freeSlots.pop();
    if (slot === undefined) throw new RangeError(`the hypervisor already runs its maximum of ${this.limits.maximumDomains} domains`);
    const memory = new DomainMemory(options.memoryFrames ?? this.limits.defaultFramesPerDomain);
    const domain = new Domain(id, options.labels ?? [], options.privileged ?? false, slot, memory, new GrantTable(this.limits.grantEntriesPerDomain));
    this.domainsById.set(id, domain);
    if (this.observation.active) this.observation.publish({ kind: "domain-created", domain: id, labels: domain.labels, privileged: domain.privileged });
    return domain;
  }

  findDomain(id: DomainId): Domain | undefined {
    return this.domainsById.get(id);
  }

  /** Every domain the hypervisor still tracks, dying ones included. */
  listDomains(): readonly Domain[] {
    return [...this.domainsById.values()];
  }

  pauseDomain(id: DomainId): DomainOperationResult {
    const domain = this.domainsById.get(id);
    if (domain === undefined || domain.lifecycle !== "running") return { ok: false, reason: `domain ${id} is not running` };
    domain.lifecycle = "paused";
    this.eventChannelTable.writePaused(domain.eventTableSlot, true);
    if (this.observation.active) this.observation.publish({ kind: "domain-paused", domain: id });
    return { ok: true };
  }

  unpauseDomain(id: DomainId): DomainOperationResult {
    const domain = this.domainsById.get(id);
    if (domain === undefined || domain.lifecycle !== "paused") return { ok: false, reason: `domain ${id} is not paused` };
    domain.lifecycle = "running";
    this.eventChannelTable.writePaused(domain.eventTableSlot, false);
    if (this.observation.active) this.observation.publish({ kind: "domain-unpaused", domain: id });
    this.channels.resumeDeliveries(domain);
    return { ok: true };
  }

  /**
   * Destroys a domain the Xen way: its channels close (peers return to unbound), the mappings
   * it holds are released, its grant table is torn down, and its memory is freed except frames
   * that other domains still map: those keep the domain a `dying` zombie until unmapped.
   */
  destroyDomain(id: DomainId): DomainTeardown | undefined {
    const domain = this.domainsById.get(id);
    if (domain === undefined || !domain.isLive) return undefined;
    domain.lifecycle = "dying";
    const teardown = this.tearDown(domain);
    if (this.observation.active) this.observation.publish({ kind: "domain-destroyed", domain: id, zombieFrames: teardown.frames.deferred });
    this.finishDyingDomainIfUnmapped(domain);
    return teardown;
  }

  /**
   * Resets a domain in place (what the policer does to a blamed party): the same teardown as
   * destroy, after which the domain runs again with a fresh grant table, no ports and no
   * memory in use. Frames others still map stay parked until they unmap them.
   */
  resetDomain(id: DomainId): DomainTeardown | undefined {
    const domain = this.domainsById.get(id);
    if (domain === undefined || !domain.isLive) return undefined;
    const teardown = this.tearDown(domain);
    domain.lifecycle = "running";
    this.eventChannelTable.writePaused(domain.eventTableSlot, false);
    if (this.observation.active) this.observation.publish({ kind: "domain-reset", domain: id });
    return teardown;
  }

  // Pages --------------------------------------------------------------------------------

  /** Allocates `count` contiguous zeroed frames of the domain's memory; returns the first. */
  allocatePages(id: DomainId, count = 1): number | undefined {
    const domain = this.domainsById.get(id);
    if (domain === undefined || !domain.isLive) return undefined;
    const firstFrame = domain.memory.allocateFrames(count);
    if (firstFrame !== undefined && this.observation.active) this.observation.publish({ kind: "pages-allocated", domain: id, firstFrame, count });
    return firstFrame;
  }

  /** Frees frames; frames still mapped by another domain are parked until the last unmap. */
  freePages(id: DomainId, firstFrame: number, count = 1): FrameRelease | undefined {
    const domain = this.domainsById.get(id);
    if (domain === undefined || !domain.isLive) return undefined;
    const release = domain.memory.freeFrames(firstFrame, count);
    if (this.observation.active) this.observation.publish({ kind: "pages-freed", domain: id, firstFrame, count, deferred: release.deferred > 0 });
    return release;
  }

  /** The domain's own view of `count` of its frames (no grant needed for its own memory). */
  viewOwnPages(id: DomainId, firstFrame: number, count = 1): Uint8Array | undefined {
    const domain = this.domainsById.get(id);
    if (domain === undefined || !domain.isLive) return undefined;
    for (let frame = firstFrame; frame < firstFrame + count; frame += 1) if (!domain.memory.isAllocated(frame)) return undefined;
    return domain.memory.viewFrames(firstFrame, count);
  }

  // Grants -------------------------------------------------------------------------------

  grantAccess(granterId: DomainId, granteeId: DomainId, frame: number, readonly: boolean): GrantResult<GrantAccessGranted> {
    const granter = this.domainsById.get(granterId);
    if (granter === undefined) return grantFailure(GrantStatus.badDomain, `domain ${granterId} does not exist`);
    return this.grants.grantAccess(granter, granteeId, frame, readonly);
  }

  grantReservedAccess(granterId: DomainId, reference: number, granteeId: DomainId, frame: number, readonly: boolean): GrantResult<GrantAccessGranted> {
    const granter = this.domainsById.get(granterId);
    if (granter === undefined) return grantFailure(GrantStatus.badDomain, `domain ${granterId} does not exist`);
    return this.grants.grantReservedAccess(granter, reference, granteeId, frame, readonly);
  }

  endAccess(granterId: DomainId, reference: number): GrantResult<GrantEndAccess> {
    const granter = this.domainsById.get(granterId);
    if (granter === undefined) return grantFailure(GrantStatus.badDomain, `domain ${granterId} does not exist`);
    return this.grants.endAccess(granter, reference);
  }

  endAccessDeferred(granterId: DomainId, reference: number): GrantResult<GrantEndAccess> {
    const granter = this.domainsById.get(granterId);
    if (granter === undefined) return grantFailure(GrantStatus.badDomain, `domain ${granterId} does not exist`);
    return this.grants.endAccessDeferred(granter, reference);
  }

  mapGrant(mapperId: DomainId, granterId: DomainId, reference: number, writable: boolean): GrantResult<GrantMapped> {
    const mapper = this.domainsById.get(mapperId);
    if (mapper === undefined) return grantFailure(GrantStatus.badDomain, `domain ${mapperId} does not exist`);
    return this.grants.mapGrant(mapper, granterId, reference, writable);
  }

  mapGrants(mapperId: DomainId, granterId: DomainId, references: readonly number[], writable: boolean): GrantResult<GrantsMapped> {
    const mapper = this.domainsById.get(mapperId);
    if (mapper === undefined) return grantFailure(GrantStatus.badDomain, `domain ${mapperId} does not exist`);
    return this.grants.mapGrants(mapper, granterId, references, writable);
  }

  unmapGrant(mapperId: DomainId, handle: number): GrantResult<object> {
    const mapper = this.domainsById.get(mapperId);
    if (mapper === undefined) return grantFailure(GrantStatus.badDomain, `domain ${mapperId} does not exist`);
    return this.grants.unmapGrant(mapper, handle);
  }

  copyGrant(callerId: DomainId, source: GrantCopyEndpoint, destination: GrantCopyEndpoint, length: number): GrantResult<object> {
    const caller = this.domainsById.get(callerId);
    if (caller === undefined) return grantFailure(GrantStatus.badDomain, `domain ${callerId} does not exist`);
    return this.grants.copy(caller, source, destination, length);
  }

  // Event channels -----------------------------------------------------------------------

  allocateUnboundPort(id: DomainId, remoteId: DomainId): EventChannelResult<PortAllocated> {
    const domain = this.domainsById.get(id);
    if (domain === undefined) return { ok: false, error: "ESRCH", reason: `domain ${id} does not exist` };
    return this.channels.allocateUnbound(domain, remoteId);
  }

  bindInterdomain(id: DomainId, remoteId: DomainId, remotePort: number): EventChannelResult<PortAllocated> {
    const domain = this.domainsById.get(id);
    if (domain === undefined) return { ok: false, error: "ESRCH", reason: `domain ${id} does not exist` };
    return this.channels.bindInterdomain(domain, remoteId, remotePort);
  }

  sendEvent(id: DomainId, port: number): EventChannelResult<EventSent> {
    const domain = this.domainsById.get(id);
    if (domain === undefined) return { ok: false, error: "ESRCH", reason: `domain ${id} does not exist` };
    return this.channels.send(domain, port);
  }

  closePort(id: DomainId, port: number): EventChannelResult<object> {
    const domain = this.domainsById.get(id);
    if (domain === undefined) return { ok: false, error: "ESRCH", reason: `domain ${id} does not exist` };
    return this.channels.close(domain, port);
  }

  /** Registers a handler for the domain's port; returns the function that removes it. */
  onEvent(id: DomainId, port: number, handler: EventHandler): () => void {
    const domain = this.requireDomain(id);
    return this.channels.onEvent(domain, port, handler);
  }

  waitForEvent(id: DomainId, port: number): Promise<void> {
    return this.channels.waitForEvent(this.requireDomain(id), port);
  }

  /** True when the port's pending bit is set (without clearing it). */
  isEventPending(id: DomainId, port: number): boolean {
    const domain = this.requireDomain(id);
    return this.eventChannelTable.isValidPort(port) && this.eventChannelTable.isPending(domain.eventTableSlot, port);
  }

  /** Clears the port's pending bit; true when it was set (polling instead of a handler). */
  consumeEvent(id: DomainId, port: number): boolean {
    const domain = this.requireDomain(id);
    return this.eventChannelTable.isValidPort(port) && this.eventChannelTable.consumePending(domain.eventTableSlot, port);
  }

  /** Delivers to handlers and waiters events that other threads raised. */
  deliverPendingFromOtherThreads(): void {
    this.channels.deliverPendingFromOtherThreads();
  }

  // Internals ----------------------------------------------------------------------------

  private requireDomain(id: DomainId): Domain {
    const domain = this.domainsById.get(id);
    if (domain === undefined) throw new RangeError(`domain ${id} does not exist`);
    return domain;
  }

  private lowestFreeDomainId(): DomainId {
    let id = 1;
    while (this.domainsById.has(id)) id += 1;
    return id;
  }

  private tearDown(domain: Domain): DomainTeardown {
    const closedPorts = this.channels.closeAll(domain);
    const unmappedForeignGrants = this.grants.unmapAll(domain);
    const revokedGrantEntries = domain.grantTable.countActiveEntries();
    domain.grantTable.clearAll();
    const frames = domain.memory.freeAllFrames();
    return { closedPorts, unmappedForeignGrants, revokedGrantEntries, frames };
  }

  private finishDyingDomainIfUnmapped(domain: Domain): void {
    if (domain.lifecycle !== "dying" || domain.memory.countDeferredFrames() !== 0) return;
    domain.lifecycle = "dead";
    this.eventChannelTable.writePaused(domain.eventTableSlot, false);
    this.domainsById.delete(domain.id);
    this.freeSlots.push(domain.eventTableSlot);
    if (this.observation.active) this.observation.publish({ kind: "domain-released", domain: domain.id });
  }
}
