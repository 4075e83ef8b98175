// Lowering of store key `where` clauses (compiler/ir/lower-store-key-clauses.ts): blkif's clauses
// get stable ids, slots for every key they read, the states that publish those keys, the spec
// text and location; a clause the run time cannot evaluate is listed as unchecked with the reason.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lowerToIr } from "../../compiler/ir/lower.js";
import type { IrStoreKeyClauses } from "../../compiler/ir/store-key-clauses.js";
import { checkSources } from "../../compiler/pipeline/check.js";

function lowerStoreKeyClausesOf(path: string, text: string, protocolName: string): IrStoreKeyClauses {
  const checked = checkSources([{ path, text }], () => ({ ok: false, reason: "no imports expected" }));
  const model = checked.value.model;
  if (model === undefined) throw new Error(`${path} did not analyze`);
  const protocol = lowerToIr(model, checked.value.sources).value.find((candidate) => candidate.name === protocolName);
  const clauses = protocol?.monitor?.storeKeyClauses;
  if (clauses === undefined) throw new Error(`${protocolName} has no store key clauses`);
  return clauses;
}

const miniSpec = `protocol mini version 1 {
  roles frontend, backend;
  const LIMIT = 8;
  enum Mode : u8 { slow = 0, fast = 1 }
  store backend {
    mode: Mode = Mode.slow where value in {slow, fast};
    width: u32 optional where value in 1 ..= LIMIT;
    mask: u32 optional where (~value & 1) == 0;
    flag: bool = false;
  }
  store frontend {
    width: u32 optional where backend.flag ==> value <= backend.width;
  }
}
`;

describe("store key clauses lowered from blkif", () => {
  const blkifPath = "protocols/blkif.proto-desc";
  const lowered = lowerStoreKeyClausesOf(blkifPath, readFileSync(blkifPath, "utf8"), "blkif");
  const byId = new Map(lowered.clauses.map((clause) => [clause.clauseId, clause] as const));
  const slotName = (slot: number): string => `${lowered.slots[slot]?.role}.${lowered.slots[slot]?.key}`;

  it("names a key's clause <protocol>.<role>.<key> and a store-level one by its label", () => {
    expect([...byId.keys()].sort()).toEqual([
      "blkif.backend.feature-max-indirect-segments",
      "blkif.backend.max-ring-page-order",
      "blkif.backend.multi-queue-max-queues",
      "blkif.backend.physical-sector-size",
      "blkif.backend.sector-size",
      "blkif.frontend.multi-queue-num-queues",
      "blkif.frontend.one_ring_naming",
      "blkif.frontend.ring-page-order",
    ]);
    expect(lowered.unchecked).toEqual([]);
  });

  it("reads own and peer keys through slots, with the defaults the spec states", () => {
    const ringPageOrder = byId.get("blkif.frontend.ring-page-order");
    expect(ringPageOrder?.ownSlots.map(slotName)).toEqual(["frontend.ring-page-order"]);
    expect(ringPageOrder?.peerSlots.map(slotName)).toEqual(["backend.max-ring-page-order"]);
    expect(lowered.slots.find((slot) => slot.key === "max-ring-page-order")).toEqual({ role: "backend", key: "max-ring-page-order", kind: "integer", defaultValue: 0 });
    const physical = byId.get("blkif.backend.physical-sector-size");
    expect(physical?.ownSlots.map(slotName)).toEqual(["backend.physical-sector-size", "backend.sector-size"]);
    const naming = byId.get("blkif.frontend.one_ring_naming");
    expect(naming?.key).toBeUndefined();
    expect(naming?.keySlot).toBe(-1);
    expect(naming?.presentSlots.map(slotName).sort()).toEqual(["frontend.ring-page-order", "frontend.ring-ref"]);
    expect(naming?.valueSlots).toEqual([]);
  });

  it("is due in the states whose entry publishes a key it reads (or a key naming the same channel)", () => {
    expect(byId.get("blkif.backend.max-ring-page-order")?.dueInStates).toEqual([2]);
    expect(byId.get("blkif.backend.sector-size")?.dueInStates).toEqual([4]);
    // ring-ref names the io ring, as event-channel does, which the frontend publishes for Initialised.
    expect(byId.get("blkif.frontend.one_ring_naming")?.dueInStates).toEqual([3]);
    expect(byId.get("blkif.frontend.multi-queue-num-queues")?.dueInStates).toEqual([]);
  });

  it("keeps the clause's spec text and location", () => {
    const sectorSize = byId.get("blkif.backend.sector-size");
    expect(sectorSize?.text).toBe("value >= SECTOR_SIZE && (value & (value - 1)) == 0");
    expect(sectorSize?.location).toMatch(/^protocols\/blkif\.proto-desc:\d+:\d+$/);
  });
});

describe("store key clauses of other shapes", () => {
  const lowered = lowerStoreKeyClausesOf("mini.proto-desc", miniSpec, "mini");

  it("lowers set and range membership, enum members, implication and bool keys", () => {
    expect(lowered.clauses.map((clause) => clause.clauseId)).toEqual(["mini.backend.mode", "mini.backend.width", "mini.frontend.width"]);
    expect(lowered.clauses[0]?.expression).toMatchObject({ kind: "binary", operator: "||", left: { operator: "==", right: { kind: "enum-member", memberName: "slow" } } });
    expect(lowered.slots.find((slot) => slot.key === "flag")).toEqual({ role: "backend", key: "flag", kind: "bool", defaultValue: 0 });
  });

  it("lists a clause the run time cannot evaluate as unchecked, with the reason", () => {
    expect(lowered.unchecked).toEqual([expect.objectContaining({ clauseId: "mini.backend.mask", reason: "uses bitwise complement" })]);
  });
});
