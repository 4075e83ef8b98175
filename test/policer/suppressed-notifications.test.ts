// Regression tests for issue 7 ("no honest run is ever blamed"): honest parties that suppress
// notifications the way Xen's ring macros do are never blamed, although the policer reads the
// ring only now and then and slots are reused before it looks (docs/policing.md §9). Each run
// also checks what the monitor could not observe was counted, not judged.

import { describe, expect, it } from "vitest";
import { backendId, collectResponses, connectionName, createBlkifHost, frontendId, lendDataPages, type BlkifAbi, type BlkifHost } from "./blkif-host.js";
import { collectUntilIdle, publishRequestBatch, serveWithinBudget } from "./blkif-suppressed-parties.js";

const abis: readonly BlkifAbi[] = ["x86_64", "x86_32"];

/** An honest frontend pushes `count` writes and notifies only when the ring says the backend wants it. */
function publishWithSuppression(host: BlkifHost, count: number, operation = 1, segments = 1): void {
  for (let request = 0; request < count; request += 1) {
    const lent = lendDataPages(host, segments);
    const id = host.nextRequestId++;
    if (!host.frontendRing.produceRequest(host.wire.encodeRequest(operation, id, lent.references))) throw new Error("ring full");
    host.lentPages.set(id, lent);
  }
  if (host.frontendRing.pushRequests()) host.hypervisor.sendEvent(frontendId, host.frontendPort);
}

/** An honest polling backend answers everything without mapping (a flush needs none) and notifies only when asked. */
function serveWithoutHypercalls(host: BlkifHost): void {
  const batch = host.backendRing.beginRequestBatch();
  for (let count = 0; count < batch; count += 1) {
    const slot = host.backendRing.consumeRequest();
    if (slot === null) break;
    const request = host.wire.decodeRequest(slot);
    host.backendRing.produceResponse(host.wire.encodeResponse(request.operationVariant.read.id, request.operation, 0));
  }
  if (host.backendRing.pushResponses()) host.hypervisor.sendEvent(backendId, host.backendPort);
}

function summarize(host: BlkifHost): string[] {
  return host.verdicts.map((verdict) => `${verdict.clauseId} -> ${verdict.blamed.role}`);
}

function observations(host: BlkifHost) {
  const monitor = host.policer.monitorOf(connectionName);
  if (monitor === undefined) throw new Error("connection not policed");
  return monitor.countObservations();
}

