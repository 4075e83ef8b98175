// Persistent grants under the policer with the generated blkif spec: when both ends published
// feature-persistent = 1 a backend keeping its mappings across responses is honest and never
// blamed; when only one end (or neither) did, the same backend is blamed under
// blkif.unmapped_before_response. Feature keys count as negotiated at Connected, so flipping
// one while connected neither excuses a backend nor gets an honest one blamed, and no change of
// the values judged excuses a response published before it.

import { describe, expect, it } from "vitest";
import { backendDirectory, backendId, connectionName, createBlkifHost, frontendDirectory, frontendId, sendRequest, XenbusState, type BlkifAbi, type BlkifFeaturePersistent, type BlkifHost } from "./blkif-host.js";
import { collectUntilIdle, createPersistentGrantSession, publishRequestBatch, serveWithinBudget, type PersistentGrantSession } from "./blkif-suppressed-parties.js";

const unmappedClause = "blkif.unmapped_before_response";

/** Rounds of persistent traffic: batches of reads and writes over the pool, served and collected. */
function runPersistentTraffic(host: BlkifHost, session: PersistentGrantSession, rounds: number): void {
  for (let round = 0; round < rounds; round += 1) {
    publishRequestBatch(host, [
      { operation: 0, segments: 1 + (round % 4) },
      { operation: 1, segments: 2 },
      { operation: 3, segments: 1 },
      { operation: 0, segments: 3 },
    ], session);
    host.clock.advanceBy(5);
    serveWithinBudget(host, Number.POSITIVE_INFINITY, session);
    collectUntilIdle(host, session);
    host.policer.auditAll();
  }
}

/** Orderly end of a persistent session: the backend unmaps its pool mappings, then the frontend ends access. */
function endPersistentSession(host: BlkifHost, session: PersistentGrantSession): void {
  for (const handle of session.backendMappingHandles.values()) host.hypervisor.unmapGrant(backendId, handle);
  for (const reference of session.freeReferences) host.hypervisor.endAccess(frontendId, reference);
}

function describeVerdicts(host: BlkifHost): [string, string][] {
  return host.verdicts.map((verdict) => [verdict.clauseId, verdict.blamed.role]);
}

/** One read of `segments` pool pages that the backend answers keeping them mapped, publishing the response without a notification. */
function answerKeepingMappedUnannounced(host: BlkifHost, session: PersistentGrantSession): void {
  publishRequestBatch(host, [{ operation: 0, segments: 2 }], session);
  // The backend's map hypercalls let the policer see the request; the response is pushed with no event after it.
  expect(host.backendRing.beginRequestBatch()).toBe(1);
  const slot = host.backendRing.consumeRequest();
  if (slot === null) throw new Error("no request to answer");
  const read = host.wire.decodeRequest(slot).operationVariant.read;
  for (let segment = 0; segment < read.nrSegments; segment += 1) {
    const reference = read.seg[segment]?.gref ?? -1;
    const mapped = host.hypervisor.mapGrant(backendId, frontendId, reference, true);
    if (!mapped.ok) throw new Error(mapped.reason);
    session.backendMappingHandles.set(reference, mapped.handle);
  }
  host.backendRing.produceResponse(host.wire.encodeResponse(read.id, 0, 0));
  host.backendRing.pushResponses();
}

