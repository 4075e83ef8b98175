// What generated stubs do with a store key clause broken over the values they hold: a reader of
// the peer's keys returns it as a StoreKeyUnreadable naming the clause, a writer of its own keys
// throws StoreKeyClauseRefused before anything reaches the store.
import { storeKeySlotWritten, type StoreKeyClause, type StoreKeyClauseValues } from "../monitor/store-key-clause-table.js";
import { StoreKeyClauseRefused, StoreKeyUnreadable } from "./store-key-values.js";

/** The first of `clauseIndices` (positions in the values' table) broken over `values`; undecided clauses pass. */
function findBrokenClause(values: StoreKeyClauseValues, clauseIndices: readonly number[]): StoreKeyClause | undefined {
  for (const index of clauseIndices) {
    const clause = values.table.clauses[index];
    if (clause !== undefined && clause.holds(values.values, values.states) === false) return clause;
  }
  return undefined;
}

/** The key a broken clause is reported under (its own key, or the first own key a store-level clause reads) and that key's value. */
function describeBrokenKey(values: StoreKeyClauseValues, clause: StoreKeyClause): { readonly key: string; readonly value: number | undefined } {
  const slot = clause.ownSlots[0] ?? -1;
  const key = clause.key ?? values.table.slots[slot]?.key ?? clause.clauseId;
  const value = values.states[slot] === storeKeySlotWritten ? values.values[slot] : undefined;
  return { key, value };
}

/** For a reader of the peer's keys: the broken clause as a StoreKeyUnreadable, or undefined when every clause holds or is undecided. */
export function findStoreKeyClauseUnreadable(values: StoreKeyClauseValues, clauseIndices: readonly number[]): StoreKeyUnreadable | undefined {
  const clause = findBrokenClause(values, clauseIndices);
  if (clause === undefined) return undefined;
  const { key, value } = describeBrokenKey(values, clause);
  return new StoreKeyUnreadable(key, value === undefined ? undefined : String(value), clause.text, clause.clauseId);
}

/** For a writer of the role's own keys: throws StoreKeyClauseRefused for the first broken clause. */
export function refuseBrokenStoreKeyClauses(values: StoreKeyClauseValues, clauseIndices: readonly number[]): void {
  const clause = findBrokenClause(values, clauseIndices);
  if (clause === undefined) return;
  const { key, value } = describeBrokenKey(values, clause);
  throw new StoreKeyClauseRefused(clause.clauseId, key, value, clause.text);
}
