// The adversarial catalogue: a malicious frontend, a malicious backend, lying complainers and
// a silent pair, each attack on real hypervisor, ring and store objects, each asserting the
// clause of the verdict and the role blamed.

import { describe, expect, it } from "vitest";
import type { PolicerVerdict } from "../../runtime/policer/index.js";
import {
  backendDirectory,
  backendId,
  collectResponses,
  connectionName,
  createBlkifHost,
  encodeRequest,
  encodeResponse,
  frontendDirectory,
  frontendId,
  grantDataPages,
  issueRequest,
  reconnect,
  requestBytes,
  sendRequest,
  serveRequests,
  writeHeaderWord,
  XenbusState,
  type BlkifHost,
} from "./blkif-host.js";

const ringSlotOffset = (index: number) => 64 + (index & 31) * requestBytes;

function onlyVerdict(host: BlkifHost): PolicerVerdict {
  expect(host.verdicts).toHaveLength(1);
  const verdict = host.verdicts[0];
  if (verdict === undefined) throw new Error("no verdict");
  return verdict;
}

function expectBlamed(host: BlkifHost, clauseId: string, role: "frontend" | "backend"): PolicerVerdict {
  const verdict = onlyVerdict(host);
  expect({ clause: verdict.clauseId, role: verdict.blamed.role }).toEqual({ clause: clauseId, role });
  expect(verdict.blamed.domainId).toBe(role === "frontend" ? frontendId : backendId);
  expect(host.policer.statusOf(connectionName)).toBe("reset");
  const kinds = host.audit.records.map((record) => record.kind);
  expect(kinds).toContain("verdict");
  expect(kinds).toContain("reset");
  return verdict;
}

/** The backend writes a raw response into the next response slot and publishes it. */
function publishRawResponse(host: BlkifHost, response: Uint8Array, responseIndex: number): void {
  host.frontendRingMemory.set(response, ringSlotOffset(responseIndex));
  writeHeaderWord(host.frontendRingMemory, 8, responseIndex + 1);
  host.hypervisor.sendEvent(backendId, host.backendPort);
}

describe("malicious frontend", () => {
  it("request index overflow: req_prod runs past the ring", () => {
    const host = createBlkifHost();
    writeHeaderWord(host.frontendRingMemory, 0, 40);
    host.hypervisor.sendEvent(frontendId, host.frontendPort);
    const verdict = expectBlamed(host, "blkif.request_index", "frontend");
    expect(verdict.violation?.evidence.requestProducer).toBe(40);
    expect(verdict.violation?.specSpan).toBe("specs/blkif.proto-desc:40:3");
  });

  it("duplicate outstanding request id", () => {
    const host = createBlkifHost();
    sendRequest(host, 1, grantDataPages(host, 1), 7n);
    sendRequest(host, 1, grantDataPages(host, 1), 7n);
    expect(expectBlamed(host, "blkif.request_id_unique", "frontend").violation?.evidence.index).toBe(1);
  });

  it("segment grant not granted to the backend", () => {
    const host = createBlkifHost();
    sendRequest(host, 1, [999]);
    expect(expectBlamed(host, "blkif.segments_granted", "frontend").violation?.evidence.grantReference).toBe(999);
  });

  it("segment granted read-only for a read", () => {
    const host = createBlkifHost();
    sendRequest(host, 0, grantDataPages(host, 2, true));
    expectBlamed(host, "blkif.read_segments_writable", "frontend");
  });

  it("segment grant ended while the request is in flight", () => {
    const host = createBlkifHost();
    const references = grantDataPages(host, 1);
    sendRequest(host, 1, references);
    host.hypervisor.endAccess(frontendId, references[0] ?? -1);
    expectBlamed(host, "blkif.segments_kept", "frontend");
  });

  it("slot rewritten after publication (double-fetch bait), found by the policer's audit", () => {
    const host = createBlkifHost();
    const references = grantDataPages(host, 2);
    sendRequest(host, 1, references);
    host.policer.auditAll();
    expect(host.verdicts).toEqual([]);
    new DataView(host.frontendRingMemory.buffer, host.frontendRingMemory.byteOffset).setUint32(ringSlotOffset(0) + 24, 3, true);
    host.policer.auditAll();
    expectBlamed(host, "blkif.slot_unchanged", "frontend");
  });

  it("out-of-range fields: 12 segments", () => {
    const host = createBlkifHost();
    const request = encodeRequest(1, 1n, 0n, []);
    request[1] = 12;
    host.frontendRing.produceRequest(request);
    host.frontendRing.pushRequests();
    host.hypervisor.sendEvent(frontendId, host.frontendPort);
    expect(expectBlamed(host, "blkif.request_fields_in_range", "frontend").violation?.evidence.bytes?.slice(0, 4)).toBe("010c");
  });

  it("wrong state for a message: a request before Connected", () => {
    const host = createBlkifHost({ skipHandshake: true });
    sendRequest(host, 1, []);
    expectBlamed(host, "blkif.requests_when_connected", "frontend");
  });

  it("keys missing before a state: Initialised without ring-ref", () => {
    const host = createBlkifHost({ skipHandshake: true });
    host.backendStore.write(`${backendDirectory}/feature-flush-cache`, "1");
    host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.initWait));
    host.frontendStore.write(`${frontendDirectory}/state`, String(XenbusState.initialised));
    expect(expectBlamed(host, "blkif.keys_before_state", "frontend").violation?.evidence.detail).toContain("ring-ref");
  });

  it("illegal transition: Connected before the backend is ready", () => {
    const host = createBlkifHost({ skipHandshake: true });
    host.frontendStore.write(`${frontendDirectory}/state`, String(XenbusState.connected));
    expectBlamed(host, "blkif.lifecycle", "frontend");
  });

  it("event-channel flood without ring progress", () => {
    const host = createBlkifHost();
    for (let event = 0; event < 100; event += 1) host.hypervisor.sendEvent(frontendId, host.frontendPort);
    expectBlamed(host, "blkif.event_budget", "frontend");
  });

  it("xenstore quota exhaustion", () => {
    const host = createBlkifHost({ storeOptions: { quotas: { nodesPerDomain: 40 } } });
    for (let key = 0; key < 60; key += 1) host.frontendStore.write(`${frontendDirectory}/junk-${key}`, "x");
    expect(expectBlamed(host, "blkif.store_quota", "frontend").violation?.evidence.path).toMatch(/junk-/);
  });
});

