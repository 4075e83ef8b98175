// A known gap, pinned: honest parties that suppress notifications the way Xen's ring macros
// do get blamed, because the monitor reads the ring only on events and audits and so may read
// a slot after it was reused (docs/policing.md §9, "Known gaps"). Each test asserts today's
// wrong verdict exactly, so it fails the day the monitor engine changes how it judges these
// runs — then make it expect no verdict at all.

import { describe, expect, it } from "vitest";
import { backendId, collectResponses, createBlkifHost, frontendId, lendDataPages, type BlkifHost } from "./blkif-host.js";

/** An honest frontend pushes `count` writes and notifies only when the ring says the backend wants it. */
function publishWithSuppression(host: BlkifHost, count: number): void {
  for (let request = 0; request < count; request += 1) {
    const lent = lendDataPages(host, 1);
    const id = host.nextRequestId++;
    if (!host.frontendRing.produceRequest(host.wire.encodeRequest(1, id, lent.references))) throw new Error("ring full");
    host.lentPages.set(id, lent);
  }
  if (host.frontendRing.pushRequests()) host.hypervisor.sendEvent(frontendId, host.frontendPort);
}

/** An honest polling backend answers everything and notifies only when the ring says the frontend wants it. */
function serveWithSuppression(host: BlkifHost): void {
  const batch = host.backendRing.beginRequestBatch();
  for (let count = 0; count < batch; count += 1) {
    const slot = host.backendRing.consumeRequest();
    if (slot === null) break;
    const request = host.wire.decodeRequest(slot);
    host.backendRing.produceResponse(host.wire.encodeResponse(request.operationVariant.read.id, request.operation, 0));
  }
  if (host.backendRing.pushResponses()) host.hypervisor.sendEvent(backendId, host.backendPort);
}

describe("known gap: honest parties with suppressed notifications are blamed today", () => {
  it("an unnotified request answered before the monitor looks: the response bytes are judged as the request", () => {
    const host = createBlkifHost();
    for (let round = 0; round < 3; round += 1) {
      publishWithSuppression(host, 1);
      serveWithSuppression(host);
      collectResponses(host);
    }
    host.policer.auditAll();
    expect(host.verdicts.map((verdict) => `${verdict.clauseId} -> ${verdict.blamed.role}`)).toEqual(["blkif.Request.data_needs_segments -> frontend"]);
  });

  it("a ring reused several times between two looks: req_prod is judged against a stale rsp_prod", () => {
    const host = createBlkifHost();
    for (let round = 0; round < 4; round += 1) {
      publishWithSuppression(host, host.wire.entries);
      serveWithSuppression(host);
      collectResponses(host);
    }
    host.policer.auditAll();
    expect(host.verdicts.map((verdict) => `${verdict.clauseId} -> ${verdict.blamed.role}`)).toEqual(["blkif.request_index_sane -> frontend"]);
  });
});
