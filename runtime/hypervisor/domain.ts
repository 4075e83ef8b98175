// A domain as the hypervisor tracks it: identity and labels, lifecycle state, its memory, its
// grant table, the mappings it holds of other domains' grants, and its slot in the shared
// event-channel table.

import type { DomainId, DomainSummary } from "./domain-summary.js";
import type { DomainMemory } from "./domain-memory.js";
import type { GrantTable } from "./grant-table.js";

/**
 * running and paused are the live states. A destroyed domain whose pages other domains still
 * map stays `dying` (Xen's zombie) until the last such mapping goes; then it is `dead`.
 */
export type DomainLifecycleState = "running" | "paused" | "dying" | "dead";

/** One mapping this domain holds of another domain's grant (Xen's maptrack entry). */
export interface GrantMapping {
  readonly handle: number;
  readonly granter: Domain;
  readonly reference: number;
  readonly frame: number;
  readonly writable: boolean;
  /** The granter's grant-table epoch when mapped; see GrantTable.epoch. */
  readonly granterEpoch: number;
}

export class Domain implements DomainSummary {
  readonly id: DomainId;
  readonly labels: readonly string[];
  readonly privileged: boolean;
  /** Index of this domain's rows in the shared event-channel table. */
  readonly eventTableSlot: number;
  readonly memory: DomainMemory;
  readonly grantTable: GrantTable;
  /** Mappings this domain holds of others' grants, by handle. */
  readonly grantMappings = new Map<number, GrantMapping>();
  lifecycle: DomainLifecycleState = "running";
  private nextGrantHandle = 0;

  constructor(id: DomainId, labels: readonly string[], privileged: boolean, eventTableSlot: number, memory: DomainMemory, grantTable: GrantTable) {
    this.id = id;
    this.labels = Object.freeze([...labels]);
    this.privileged = privileged;
    this.eventTableSlot = eventTableSlot;
    this.memory = memory;
    this.grantTable = grantTable;
  }

  get isLive(): boolean {
    return this.lifecycle === "running" || this.lifecycle === "paused";
  }

  takeGrantHandle(): number {
    const handle = this.nextGrantHandle;
    this.nextGrantHandle = (this.nextGrantHandle + 1) >>> 0;
    return handle;
  }
}
