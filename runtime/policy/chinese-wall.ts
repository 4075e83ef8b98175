// The Chinese-wall state of a host. A domain holding exactly one type of a conflict set takes
// that type's side: it may not start while a running domain has taken another side of the
// same set. A domain holding several types of a set (a driver domain serving every tenant) is
// neutral for that set: it neither blocks nor is blocked by it.
import { createPolicyDecision, type PolicyDecision } from "./policy-decision.js";
import type { PolicyIndex } from "./policy-index.js";
import type { PolicySubject } from "./policy-subject.js";
import { createTypeBitset, setBit, type TypeBitset } from "./type-bitset.js";

/** The single type of `set` that `subject` holds, or -1 when it holds none or several. */
function sideTaken(subject: PolicySubject, setMask: TypeBitset): number {
  let side = -1;
  for (let word = 0; word < setMask.length; word++) {
    const held = (subject.typeMask[word] ?? 0) & (setMask[word] ?? 0);
    if (held === 0) continue;
    if ((held & (held - 1)) !== 0 || side >= 0) return -1;
    side = word * 32 + (31 - Math.clz32(held));
  }
  return side;
}

export class ChineseWallState {
  private readonly index: PolicyIndex;
  private readonly setMasks: readonly TypeBitset[];
  /** For each type: how many running domains have taken its side (in any set). */
  private readonly sideCountByTypeAndSet: Int32Array;
  private readonly allowDecision: PolicyDecision;
  /** Set when the policy does not enforce the wall: every start is allowed with it. */
  private readonly notEnforced: PolicyDecision | undefined;

  constructor(index: PolicyIndex, notEnforced?: PolicyDecision) {
    this.index = index;
    this.notEnforced = notEnforced;
    this.setMasks = index.policy.conflictSets.map((set) => {
      const mask = createTypeBitset(index.typeNames.length);
      for (const type of set.types) {
        const typeIndex = index.typeIndexByName.get(type);
        if (typeIndex !== undefined) setBit(mask, typeIndex);
      }
      return mask;
    });
    this.sideCountByTypeAndSet = new Int32Array(Math.max(1, this.setMasks.length * index.typeNames.length));
    this.allowDecision = createPolicyDecision(true, "chinese-wall", "no-conflict", "no running domain has taken another side of a conflict set the starting domain takes a side in");
  }

  /** Decides whether `subject` may start now; does not record it (call `recordStarted`). */
  decideDomainStart(subject: PolicySubject): PolicyDecision {
    if (this.notEnforced !== undefined) return this.notEnforced;
    for (let set = 0; set < this.setMasks.length; set++) {
      const mask = this.setMasks[set];
      if (mask === undefined) continue;
      const side = sideTaken(subject, mask);
      if (side < 0) continue;
      const setTypes = this.index.policy.conflictSets[set]?.types ?? [];
      for (const other of setTypes) {
        const otherIndex = this.index.typeIndexByName.get(other);
        if (otherIndex === undefined || otherIndex === side) continue;
        if ((this.sideCountByTypeAndSet[this.slot(set, otherIndex)] ?? 0) > 0) return this.deny(set, side, otherIndex, subject);
      }
    }
    return this.allowDecision;
  }

  recordStarted(subject: PolicySubject): void {
    this.adjust(subject, 1);
  }

  /** Forgets a domain that stopped; stopping a domain that was never recorded is a caller bug. */
  recordStopped(subject: PolicySubject): void {
    this.adjust(subject, -1);
  }

  /** True while some running domain has taken `typeName`'s side in some conflict set. */
  isTypeRunning(typeName: string): boolean {
    const type = this.index.typeIndexByName.get(typeName);
    if (type === undefined) return false;
    for (let set = 0; set < this.setMasks.length; set++) if ((this.sideCountByTypeAndSet[this.slot(set, type)] ?? 0) > 0) return true;
    return false;
  }

  private adjust(subject: PolicySubject, delta: 1 | -1): void {
    for (let set = 0; set < this.setMasks.length; set++) {
      const mask = this.setMasks[set];
      if (mask === undefined) continue;
      const side = sideTaken(subject, mask);
      if (side < 0) continue;
      const slot = this.slot(set, side);
      const count = (this.sideCountByTypeAndSet[slot] ?? 0) + delta;
      if (count < 0) throw new Error(`chinese wall: ${subject.displayName} stopped but type '${this.index.typeNames[side]}' has no running domain`);
      this.sideCountByTypeAndSet[slot] = count;
    }
  }

  private slot(set: number, type: number): number {
    return set * this.index.typeNames.length + type;
  }

  private deny(set: number, startingType: number, runningType: number, subject: PolicySubject): PolicyDecision {
    const setName = this.index.policy.conflictSets[set]?.name ?? "?";
    const startingName = this.index.typeNames[startingType] ?? `#${startingType}`;
    const runningName = this.index.typeNames[runningType] ?? `#${runningType}`;
    return createPolicyDecision(
      false,
      "chinese-wall",
      `conflict-set/${setName}`,
      `${subject.displayName} takes side '${startingName}' of conflict set '${setName}', but a running domain has taken side '${runningName}'`,
    );
  }
}
