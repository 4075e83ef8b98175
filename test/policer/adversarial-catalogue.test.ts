// The adversarial catalogue: every attack of blkif-attack-catalogue.ts, on each ABI it names,
// on real hypervisor, ring and store objects policed with the generated blkif MonitorSpec. Each
// asserts the verdict's clause id, how it came about, the role and domain blamed, the spec
// location, and that the blamed party was reset and everything reached the audit log.

import { describe, expect, it } from "vitest";
import type { PolicerVerdict } from "../../runtime/policer/index.js";
import { blkifAttackCatalogue, type BlkifAttack } from "./blkif-attack-catalogue.js";
import { backendId, connectionName, createBlkifHost, frontendId, type BlkifAbi, type BlkifHost } from "./blkif-host.js";

/** Plays one attack on a fresh host and checks the single verdict it must produce. */
function playAttack(clauseId: string, attack: BlkifAttack, abi: BlkifAbi): { readonly host: BlkifHost; readonly verdict: PolicerVerdict } {
  const host = createBlkifHost({ ...attack.hostOptions, abi });
  attack.play(host);
  expect(host.verdicts.map((verdict) => `${verdict.clauseId} -> ${verdict.blamed.role}`)).toEqual([`${clauseId} -> ${attack.blamedRole}`]);
  const verdict = host.verdicts[0];
  if (verdict === undefined) throw new Error("no verdict");
  expect(verdict.blamed.domainId).toBe(attack.blamedRole === "frontend" ? frontendId : backendId);
  switch (attack.expectedVerdict) {
    case "observed":
      expect({ complaintSeq: verdict.complaintSeq, confirmed: verdict.confirmed }).toEqual({ complaintSeq: null, confirmed: true });
      break;
    case "confirmed-complaint":
      expect(verdict.complaintSeq).not.toBeNull();
      expect(verdict.confirmed).toBe(true);
      break;
    case "false-accusation":
      expect(verdict.complaintSeq).not.toBeNull();
      expect(verdict.confirmed).toBe(false);
      expect(verdict.blamed.role).toBe(attack.maliciousRole);
      break;
  }
  if (verdict.confirmed) {
    const clause = host.spec.clauses.find((candidate) => candidate.id === clauseId);
    expect(verdict.violation?.specSpan).toBe(clause?.specSpan);
    expect(verdict.violation?.blamedRole).toBe(attack.blamedRole);
  }
  expect(host.policer.statusOf(connectionName)).toBe("reset");
  const kinds = host.audit.records.map((record) => record.kind);
  expect(kinds.slice(kinds.indexOf("verdict"))).toEqual(["verdict", "reset"]);
  attack.checkEvidence?.(verdict, host);
  return { host, verdict };
}

for (const [clauseId, attacks] of Object.entries(blkifAttackCatalogue)) {
  describe(clauseId, () => {
    for (const attack of attacks) {
      for (const abi of attack.abis) {
        it(`${attack.name} [${attack.maliciousRole}, ${abi}]: ${attack.expectedVerdict}, ${attack.blamedRole} blamed`, () => {
          playAttack(clauseId, attack, abi);
        });
      }
    }
  });
}
