// Judges a connection's store key `where` clauses (spec.storeKeyClauses) from the store writes
// and state changes the monitor observes, and names the party to blame. It decides only; the
// connection monitor reports. The rules (docs/policing.md, "Store key clauses"):
//  - a clause belongs to the role whose store states it, and only that role is ever blamed;
//  - it is judged when that role writes a key the clause reads, and again when the role enters
//    a state that publishes such a key (`dueInStates`) if it was still undecided;
//  - a clause reading the value of a key that is absent without a default is undecided, never
//    broken, so no role is blamed for a key its peer has not (yet) published;
//  - peer keys are judged both as they are now and as the peer last announced them (its values
//    when it last changed state), and the writer is blamed only when both verdicts say broken,
//    so a peer cannot frame it by rewriting a key between the writer's read and its write;
//  - a peer's later writes never re-judge what the writer already wrote;
//  - a role entering Initialising or Closed starts a new session: its keys count as unwritten.
// Per write the work is O(clauses reading the key + slots) and nothing is allocated.

import { StoreKeyClauseValues, type StoreKeyClause, type StoreKeyClauseTable } from "./store-key-clause-table.js";

const xenbusInitialising = 1;
const xenbusClosed = 6;

/** Clause verdicts kept per clause since its role's session began. */
const clauseUndecided = 0;
const clauseDecided = 1;

export class StoreKeyClauseJudge {
  private readonly current: StoreKeyClauseValues;
  /** Each role's values as of its last state change: what it announced. */
  private readonly announced: StoreKeyClauseValues;
  private readonly scratch: StoreKeyClauseValues;
  private readonly verdicts: Uint8Array;
  /** Per party: key name -> slot, for the keys some clause reads. */
  private readonly slotsByKey: readonly [ReadonlyMap<string, number>, ReadonlyMap<string, number>];

  constructor(
    readonly table: StoreKeyClauseTable,
    private readonly roles: readonly [string, string],
  ) {
    this.current = new StoreKeyClauseValues(table);
    this.announced = new StoreKeyClauseValues(table);
    this.scratch = new StoreKeyClauseValues(table);
    this.verdicts = new Uint8Array(table.clauses.length);
    const slotsOf = (role: string): Map<string, number> => new Map(table.slots.flatMap((slot, index) => (slot.role === role ? [[slot.key, index] as const] : [])));
    this.slotsByKey = [slotsOf(roles[0]), slotsOf(roles[1])];
    for (const clause of table.clauses) {
      if (!roles.includes(clause.role)) throw new RangeError(`store key clause ${clause.clauseId} belongs to ${clause.role}, not one of ${roles.join(", ")}`);
    }
  }

  /**
   * `party` (0 or 1, in the order of the roles) wrote `key` = `text`. A toolstack write updates
   * the value without judging anyone. Returns the first clause of the party the write breaks.
   */
  observeKeyWrite(party: number, key: string, text: string, byToolstack: boolean): StoreKeyClause | undefined {
    const slot = this.slotsByKey[party === 0 ? 0 : 1].get(key);
    if (slot === undefined) return undefined;
    this.current.assignText(slot, text);
    if (byToolstack) return undefined;
    const role = this.roles[party] ?? "";
    const clauses = this.table.clauses;
    for (let index = 0; index < clauses.length; index += 1) {
      const clause = clauses[index];
      if (clause === undefined || clause.role !== role || !clause.ownSlots.includes(slot)) continue;
      const verdict = this.judge(clause);
      if (verdict === false) return clause;
      this.verdicts[index] = verdict === true ? clauseDecided : clauseUndecided;
    }
    return undefined;
  }

  /** `party` entered xenbus `state` (an accepted transition, or the toolstack's write). Returns a clause that was due and is broken. */
  observeStateEntered(party: number, state: number, byToolstack: boolean): StoreKeyClause | undefined {
    const role = this.roles[party] ?? "";
    if (state === xenbusInitialising || state === xenbusClosed) {
      this.current.clearRole(role);
      this.announced.clearRole(role);
      for (let index = 0; index < this.table.clauses.length; index += 1) if (this.table.clauses[index]?.role === role) this.verdicts[index] = clauseUndecided;
      return undefined;
    }
    this.announced.copyRoleFrom(this.current, role);
    if (byToolstack) return undefined;
    const clauses = this.table.clauses;
    for (let index = 0; index < clauses.length; index += 1) {
      const clause = clauses[index];
      if (clause === undefined || clause.role !== role || this.verdicts[index] === clauseDecided || !clause.dueInStates.includes(state)) continue;
      const verdict = this.judge(clause);
      if (verdict === false) return clause;
      if (verdict === true) this.verdicts[index] = clauseDecided;
    }
    return undefined;
  }

  /** What the clause's role's keys hold now, for evidence: `key=value` of each own key it reads. */
  describeOwnValues(clause: StoreKeyClause): string {
    return clause.ownSlots
      .map((slot) => {
        const key = this.table.slots[slot]?.key ?? "?";
        return this.current.states[slot] === 2 ? `${key}=${this.current.values[slot]}` : `${key} absent`;
      })
      .join(", ");
  }

  /** The peer keys the clause read, now and as announced, for evidence. */
  describePeerValues(clause: StoreKeyClause): string {
    return clause.peerSlots
      .map((slot) => {
        const entry = this.table.slots[slot];
        const show = (values: StoreKeyClauseValues): string => (values.states[slot] === 0 ? "absent" : String(values.values[slot]));
        return `${entry?.role}.${entry?.key}=${show(this.current)} (announced ${show(this.announced)})`;
      })
      .join(", ");
  }

  /** Broken only when broken over the current values and over the peer's announced ones. */
  private judge(clause: StoreKeyClause): boolean | undefined {
    const now = clause.holds(this.current.values, this.current.states);
    if (now !== false || clause.peerSlots.length === 0) return now;
    const peer = this.roles[0] === clause.role ? this.roles[1] : this.roles[0];
    this.scratch.copyRoleFrom(this.current, clause.role);
    this.scratch.copyRoleFrom(this.announced, peer);
    return clause.holds(this.scratch.values, this.scratch.states);
  }
}
