// A party or object the policy reasons about (a domain or a resource instance), reduced once
// to the bit sets of its labels' types and colours so that checks never look at strings.
import type { PolicyIndex } from "./policy-index.js";
import { createTypeBitset, forEachBit, type TypeBitset } from "./type-bitset.js";

export interface PolicySubject {
  /** Unique per resolved subject within one engine; keys the engine's decision caches. */
  readonly serial: number;
  /** How decisions and audit records name it, e.g. `domain 'guest1'` or `resource vbd/51712`. */
  readonly displayName: string;
  readonly labels: readonly string[];
  /** Labels the policy does not define; they contribute no types (and are named on denial). */
  readonly unknownLabels: readonly string[];
  readonly typeMask: TypeBitset;
  /** The colour groups (by index) that list one of the subject's types. */
  readonly colourMask: TypeBitset;
}

export function resolvePolicySubject(index: PolicyIndex, serial: number, displayName: string, labels: readonly string[]): PolicySubject {
  const typeMask = createTypeBitset(index.typeNames.length);
  const colourMask = createTypeBitset(index.colourNames.length);
  const unknownLabels: string[] = [];
  for (const label of labels) {
    const entry = index.labels.get(label);
    if (entry === undefined) {
      unknownLabels.push(label);
      continue;
    }
    for (let word = 0; word < typeMask.length; word++) typeMask[word] = (typeMask[word] ?? 0) | (entry.typeMask[word] ?? 0);
  }
  // A subject has every colour one of whose types it holds.
  forEachBit(typeMask, (type) => {
    const colours = index.colourMaskByType[type];
    if (colours === undefined) return;
    for (let word = 0; word < colourMask.length; word++) colourMask[word] = (colourMask[word] ?? 0) | (colours[word] ?? 0);
  });
  return Object.freeze({ serial, displayName, labels: [...labels], unknownLabels, typeMask, colourMask });
}
