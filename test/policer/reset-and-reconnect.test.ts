// What follows a verdict on the generated blkif spec: the blamed party's share of the
// connection is reset (grants, mappings, channel, xenbus state), quarantine follows the policy,
// the honest peer is told its in-flight requests and can reconnect; complaints the policer cannot
// consider are refused with a stable code.

import { describe, expect, it } from "vitest";
import { publishRawResponse } from "./blkif-attack-catalogue.js";
import {
  backendDirectory,
  backendId,
  collectResponses,
  connectionName,
  createBlkifHost,
  frontendId,
  issueRequest,
  reconnect,
  sendRequest,
  serveRequests,
  writeHeaderWord,
  XenbusState,
} from "./blkif-host.js";

describe("reset of the blamed party", () => {
  it("revokes the connection's grants, closes the channel, sets Closed, notifies the honest peer with in-flight ids", () => {
    const host = createBlkifHost();
    const id = issueRequest(host, 1, 1);
    writeHeaderWord(host.frontendRingMemory, 8, 5);
    host.hypervisor.sendEvent(backendId, host.backendPort);
    expect(host.verdicts.map((verdict) => [verdict.clauseId, verdict.blamed.role])).toEqual([["blkif.io.response_index", "backend"]]);
    expect(host.frontendStore.readText(`${backendDirectory}/state`)).toEqual({ ok: true, value: String(XenbusState.closed) });
    expect(host.hypervisor.findDomain(backendId)?.grantMappings.size).toBe(0);
    expect(host.hypervisor.sendEvent(backendId, host.backendPort).ok).toBe(false);
    expect(host.notices).toEqual([{ connection: connectionName, honest: { role: "frontend", domainId: frontendId }, blamed: { role: "backend", domainId: backendId }, clauseId: "blkif.io.response_index", inFlightRequestIds: [String(id)] }]);
    expect(host.hypervisor.findDomain(frontendId)?.lifecycle).toBe("running");
    expect(host.hypervisor.findDomain(backendId)?.lifecycle).toBe("running");
    const reset = host.audit.records.find((record) => record.kind === "reset");
    expect(reset).toMatchObject({ party: { role: "backend" }, quarantined: false });
    expect(reset?.kind === "reset" ? reset.actions : []).toEqual(["unmap-connection-grants:1", "revoke-grants:0", "close-evtchn:1", "state-closed"]);
  });

  it("quarantines per policy and ends a blamed frontend's grants to the backend", () => {
    const host = createBlkifHost({ quarantine: true });
    sendRequest(host, 1, [999]);
    expect(host.verdicts.map((verdict) => [verdict.clauseId, verdict.blamed.role])).toEqual([["blkif.segments_granted_until_unmapped", "frontend"]]);
    expect(host.hypervisor.findDomain(frontendId)?.lifecycle).toBe("paused");
    expect(host.hypervisor.findDomain(frontendId)?.grantTable.countActiveEntries()).toBe(0);
    expect(host.notices[0]?.honest.role).toBe("backend");
  });

  it("the honest peer can reconnect: a fresh connection is policed again and honest traffic passes", () => {
    const host = createBlkifHost();
    issueRequest(host, 1, 1);
    publishRawResponse(host, host.wire.encodeResponse(999, 1, 0), 0);
    expect(host.verdicts.map((verdict) => verdict.clauseId)).toEqual(["blkif.io.response_id_known"]);
    reconnect(host);
    expect(host.policer.statusOf(connectionName)).toBe("policed");
    for (let request = 0; request < 5; request += 1) issueRequest(host, 0, 2);
    expect(serveRequests(host)).toBe(5);
    expect(collectResponses(host)).toHaveLength(5);
    host.policer.auditAll();
    expect(host.verdicts).toHaveLength(1);
    publishRawResponse(host, host.wire.encodeResponse(31337, 1, 0), 5);
    expect(host.verdicts.map((verdict) => verdict.blamed.role)).toEqual(["backend", "backend"]);
  });
});

describe("complaints the policer cannot consider", () => {
  it("are refused with a stable code and no verdict", () => {
    const host = createBlkifHost();
    expect(host.policer.complain({ connection: "nope", complainerRole: "frontend", clauseId: "blkif.answers_in_time", evidence: null })).toMatchObject({ ok: false, code: "unknown-connection" });
    expect(host.policer.complain({ connection: connectionName, complainerRole: "toaster", clauseId: "blkif.answers_in_time", evidence: null })).toMatchObject({ ok: false, code: "unknown-role" });
    expect(host.policer.complain({ connection: connectionName, complainerRole: "frontend", clauseId: "blkif.nothing", evidence: null })).toMatchObject({ ok: false, code: "unknown-clause" });
    expect(host.verdicts).toEqual([]);
  });

  it("refuses a complaint on a connection already reset", () => {
    const host = createBlkifHost();
    sendRequest(host, 1, [999]);
    expect(host.policer.complain({ connection: connectionName, complainerRole: "backend", clauseId: "blkif.request_stable_until_consumed", evidence: null })).toMatchObject({ ok: false, code: "connection-closed" });
  });
});