describe("persistent grants under the policer", () => {
  for (const abi of ["x86_64", "x86_32"] as const satisfies readonly BlkifAbi[]) {
    it(`never blames a backend keeping grants mapped when both ends offered them (${abi})`, () => {
      const host = createBlkifHost({ abi, featurePersistent: { frontend: true, backend: true } });
      const session = createPersistentGrantSession(host, 24);
      runPersistentTraffic(host, session, 20);
      // The backend really kept its mappings: one per pool page it was lent, never unmapped.
      expect(session.backendMappingHandles.size).toBeGreaterThan(0);
      expect(host.hypervisor.findDomain(backendId)?.grantMappings.size).toBe(session.backendMappingHandles.size + 1);
      endPersistentSession(host, session);
      host.clock.advanceBy(2 * (host.wire.ring.deadline?.milliseconds ?? 0));
      host.policer.auditAll();
      expect(host.verdicts).toEqual([]);
      expect(host.policer.statusOf(connectionName)).toBe("policed");
      expect(host.policer.monitorOf(connectionName)?.listOutstandingRequestIds()).toEqual([]);
    });
  }

  it.each<[string, BlkifFeaturePersistent]>([
    ["only the frontend", { frontend: true, backend: false }],
    ["only the backend", { frontend: false, backend: true }],
    ["neither end", { frontend: false, backend: false }],
  ])("blames a backend keeping grants mapped when %s offered them", (_name, featurePersistent) => {
    const host = createBlkifHost({ featurePersistent });
    const session = createPersistentGrantSession(host, 8);
    runPersistentTraffic(host, session, 2);
    expect(describeVerdicts(host)).toEqual([[unmappedClause, "backend"]]);
    expect(host.verdicts[0]?.violation?.evidence.detail).toMatch(/still mapped by the responder/);
  });

  it("judges keys written before the policer attached: a late attach replays them", () => {
    for (const [featurePersistent, expected] of [
      [{ frontend: true, backend: true }, []],
      [{ frontend: false, backend: true }, [[unmappedClause, "backend"]]],
    ] as const) {
      const host = createBlkifHost({ featurePersistent });
      host.policer.detach(connectionName);
      const attached = host.policer.attach({
        name: `${connectionName}/late`,
        spec: host.spec,
        parties: [
          { role: "frontend", domainId: frontendId, directory: frontendDirectory },
          { role: "backend", domainId: backendId, directory: backendDirectory },
        ],
        ringPages: [{ granterRole: "frontend", references: [host.ringReference] }],
      });
      expect(attached).toEqual({ ok: true });
      runPersistentTraffic(host, createPersistentGrantSession(host, 8), 2);
      expect(describeVerdicts(host)).toEqual(expected);
    }
  });

  it("still blames a backend that offers persistent grants only after Connected", () => {
    const host = createBlkifHost({ featurePersistent: { frontend: true, backend: false } });
    host.backendStore.write(`${backendDirectory}/feature-persistent`, "1");
    runPersistentTraffic(host, createPersistentGrantSession(host, 8), 2);
    expect(describeVerdicts(host)).toEqual([[unmappedClause, "backend"]]);
  });

  it("never blames the backend when the frontend withdraws its offer after Connected", () => {
    const host = createBlkifHost({ featurePersistent: { frontend: true, backend: true } });
    const session = createPersistentGrantSession(host, 8);
    runPersistentTraffic(host, session, 2);
    host.frontendStore.write(`${frontendDirectory}/feature-persistent`, "0");
    runPersistentTraffic(host, session, 4);
    expect(host.verdicts).toEqual([]);
  });

  it("judges a response published before the frontend leaves Connected with the values negotiated, not the backend's later offer", () => {
    const host = createBlkifHost({ featurePersistent: { frontend: true, backend: false } });
    host.backendStore.write(`${backendDirectory}/feature-persistent`, "1");
    answerKeepingMappedUnannounced(host, createPersistentGrantSession(host, 4));
    expect(host.verdicts).toEqual([]);
    // Once the frontend leaves Connected the backend's live "1" would count; the response before it still owed the unmap.
    host.frontendStore.write(`${frontendDirectory}/state`, String(XenbusState.closing));
    expect(describeVerdicts(host)).toEqual([[unmappedClause, "backend"]]);
  });

  it("judges a response published before a key write that would exempt it with the values before the write", () => {
    const host = createBlkifHost({ featurePersistent: { frontend: false, backend: true } });
    const session = createPersistentGrantSession(host, 4);
    sendRequest(host, 3, []);
    serveWithinBudget(host, Number.POSITIVE_INFINITY, session);
    collectUntilIdle(host, session);
    // The backend leaves Connected, so the frontend's key counts live from here on.
    host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.closing));
    answerKeepingMappedUnannounced(host, session);
    expect(host.verdicts).toEqual([]);
    host.frontendStore.write(`${frontendDirectory}/feature-persistent`, "1");
    expect(describeVerdicts(host)).toEqual([[unmappedClause, "backend"]]);
  });
});
