// Which colours each domain currently holds through connected resources. Colours of one
// colour group exclude each other within a domain: holding "red" forbids connecting "blue".
import { createPolicyDecision, type PolicyDecision } from "./policy-decision.js";
import type { PolicyIndex } from "./policy-index.js";
import type { PolicySubject } from "./policy-subject.js";
import { clearBit, createTypeBitset, firstCommonBit, forEachBit, setBit, type TypeBitset } from "./type-bitset.js";

interface DomainColours {
  readonly countByColour: Int32Array;
  readonly held: TypeBitset;
}

export class ColourLedger {
  private readonly index: PolicyIndex;
  private readonly byDomain = new Map<number, DomainColours>();
  private readonly allowDecision: PolicyDecision;

  constructor(index: PolicyIndex) {
    this.index = index;
    this.allowDecision = createPolicyDecision(true, "colour-group", "no-clash", "the domain holds no colour that excludes the resource's colours");
  }

  /** May domain `domainId` (named `domain` in the reason) connect `resource` now? */
  decideConnect(domainId: number, domain: PolicySubject, resource: PolicySubject): PolicyDecision {
    const colours = this.byDomain.get(domainId);
    if (colours === undefined) return this.allowDecision;
    let denial: PolicyDecision | undefined;
    forEachBit(resource.colourMask, (colour) => {
      if (denial !== undefined) return;
      const excluded = this.index.conflictMaskByColour[colour];
      if (excluded === undefined) return;
      const held = firstCommonBit(excluded, colours.held);
      if (held >= 0) denial = this.deny(colour, held, domain, resource);
    });
    return denial ?? this.allowDecision;
  }

  recordConnected(domainId: number, resource: PolicySubject): void {
    let colours = this.byDomain.get(domainId);
    if (colours === undefined) {
      colours = { countByColour: new Int32Array(this.index.colourNames.length), held: createTypeBitset(this.index.colourNames.length) };
      this.byDomain.set(domainId, colours);
    }
    const entry = colours;
    forEachBit(resource.colourMask, (colour) => {
      entry.countByColour[colour] = (entry.countByColour[colour] ?? 0) + 1;
      setBit(entry.held, colour);
    });
  }

  recordDisconnected(domainId: number, resource: PolicySubject): void {
    const colours = this.byDomain.get(domainId);
    if (colours === undefined) return;
    forEachBit(resource.colourMask, (colour) => {
      const count = colours.countByColour[colour] ?? 0;
      if (count <= 1) {
        colours.countByColour[colour] = 0;
        clearBit(colours.held, colour);
      } else {
        colours.countByColour[colour] = count - 1;
      }
    });
  }

  /** Colours a domain holds now, for inspection and audit. */
  coloursHeldBy(domainId: number): readonly string[] {
    const colours = this.byDomain.get(domainId);
    if (colours === undefined) return [];
    const names: string[] = [];
    forEachBit(colours.held, (colour) => names.push(this.index.colourNames[colour] ?? `#${colour}`));
    return names;
  }

  /** A destroyed domain holds nothing any more. */
  forgetDomain(domainId: number): void {
    this.byDomain.delete(domainId);
  }

  private deny(wanted: number, held: number, domain: PolicySubject, resource: PolicySubject): PolicyDecision {
    const wantedName = this.index.colourNames[wanted] ?? `#${wanted}`;
    const heldName = this.index.colourNames[held] ?? `#${held}`;
    const group = this.index.policy.colourGroups.find((candidate) => candidate.colours.includes(wantedName) && candidate.colours.includes(heldName));
    const groupName = group?.name ?? "?";
    return createPolicyDecision(
      false,
      "colour-group",
      `group/${groupName}`,
      `${domain.displayName} already holds a '${heldName}' resource, and colour group '${groupName}' excludes '${wantedName}' (${resource.displayName})`,
    );
  }
}
