// One domain's v1 grant table: an array of (flags u16, grantee domid u16, frame u32) entries
// with the hypervisor's pin counts beside them, and the free list of references. It only
// stores and answers; the rules of granting and mapping live in grant-operations.ts.

import { GrantEntryFlag, reservedGrantReferenceCount } from "./constants.js";

/** Xen keeps pin counts in narrow counters and refuses a map that would overflow them. */
export const maximumPinsPerEntry = 0xffff;

export class GrantTable {
  readonly capacity: number;
  readonly flags: Uint16Array;
  readonly granteeDomainIds: Uint16Array;
  readonly frames: Uint32Array;
  readonly readPins: Uint32Array;
  readonly writePins: Uint32Array;
  /** Set when the granter asked to end access while mapped: the entry ends at the last unmap. */
  readonly endRequested: Uint8Array;
  /**
   * Bumped each time the table is torn down (reset or destroy). Mappings remember the epoch
   * they were made in, so unmapping after a teardown touches no newer entry.
   */
  epoch = 0;
  private freeReferences: number[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= reservedGrantReferenceCount) {
      throw new RangeError(`a grant table needs more than ${reservedGrantReferenceCount} entries, not ${capacity}`);
    }
    this.capacity = capacity;
    this.flags = new Uint16Array(capacity);
    this.granteeDomainIds = new Uint16Array(capacity);
    this.frames = new Uint32Array(capacity);
    this.readPins = new Uint32Array(capacity);
    this.writePins = new Uint32Array(capacity);
    this.endRequested = new Uint8Array(capacity);
    this.refillFreeReferences();
  }

  isValidReference(reference: number): boolean {
    return Number.isInteger(reference) && reference >= 0 && reference < this.capacity;
  }

  isReservedReference(reference: number): boolean {
    return reference < reservedGrantReferenceCount;
  }

  isPermitAccess(reference: number): boolean {
    return ((this.flags[reference] ?? 0) & GrantEntryFlag.typeMask) === GrantEntryFlag.permitAccess;
  }

  isMapped(reference: number): boolean {
    return ((this.flags[reference] ?? 0) & (GrantEntryFlag.reading | GrantEntryFlag.writing)) !== 0;
  }

  /** Takes the lowest-numbered free reference (reserved ones are never on the list). */
  takeFreeReference(): number | undefined {
    return this.freeReferences.pop();
  }

  /** Clears an entry and returns its reference to the free list. */
  releaseReference(reference: number): void {
    this.flags[reference] = 0;
    this.granteeDomainIds[reference] = 0;
    this.frames[reference] = 0;
    this.endRequested[reference] = 0;
    this.freeReferences.push(reference);
  }

  /** Writes a reserved entry (console, xenstore), which the toolstack sets up in Xen. */
  writeEntry(reference: number, granteeDomainId: number, frame: number, readonly: boolean): void {
    this.granteeDomainIds[reference] = granteeDomainId;
    this.frames[reference] = frame;
    this.flags[reference] = GrantEntryFlag.permitAccess | (readonly ? GrantEntryFlag.readonly : 0);
  }

  /** Recomputes the reading/writing bits from the pin counts, as Xen does after (un)pinning. */
  updateMappedFlags(reference: number): void {
    let flags = (this.flags[reference] ?? 0) & ~(GrantEntryFlag.reading | GrantEntryFlag.writing);
    if ((this.readPins[reference] ?? 0) + (this.writePins[reference] ?? 0) > 0) flags |= GrantEntryFlag.reading;
    if ((this.writePins[reference] ?? 0) > 0) flags |= GrantEntryFlag.writing;
    this.flags[reference] = flags;
  }

  /** Counts entries in use (granted), reserved ones included. */
  countActiveEntries(): number {
    let active = 0;
    for (let reference = 0; reference < this.capacity; reference += 1) if (this.isPermitAccess(reference)) active += 1;
    return active;
  }

  /** Tears the table down: every entry cleared, pins forgotten, a new epoch begun. */
  clearAll(): void {
    this.flags.fill(0);
    this.granteeDomainIds.fill(0);
    this.frames.fill(0);
    this.readPins.fill(0);
    this.writePins.fill(0);
    this.endRequested.fill(0);
    this.epoch += 1;
    this.refillFreeReferences();
  }

  private refillFreeReferences(): void {
    // Stored highest first so that pop() hands out the lowest free reference.
    this.freeReferences = [];
    for (let reference = this.capacity - 1; reference >= reservedGrantReferenceCount; reference -= 1) this.freeReferences.push(reference);
  }
}