describe("malicious backend", () => {
  it("response index overflow: rsp_prod past req_prod", () => {
    const host = createBlkifHost();
    issueRequest(host, 1, 1);
    writeHeaderWord(host.frontendRingMemory, 8, 3);
    host.hypervisor.sendEvent(backendId, host.backendPort);
    expectBlamed(host, "blkif.response_index", "backend");
  });

  it("response to a request never sent (unknown id)", () => {
    const host = createBlkifHost();
    issueRequest(host, 1, 1);
    publishRawResponse(host, encodeResponse(4242n, 1, 0), 0);
    expect(expectBlamed(host, "blkif.response_id_known", "backend").violation?.evidence.detail).toContain("4242");
  });

  it("duplicate response id", () => {
    const host = createBlkifHost();
    const first = issueRequest(host, 1, 1);
    issueRequest(host, 1, 1);
    publishRawResponse(host, encodeResponse(first, 1, 0), 0);
    expect(host.verdicts).toEqual([]);
    publishRawResponse(host, encodeResponse(first, 1, 0), 1);
    expectBlamed(host, "blkif.response_exactly_once", "backend");
  });

  it("responds while still mapping the segments (XSA-396)", () => {
    const host = createBlkifHost();
    issueRequest(host, 0, 2);
    serveRequests(host, { leaveMapped: true });
    expectBlamed(host, "blkif.segments_unmapped", "backend");
  });

  it("response padding not zeroed", () => {
    const host = createBlkifHost();
    const id = issueRequest(host, 1, 1);
    const response = encodeResponse(id, 1, 0);
    response[13] = 0x5a;
    publishRawResponse(host, response, 0);
    expectBlamed(host, "blkif.response_padding_zeroed", "backend");
  });

  it("deadline missed", () => {
    const host = createBlkifHost();
    issueRequest(host, 1, 1);
    host.clock.advanceBy(999);
    host.policer.auditAll();
    expect(host.verdicts).toEqual([]);
    host.clock.advanceBy(2);
    host.policer.auditAll();
    expectBlamed(host, "blkif.deadline", "backend");
  });

  it("stuck handshake: the backend never reaches InitWait", () => {
    const host = createBlkifHost({ skipHandshake: true });
    host.clock.advanceBy(1500);
    host.frontendStore.write(`${frontendDirectory}/ring-ref`, "8");
    host.clock.advanceBy(1000);
    host.policer.auditAll();
    expectBlamed(host, "blkif.handshake_deadline", "backend");
  });
});

