// The Chinese-wall state of a host: how many running domains hold each type. A domain may
// not start while a running domain holds a different type of one of its conflict sets.
import { createPolicyDecision, type PolicyDecision } from "./policy-decision.js";
import type { PolicyIndex } from "./policy-index.js";
import type { PolicySubject } from "./policy-subject.js";
import { clearBit, createTypeBitset, firstCommonBit, forEachBit, hasBit, setBit, type TypeBitset } from "./type-bitset.js";

export class ChineseWallState {
  private readonly index: PolicyIndex;
  private readonly runningCountByType: Int32Array;
  private readonly runningTypes: TypeBitset;
  private readonly allowDecision: PolicyDecision;

  constructor(index: PolicyIndex) {
    this.index = index;
    this.runningCountByType = new Int32Array(index.typeNames.length);
    this.runningTypes = createTypeBitset(index.typeNames.length);
    this.allowDecision = createPolicyDecision(true, "chinese-wall", "no-conflict", "no running domain holds a type that conflicts with the starting domain's types");
  }

  /** Decides whether `subject` may start now; does not record it (call `recordStarted`). */
  decideDomainStart(subject: PolicySubject): PolicyDecision {
    let denial: PolicyDecision | undefined;
    forEachBit(subject.typeMask, (type) => {
      if (denial !== undefined) return;
      const conflicting = this.index.conflictMaskByType[type];
      if (conflicting === undefined) return;
      const running = firstCommonBit(conflicting, this.runningTypes);
      if (running < 0) return;
      denial = this.deny(type, running, subject);
    });
    return denial ?? this.allowDecision;
  }

  recordStarted(subject: PolicySubject): void {
    forEachBit(subject.typeMask, (type) => {
      this.runningCountByType[type] = (this.runningCountByType[type] ?? 0) + 1;
      setBit(this.runningTypes, type);
    });
  }

  /** Forgets a domain that stopped; stopping a domain that was never recorded is a caller bug. */
  recordStopped(subject: PolicySubject): void {
    forEachBit(subject.typeMask, (type) => {
      const count = this.runningCountByType[type] ?? 0;
      if (count <= 0) throw new Error(`chinese wall: ${subject.displayName} stopped but type '${this.index.typeNames[type]}' has no running domain`);
      this.runningCountByType[type] = count - 1;
      if (count === 1) clearBit(this.runningTypes, type);
    });
  }

  isTypeRunning(typeName: string): boolean {
    const type = this.index.typeIndexByName.get(typeName);
    return type !== undefined && hasBit(this.runningTypes, type);
  }

  private deny(startingType: number, runningType: number, subject: PolicySubject): PolicyDecision {
    const startingName = this.index.typeNames[startingType] ?? `#${startingType}`;
    const runningName = this.index.typeNames[runningType] ?? `#${runningType}`;
    const conflictSet = this.index.policy.conflictSets.find((set) => set.types.includes(startingName) && set.types.includes(runningName));
    const setName = conflictSet?.name ?? "?";
    return createPolicyDecision(
      false,
      "chinese-wall",
      `conflict-set/${setName}`,
      `${subject.displayName} holds type '${startingName}' but a running domain holds '${runningName}', and conflict set '${setName}' separates them`,
    );
  }
}
