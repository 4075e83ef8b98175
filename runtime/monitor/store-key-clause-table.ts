// The run-time form of a protocol's store key `where` clauses, shared by generated stubs and the
// monitor: a fixed table of the keys the clauses read (one numeric slot each), the clauses with
// their ids and owners, and a preallocated value table the generated `holds` functions read.

/** How a slot's text is read: decimal integers, booleans (`0`/`1`), or text only `present()` may test. */
export type StoreKeySlotKind = "integer" | "bool" | "text";

/** One store key some clause reads: the role whose directory holds it, its name and its default. */
export interface StoreKeyClauseSlot {
  readonly role: string;
  readonly key: string;
  readonly kind: StoreKeySlotKind;
  /** The spec's default (bools as 0/1), the value the key has while absent. */
  readonly defaultValue?: number;
}

/** Absent with no default; absent but defaulted (the value is the default); written. */
export const storeKeySlotAbsent = 0;
export const storeKeySlotDefaulted = 1;
export const storeKeySlotWritten = 2;

/**
 * A clause's verdict over a value table: true when it holds (or does not apply: its key is not
 * written), false when broken, undefined when it reads a key that is absent without a default.
 */
export type StoreKeyClauseHolds = (values: Float64Array, states: Uint8Array) => boolean | undefined;

export interface StoreKeyClause {
  /** `<protocol>.<role>.<key>` for a key's `where`, `<protocol>.<role>.<label>` for a store-level one. */
  readonly clauseId: string;
  /** The role whose store the clause belongs to: it writes the keys and is blamed when it breaks. */
  readonly role: string;
  /** The key a key clause constrains (its `value`); undefined for a store-level clause. */
  readonly key: string | undefined;
  /** Where the clause is written: "file:line:col". */
  readonly specSpan: string;
  /** The clause as written in the spec, e.g. `value <= backend.max-ring-page-order`. */
  readonly text: string;
  /** Slots of the clause's own role that it reads (the constrained key first). */
  readonly ownSlots: readonly number[];
  /** Slots of the peer's keys that it reads. */
  readonly peerSlots: readonly number[];
  /** XenBus states whose entry by `role` publishes a key the clause reads: the clause is judged then at the latest. */
  readonly dueInStates: readonly number[];
  readonly holds: StoreKeyClauseHolds;
}

export interface StoreKeyClauseTable {
  readonly slots: readonly StoreKeyClauseSlot[];
  readonly clauses: readonly StoreKeyClause[];
}

const decimalInteger = /^-?[0-9]{1,16}$/;

/** The values and presence of every slot of a table, preallocated once. */
export class StoreKeyClauseValues {
  readonly values: Float64Array;
  readonly states: Uint8Array;

  constructor(readonly table: StoreKeyClauseTable) {
    this.values = new Float64Array(table.slots.length);
    this.states = new Uint8Array(table.slots.length);
    this.clear();
  }

  /** Every slot absent (defaults applied). */
  clear(): void {
    for (let slot = 0; slot < this.table.slots.length; slot += 1) this.clearSlot(slot);
  }

  /** Every slot of `role` absent (defaults applied). */
  clearRole(role: string): void {
    for (let slot = 0; slot < this.table.slots.length; slot += 1) if (this.table.slots[slot]?.role === role) this.clearSlot(slot);
  }

  clearSlot(slot: number): void {
    const defaultValue = this.table.slots[slot]?.defaultValue;
    this.values[slot] = defaultValue ?? Number.NaN;
    this.states[slot] = defaultValue === undefined ? storeKeySlotAbsent : storeKeySlotDefaulted;
  }

  /**
   * Assigns a key's text as written (undefined: absent). A text that does not read as the slot's
   * kind leaves the slot written with NaN, which every comparison treats as broken.
   */
  assignText(slot: number, text: string | undefined): void {
    if (text === undefined) {
      this.clearSlot(slot);
      return;
    }
    const kind = this.table.slots[slot]?.kind;
    this.states[slot] = storeKeySlotWritten;
    if (kind === "text") {
      this.values[slot] = Number.NaN;
      return;
    }
    const value = decimalInteger.test(text) ? Number(text) : Number.NaN;
    this.values[slot] = kind === "bool" && !Number.isNaN(value) ? (value !== 0 ? 1 : 0) : value;
  }

  /** Assigns a typed value (a stub's own or already-read key); undefined leaves the slot absent. */
  assignValue(slot: number, value: number | boolean | string | undefined): void {
    if (value === undefined) {
      this.clearSlot(slot);
      return;
    }
    this.states[slot] = storeKeySlotWritten;
    this.values[slot] = typeof value === "boolean" ? (value ? 1 : 0) : typeof value === "number" ? value : Number.NaN;
  }

  /** Copies the slots of `role` from `source` (a table over the same clauses). */
  copyRoleFrom(source: StoreKeyClauseValues, role: string): void {
    for (let slot = 0; slot < this.table.slots.length; slot += 1) {
      if (this.table.slots[slot]?.role !== role) continue;
      this.values[slot] = source.values[slot] ?? Number.NaN;
      this.states[slot] = source.states[slot] ?? storeKeySlotAbsent;
    }
  }

  /** The slot of `role`'s `key`, or -1 when no clause reads it. */
  slotOf(role: string, key: string): number {
    return this.table.slots.findIndex((slot) => slot.role === role && slot.key === key);
  }
}

/**
 * The first clause of `role` that is broken over `values` (undecided clauses are skipped);
 * with `onlyReadingSlot` set, only clauses that read that slot of the role. Allocates nothing.
 */
export function findBrokenStoreKeyClause(values: StoreKeyClauseValues, role: string, onlyReadingSlot = -1): StoreKeyClause | undefined {
  for (const clause of values.table.clauses) {
    if (clause.role !== role) continue;
    if (onlyReadingSlot >= 0 && !clause.ownSlots.includes(onlyReadingSlot)) continue;
    if (clause.holds(values.values, values.states) === false) return clause;
  }
  return undefined;
}