describe("lying complainers", () => {
  it("a frontend that accuses an honest backend of an unknown response id is blamed", () => {
    const host = createBlkifHost();
    issueRequest(host, 1, 1);
    serveRequests(host);
    collectResponses(host);
    const verdict = host.policer.complain({ connection: connectionName, complainerRole: "frontend", clauseId: "blkif.response_id_known", evidence: { index: 0 } });
    expect(verdict).toMatchObject({ confirmed: false, blamed: { role: "frontend", domainId: frontendId } });
    expectBlamed(host, "blkif.response_id_known", "frontend");
    expect(host.audit.records.find((record) => record.kind === "complaint")).toMatchObject({ clause: "blkif.response_id_known", complainer: { role: "frontend" }, accused: { role: "backend" } });
  });

  it("a backend that claims an intact slot was rewritten is blamed", () => {
    const host = createBlkifHost();
    issueRequest(host, 1, 2);
    const verdict = host.policer.complain({ connection: connectionName, complainerRole: "backend", clauseId: "blkif.slot_unchanged", evidence: { index: 0 } });
    expect(verdict).toMatchObject({ confirmed: false, blamed: { role: "backend" } });
  });

  it("a complaint about a clause the accused does not own blames the complainer", () => {
    const host = createBlkifHost();
    const verdict = host.policer.complain({ connection: connectionName, complainerRole: "backend", clauseId: "blkif.deadline", evidence: null });
    expect(verdict).toMatchObject({ confirmed: false, blamed: { role: "backend" } });
  });

  it("a true complaint is confirmed by the policer's own re-check and blames the owner", () => {
    const host = createBlkifHost();
    issueRequest(host, 1, 2);
    new DataView(host.frontendRingMemory.buffer, host.frontendRingMemory.byteOffset).setUint32(ringSlotOffset(0) + 32, 5, true);
    const verdict = host.policer.complain({ connection: connectionName, complainerRole: "backend", clauseId: "blkif.slot_unchanged", evidence: { index: 0 } });
    expect(verdict).toMatchObject({ confirmed: true, blamed: { role: "frontend" } });
    expectBlamed(host, "blkif.slot_unchanged", "frontend");
  });

  it("refuses complaints it cannot consider with a stable code", () => {
    const host = createBlkifHost();
    expect(host.policer.complain({ connection: "nope", complainerRole: "frontend", clauseId: "blkif.deadline", evidence: null })).toMatchObject({ ok: false, code: "unknown-connection" });
    expect(host.policer.complain({ connection: connectionName, complainerRole: "toaster", clauseId: "blkif.deadline", evidence: null })).toMatchObject({ ok: false, code: "unknown-role" });
    expect(host.policer.complain({ connection: connectionName, complainerRole: "frontend", clauseId: "blkif.nothing", evidence: null })).toMatchObject({ ok: false, code: "unknown-clause" });
    expect(host.verdicts).toEqual([]);
  });
});

describe("silent pair", () => {
  it("both parties idle past the silence window are both blamed", () => {
    const host = createBlkifHost({ skipHandshake: true });
    host.clock.advanceBy(6000);
    host.policer.auditAll();
    expect(host.verdicts.map((verdict) => [verdict.clauseId, verdict.blamed.role]).sort()).toEqual([
      ["blkif.not_silent", "backend"],
      ["blkif.not_silent", "frontend"],
    ]);
    expect(host.audit.records.filter((record) => record.kind === "reset")).toHaveLength(2);
  });
});

describe("reset of the blamed party", () => {
  it("revokes the connection's grants, closes the channel, sets Closed, notifies the honest peer with in-flight ids", () => {
    const host = createBlkifHost();
    const id = issueRequest(host, 1, 1);
    writeHeaderWord(host.frontendRingMemory, 8, 5);
    host.hypervisor.sendEvent(backendId, host.backendPort);
    expectBlamed(host, "blkif.response_index", "backend");
    expect(host.frontendStore.readText(`${backendDirectory}/state`)).toEqual({ ok: true, value: String(XenbusState.closed) });
    expect(host.hypervisor.findDomain(backendId)?.grantMappings.size).toBe(0);
    expect(host.hypervisor.sendEvent(backendId, host.backendPort).ok).toBe(false);
    expect(host.notices).toEqual([{ connection: connectionName, honest: { role: "frontend", domainId: frontendId }, blamed: { role: "backend", domainId: backendId }, clauseId: "blkif.response_index", inFlightRequestIds: [String(id)] }]);
    expect(host.hypervisor.findDomain(frontendId)?.lifecycle).toBe("running");
    expect(host.hypervisor.findDomain(backendId)?.lifecycle).toBe("running");
    const reset = host.audit.records.find((record) => record.kind === "reset");
    expect(reset).toMatchObject({ party: { role: "backend" }, quarantined: false });
    expect(reset?.kind === "reset" ? reset.actions : []).toEqual(["unmap-connection-grants:1", "revoke-grants:0", "close-evtchn:1", "state-closed"]);
  });

  it("quarantines per policy and ends a blamed frontend's grants to the backend", () => {
    const host = createBlkifHost({ quarantine: true });
    sendRequest(host, 1, [999]);
    expectBlamed(host, "blkif.segments_granted", "frontend");
    expect(host.hypervisor.findDomain(frontendId)?.lifecycle).toBe("paused");
    expect(host.hypervisor.findDomain(frontendId)?.grantTable.countActiveEntries()).toBe(0);
    expect(host.notices[0]?.honest.role).toBe("backend");
  });

  it("the honest peer can reconnect: a fresh connection is policed again and honest traffic passes", () => {
    const host = createBlkifHost();
    issueRequest(host, 1, 1);
    publishRawResponse(host, encodeResponse(999n, 1, 0), 0);
    expectBlamed(host, "blkif.response_id_known", "backend");
    reconnect(host);
    expect(host.policer.statusOf(connectionName)).toBe("policed");
    for (let request = 0; request < 5; request += 1) issueRequest(host, 0, 2);
    expect(serveRequests(host)).toBe(5);
    expect(collectResponses(host)).toHaveLength(5);
    host.policer.auditAll();
    expect(host.verdicts).toHaveLength(1);
    publishRawResponse(host, encodeResponse(31337n, 1, 0), 5);
    expect(host.verdicts.map((verdict) => verdict.blamed.role)).toEqual(["backend", "backend"]);
  });
});
