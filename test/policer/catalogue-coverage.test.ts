// The catalogue covers blkif as built: every clause id of the generated blkif MonitorSpec (read
// from the spec objects) and every `guarantee` of protocols/blkif.proto-desc (read from the
// checked semantic model) has an attack in blkif-attack-catalogue.ts that the policer answers by
// blaming the clause's owner, or is listed as shadowed or awaiting a clause, for a reason the
// test re-checks. Nothing else may sit in those lists, and no catalogue key may be stale.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSources } from "../../compiler/pipeline/check.js";
import { monitorSpecX86_32, monitorSpecX86_64 } from "../../drivers/blk/generated/blkif.js";
import { repositoryRoot } from "../support/run-cli.js";
import { blkifAttackCatalogue, blkifGuaranteesAwaitingClauses, shadowedBlkifClauses } from "./blkif-attack-catalogue.js";
import { createBlkifHost } from "./blkif-host.js";

const blkifPath = "protocols/blkif.proto-desc";

function readBlkifGuarantees(): readonly { readonly id: string; readonly owner: string }[] {
  const checked = checkSources([{ path: blkifPath, text: readFileSync(join(repositoryRoot, blkifPath), "utf8") }], () => ({ ok: false, reason: "blkif imports nothing" }));
  expect(checked.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
  const blkif = checked.value.model?.protocols.find((protocol) => protocol.name === "blkif");
  if (blkif === undefined) throw new Error("protocols/blkif.proto-desc declares no blkif protocol");
  return blkif.guarantees.map((guarantee) => ({ id: guarantee.qualifiedId, owner: guarantee.owner }));
}

/** Attacks under `clauseId` whose verdict blames the clause's owner by the policer's own finding or a confirmed complaint. */
function attacksBlamingOwner(clauseId: string, ownerRole: string) {
  return (blkifAttackCatalogue[clauseId] ?? []).filter((attack) => attack.expectedVerdict !== "false-accusation" && attack.blamedRole === ownerRole);
}

describe("catalogue coverage of the generated blkif spec", () => {
  for (const [abi, spec] of [["x86_64", monitorSpecX86_64], ["x86_32", monitorSpecX86_32]] as const) {
    it(`every clause of monitorSpec${abi === "x86_64" ? "X86_64" : "X86_32"} has an attack blaming its owner, or is shadowed`, () => {
      const uncovered = spec.clauses
        .filter((clause) => shadowedBlkifClauses[clause.id] === undefined)
        .filter((clause) => attacksBlamingOwner(clause.id, clause.ownerRole).length === 0)
        .map((clause) => `${clause.id} (owner ${clause.ownerRole})`);
      expect(uncovered).toEqual([]);
    });
  }

  it("runs at least a handful of ring-level attacks on x86_32 too", () => {
    const ringClauseIds = new Set(monitorSpecX86_32.rings.flatMap((ring) => [
      ring.requestIndexClauseId,
      ring.responseIndexClauseId,
      ring.duplicateRequestIdClauseId,
      ring.unknownResponseIdClauseId,
      ring.duplicateResponseIdClauseId,
      ring.slotRewrittenClauseId,
    ]));
    const x86_32RingClauses = Object.entries(blkifAttackCatalogue).filter(([clauseId, attacks]) => ringClauseIds.has(clauseId) && attacks.some((attack) => attack.abis.includes("x86_32")));
    expect(x86_32RingClauses.map(([clauseId]) => clauseId).sort()).toEqual([...ringClauseIds].sort());
  });

  it("has no key that is not a clause of the generated spec", () => {
    const clauseIds = new Set(monitorSpecX86_64.clauses.map((clause) => clause.id));
    expect(Object.keys(blkifAttackCatalogue).filter((key) => !clauseIds.has(key))).toEqual([]);
    expect(Object.keys(shadowedBlkifClauses).filter((key) => !clauseIds.has(key))).toEqual([]);
  });

  it("has at least 20 attacks, each naming its malicious and blamed roles", () => {
    const attacks = Object.values(blkifAttackCatalogue).flat();
    expect(attacks.length).toBeGreaterThanOrEqual(20);
    for (const attack of attacks) {
      expect(monitorSpecX86_64.roles).toContain(attack.maliciousRole);
      expect(monitorSpecX86_64.roles).toContain(attack.blamedRole);
      expect(attack.abis.length).toBeGreaterThan(0);
    }
    expect(attacks.some((attack) => attack.expectedVerdict === "false-accusation")).toBe(true);
    expect(attacks.some((attack) => attack.expectedVerdict === "confirmed-complaint")).toBe(true);
  });

  for (const [clauseId, shadowed] of Object.entries(shadowedBlkifClauses)) {
    it(`${clauseId} is shadowed by ${shadowed.shadowedBy}: its attack is reported under the shadowing clause`, () => {
      const host = createBlkifHost({ ...shadowed.attack.hostOptions, abi: "x86_64" });
      shadowed.attack.play(host);
      expect(host.verdicts.map((verdict) => `${verdict.clauseId} -> ${verdict.blamed.role}`)).toEqual([`${shadowed.shadowedBy} -> ${shadowed.attack.blamedRole}`]);
      expect(blkifAttackCatalogue[clauseId]).toBeUndefined();
      expect(attacksBlamingOwner(shadowed.shadowedBy, monitorSpecX86_64.clauses.find((clause) => clause.id === shadowed.shadowedBy)?.ownerRole ?? "").length).toBeGreaterThan(0);
    });
  }

  it("blkif.io.outstanding_bound stays shadowed only while the bound is the ring size", () => {
    for (const ring of [...monitorSpecX86_64.rings, ...monitorSpecX86_32.rings]) expect(ring.outstandingBound).toBeGreaterThanOrEqual(ring.entries);
  });
});

describe("catalogue coverage of protocols/blkif.proto-desc's guarantees", () => {
  const guarantees = readBlkifGuarantees();

  it("reads the guarantees from the checked semantic model", () => {
    expect(guarantees.length).toBeGreaterThan(0);
  });

  it("every guarantee has an attack that triggers it and blames its owner, or awaits a clause of the generated spec", () => {
    const uncovered = guarantees
      .filter((guarantee) => blkifGuaranteesAwaitingClauses[guarantee.id] === undefined)
      .filter((guarantee) => attacksBlamingOwner(guarantee.id, guarantee.owner).length === 0)
      .map((guarantee) => `${guarantee.id} (owner ${guarantee.owner})`);
    expect(uncovered).toEqual([]);
  });

  it("a guarantee awaits a clause only while the generated spec really lacks it, and only real guarantees wait", () => {
    const guaranteeIds = new Set(guarantees.map((guarantee) => guarantee.id));
    const clauseIds = new Set([...monitorSpecX86_64.clauses, ...monitorSpecX86_32.clauses].map((clause) => clause.id));
    for (const awaiting of Object.keys(blkifGuaranteesAwaitingClauses)) {
      expect({ awaiting, isGuarantee: guaranteeIds.has(awaiting), inGeneratedSpec: clauseIds.has(awaiting) }).toEqual({ awaiting, isGuarantee: true, inGeneratedSpec: false });
      expect(blkifAttackCatalogue[awaiting]).toBeUndefined();
    }
  });

  it("every guarantee the generated spec carries names the same owner there", () => {
    const owners = new Map(monitorSpecX86_64.clauses.map((clause) => [clause.id, clause.ownerRole]));
    const mismatched = guarantees.filter((guarantee) => owners.has(guarantee.id) && owners.get(guarantee.id) !== guarantee.owner).map((guarantee) => guarantee.id);
    expect(mismatched).toEqual([]);
  });
});
