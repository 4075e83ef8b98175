// Arbitration is immune to writes during the freeze: a mapped frame is shared memory that no
// one can take back, so a party may still write the ring after the policer froze the connection.
// Each test races such a write into the freeze (on the hypervisor's domain-paused notice, while
// the policer is arbitrating) and checks the verdict is the one the ring at complaint time
// supports: a cheat cannot cover its tracks, and a lying complainer cannot frame its peer.

import { describe, expect, it } from "vitest";
import { Policer, type PolicerVerdict } from "../../runtime/policer/index.js";
import { rewriteSlotWord } from "./blkif-attack-catalogue.js";
import { backendId, connectionName, createBlkifHost, frontendId, issueRequest, writeHeaderWord, type BlkifAbi, type BlkifHost } from "./blkif-host.js";
import type { AuditEntry, AuditRecord } from "../../runtime/audit/audit-record.js";

/** Runs `write` once, as `racer` is paused by the policer's freeze; reports whether it ran mid-arbitration. */
function raceIntoFreeze(host: BlkifHost, racer: number, write: () => void): { readonly ranWhileArbitrating: () => boolean } {
  let ranWhileArbitrating = false;
  let ran = false;
  const unsubscribe = host.hypervisor.observation.subscribe((operation) => {
    if (ran || operation.kind !== "domain-paused" || operation.domain !== racer) return;
    ran = true;
    ranWhileArbitrating = host.policer.statusOf(connectionName) === "arbitrating";
    write();
    unsubscribe();
  });
  return { ranWhileArbitrating: () => ranWhileArbitrating };
}

function complain(host: BlkifHost, complainerRole: "frontend" | "backend", clauseId: string): PolicerVerdict {
  const verdict = host.policer.complain({ connection: connectionName, complainerRole, clauseId, evidence: { index: 0 } });
  if ("ok" in verdict) throw new Error(`complaint refused: ${verdict.reason}`);
  return verdict;
}

function readSlotWord(host: BlkifHost, index: number, offset: number): number {
  const memory = host.frontendRingMemory;
  return new DataView(memory.buffer, memory.byteOffset).getUint32(host.wire.slotOffset(index) + offset, true);
}

for (const abi of ["x86_64", "x86_32"] as const satisfies readonly BlkifAbi[]) {
  describe(`freeze snapshot (${abi})`, () => {
    it("a frontend that rewrote a published request cannot restore it during the freeze", () => {
      const host = createBlkifHost({ abi });
      issueRequest(host, 1, 2);
      const sectorOffset = host.wire.offsets.sectorNumber;
      const original = readSlotWord(host, 0, sectorOffset);
      rewriteSlotWord(host, 0, sectorOffset, original + 5);
      const race = raceIntoFreeze(host, frontendId, () => rewriteSlotWord(host, 0, sectorOffset, original));
      const verdict = complain(host, "backend", "blkif.request_stable_until_consumed");
      expect(race.ranWhileArbitrating()).toBe(true);
      expect(readSlotWord(host, 0, sectorOffset)).toBe(original);
      expect(verdict).toMatchObject({ confirmed: true, blamed: { role: "frontend", domainId: frontendId }, clauseId: "blkif.request_stable_until_consumed" });
    });

    it("a backend that published an unknown response cannot roll rsp_prod back during the freeze", () => {
      const host = createBlkifHost({ abi });
      issueRequest(host, 1, 1);
      // Published without a notification, so the policer has not scanned it yet.
      host.frontendRingMemory.set(host.wire.encodeResponse(4242, 1, 0), host.wire.slotOffset(0));
      writeHeaderWord(host.frontendRingMemory, 8, 1);
      const race = raceIntoFreeze(host, backendId, () => writeHeaderWord(host.frontendRingMemory, 8, 0));
      const verdict = complain(host, "frontend", "blkif.io.response_id_known");
      expect(race.ranWhileArbitrating()).toBe(true);
      expect(verdict).toMatchObject({ confirmed: true, blamed: { role: "backend", domainId: backendId } });
      expect(verdict.violation?.evidence.responseProducer).toBe(1);
    });

    it("a frontend that pushed req_prod past the ring cannot pull it back during the freeze", () => {
      const host = createBlkifHost({ abi });
      issueRequest(host, 1, 1);
      writeHeaderWord(host.frontendRingMemory, 0, host.wire.entries + 9);
      const race = raceIntoFreeze(host, frontendId, () => writeHeaderWord(host.frontendRingMemory, 0, 1));
      const verdict = complain(host, "backend", "blkif.request_index_sane");
      expect(race.ranWhileArbitrating()).toBe(true);
      expect(verdict).toMatchObject({ confirmed: true, blamed: { role: "frontend" } });
    });

    it("a lying backend that rewrites an intact request during the freeze to frame the frontend is blamed", () => {
      const host = createBlkifHost({ abi });
      issueRequest(host, 1, 2);
      const referenceOffset = host.wire.offsets.firstSegment + host.wire.offsets.segmentReference;
      const race = raceIntoFreeze(host, backendId, () => rewriteSlotWord(host, 0, referenceOffset, 0xdead));
      const verdict = complain(host, "backend", "blkif.request_stable_until_consumed");
      expect(race.ranWhileArbitrating()).toBe(true);
      expect(readSlotWord(host, 0, referenceOffset)).toBe(0xdead);
      expect(verdict).toMatchObject({ confirmed: false, blamed: { role: "backend", domainId: backendId } });
      expect(verdict.reason).toContain("false accusation");
    });
  });
}

describe("the policer's snapshot", () => {
  it("is private: the policer never writes the shared ring, and the live pages keep what the parties wrote", () => {
    const host = createBlkifHost();
    issueRequest(host, 1, 1);
    const before = host.frontendRingMemory.slice();
    complain(host, "backend", "blkif.request_stable_until_consumed");
    expect(host.frontendRingMemory).toEqual(before);
  });
});

describe("a complaint whose audit record cannot be written", () => {
  it("throws before anything changes: nobody is paused and the connection stays policed", () => {
    const host = createBlkifHost();
    host.policer.close();
    const failingLog = { append(entry: AuditEntry): AuditRecord { throw new Error(`audit log full, cannot append ${entry.kind}`); } };
    const policer = new Policer({ hypervisor: host.hypervisor, store: host.store, clock: host.clock, audit: failingLog });
    const monitor = host.policer.monitorOf(connectionName);
    if (monitor === undefined) throw new Error("no monitor");
    expect(policer.attach({ name: connectionName, spec: monitor.spec, parties: monitor.parties, ringPages: [{ granterRole: "frontend", references: [host.ringReference] }] })).toEqual({ ok: true });
    expect(() => policer.complain({ connection: connectionName, complainerRole: "backend", clauseId: "blkif.request_stable_until_consumed", evidence: null })).toThrow(/audit log full/);
    expect(policer.statusOf(connectionName)).toBe("policed");
    expect([host.hypervisor.findDomain(frontendId)?.lifecycle, host.hypervisor.findDomain(backendId)?.lifecycle]).toEqual(["running", "running"]);
  });
});