describe.each(abis)("honest parties with suppressed notifications are never blamed (%s)", (abi) => {
  it("an unnotified request answered before the monitor looks is counted as unobserved, not judged from the response bytes", () => {
    const host = createBlkifHost({ abi });
    for (let round = 0; round < 3; round += 1) {
      publishWithSuppression(host, 1, 3, 0);
      serveWithoutHypercalls(host);
      collectResponses(host);
    }
    host.policer.auditAll();
    expect(summarize(host)).toEqual([]);
    const counted = observations(host);
    expect(counted.unobservedRequests).toBeGreaterThan(0);
    expect(counted.observedRequests + counted.unobservedRequests).toBe(3);
    expect(counted.observedResponses + counted.unobservedResponses).toBe(3);
  });

  it("a ring reused several times between two looks: req_prod is judged against the current rsp_prod", () => {
    const host = createBlkifHost({ abi });
    for (let round = 0; round < 4; round += 1) {
      publishWithSuppression(host, host.wire.entries, 3, 0);
      serveWithoutHypercalls(host);
      collectResponses(host);
    }
    host.policer.auditAll();
    expect(summarize(host)).toEqual([]);
    expect(host.policer.statusOf(connectionName)).toBe("policed");
    const counted = observations(host);
    expect(counted.observedRequests + counted.unobservedRequests).toBe(4 * host.wire.entries);
  });

  it("responses overwritten by the next round before any look are unobserved, and their requests get no deadline verdict", () => {
    const host = createBlkifHost({ abi });
    publishWithSuppression(host, 2, 3, 0);
    serveWithoutHypercalls(host);
    // The frontend collects without a hypercall (flushes lend no pages) and refills the whole ring.
    collectResponses(host);
    publishWithSuppression(host, host.wire.entries, 3, 0);
    const deadline = host.wire.ring.deadline?.milliseconds ?? 0;
    // The backend keeps progressing on the new round within every window, so only a deadline verdict could appear.
    const step = Math.max(1, (host.wire.ring.progress?.milliseconds ?? deadline) - 1);
    for (let elapsed = 0; elapsed <= deadline; elapsed += step) {
      expect(serveWithinBudget(host, 1)).toBe(1);
      host.clock.advanceBy(step);
      host.policer.auditAll();
    }
    serveWithinBudget(host, Number.POSITIVE_INFINITY);
    collectUntilIdle(host);
    host.policer.auditAll();
    expect(summarize(host)).toEqual([]);
    expect(host.policer.monitorOf(connectionName)?.listOutstandingRequestIds()).toEqual([]);
  });

  it("a busy backend serving in small batches while the frontend pushes without notifying is never blamed", () => {
    const host = createBlkifHost({ abi });
    let published = 0;
    for (let round = 0; round < 40; round += 1) {
      published += publishRequestBatch(host, [{ operation: 3, segments: 0 }, { operation: 1, segments: 2 }, { operation: 3, segments: 0 }]);
      serveWithinBudget(host, 2);
      if (round % 3 === 0) collectUntilIdle(host);
      if (round % 5 === 0) host.policer.auditAll();
    }
    serveWithinBudget(host, Number.POSITIVE_INFINITY);
    collectUntilIdle(host);
    host.policer.auditAll();
    expect(summarize(host)).toEqual([]);
    const counted = observations(host);
    expect(counted.observedRequests + counted.unobservedRequests).toBe(published);
    expect(counted.unobservedRequests).toBeGreaterThan(0);
  });

  it("answering a later request first (the response fills the whole slot) does not blame the frontend for a rewritten slot", () => {
    const host = createBlkifHost({ abi });
    publishWithSuppression(host, 2, 1, 1);
    host.hypervisor.sendEvent(frontendId, host.frontendPort);
    host.backendRing.beginRequestBatch();
    const first = host.wire.decodeRequest(host.backendRing.consumeRequest() ?? new Uint8Array(host.wire.requestBytes)).operationVariant.read.id;
    const second = host.wire.decodeRequest(host.backendRing.consumeRequest() ?? new Uint8Array(host.wire.requestBytes)).operationVariant.read.id;
    host.backendRing.produceResponse(host.wire.encodeResponse(second, 1, 0));
    host.backendRing.pushResponses();
    host.policer.auditAll();
    host.backendRing.produceResponse(host.wire.encodeResponse(first, 1, 0));
    host.backendRing.pushResponses();
    collectUntilIdle(host);
    host.policer.auditAll();
    expect(summarize(host)).toEqual([]);
  });

  it("a complaint about a request whose slot was already answered cannot be confirmed: complain before answering", () => {
    const host = createBlkifHost({ abi });
    const bytes = new Uint8Array(host.wire.requestBytes);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(host.wire.offsets.id, 1n, true);
    // A read that moves no segment (blkif.Request.data_needs_segments), pushed without a notification.
    view.setUint8(host.wire.offsets.operation, 0);
    host.frontendRing.produceRequest(bytes);
    host.frontendRing.pushRequests();
    host.backendRing.beginRequestBatch();
    host.backendRing.consumeRequest();
    host.backendRing.produceResponse(host.wire.encodeResponse(1, 0, -1));
    host.backendRing.pushResponses();
    const verdict = host.policer.complain({ connection: connectionName, complainerRole: "backend", clauseId: "blkif.Request.data_needs_segments", evidence: { index: 0 } });
    expect("confirmed" in verdict && verdict.confirmed).toBe(false);
    expect(summarize(host)).toEqual(["blkif.Request.data_needs_segments -> backend"]);
  });
});
