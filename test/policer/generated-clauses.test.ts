// The clauses the generated blkif monitor spec gained from the language's handshake deadline,
// progress window, notify rate guarantees and store quota guarantees, beyond the catalogue's
// one attack each: the numbers blkif states, blame in every handshake position, budgets that
// are separate per role, and honest runs close to every limit reporting nothing, on a real
// hypervisor, store and ring policed with monitorSpecX86_64.

import { describe, expect, it } from "vitest";
import { monitorSpecX86_64 } from "../../drivers/blk/generated/blkif.js";
import { expectOk } from "../store/store-fixture.js";
import {
  backendDirectory,
  backendFeatureKeys,
  backendId,
  collectResponses,
  createBlkifHost,
  frontendDirectory,
  frontendId,
  issueRequest,
  serveRequests,
  XenbusState,
  type BlkifHost,
} from "./blkif-host.js";

const operationFlush = 3;

/** One honest lifecycle step: publish the keys the generated transition requires, then the state. */
function moveState(host: BlkifHost, role: "frontend" | "backend", from: number, to: number): void {
  const transition = host.spec.lifecycle.transitions.find((candidate) => candidate.role === role && candidate.from === from && candidate.to === to);
  if (transition === undefined) throw new Error(`the generated lifecycle has no ${role} ${from} -> ${to}`);
  const store = role === "frontend" ? host.frontendStore : host.backendStore;
  const directory = role === "frontend" ? frontendDirectory : backendDirectory;
  const features = new Map<string, string>(backendFeatureKeys);
  for (const key of transition.requiredKeys) {
    const value = key === "event-channel" ? String(host.frontendPort) : key === "sector-size" ? "512" : key === "sectors" ? "2048" : (features.get(key) ?? "0");
    expectOk(store.write(`${directory}/${key}`, value));
  }
  // An honest frontend names its ring before it is Initialised (blkif.frontend.one_ring_naming).
  if (role === "frontend" && to === XenbusState.initialised) expectOk(store.write(`${directory}/ring-ref`, String(host.ringReference)));
  expectOk(store.write(`${directory}/state`, String(to)));
}

function listVerdicts(host: BlkifHost): [string, string][] {
  return host.verdicts.map((verdict) => [verdict.clauseId, verdict.blamed.role]);
}

const spec = monitorSpecX86_64;
const budgetOf = (role: string) => spec.eventBudgets?.find((budget) => budget.role === role);

describe("generated spec: the clauses are there, with the numbers blkif states", () => {
  it("carries one notify budget per role, the handshake deadline, the progress window and both store quota clauses", () => {
    expect(spec.eventBudgets).toEqual([
      { role: "frontend", clauseId: "blkif.frontend_event_rate", maximumEvents: 100_000, windowMilliseconds: 1000 },
      { role: "backend", clauseId: "blkif.backend_event_rate", maximumEvents: 100_000, windowMilliseconds: 1000 },
    ]);
    expect(spec.lifecycle.handshakeDeadline).toEqual({ clauseId: "blkif.handshake_in_time", milliseconds: 30_000 });
    expect(spec.rings[0]?.progress).toEqual({ clauseId: "blkif.io.progress", milliseconds: 10_000 });
    expect(spec.storeQuotaClauses).toEqual([
      { role: "frontend", clauseId: "blkif.frontend_store_quota" },
      { role: "backend", clauseId: "blkif.backend_store_quota" },
    ]);
    for (const clauseId of ["blkif.frontend_event_rate", "blkif.backend_event_rate", "blkif.handshake_in_time", "blkif.io.progress", "blkif.frontend_store_quota", "blkif.backend_store_quota"]) {
      expect(spec.clauses.find((clause) => clause.id === clauseId)?.specSpan).toMatch(/^protocols\/blkif\.proto-desc:\d+:\d+$/);
    }
  });
});

describe("per-role event budgets", () => {
  it("a frontend sending one notification past its budget within a second is blamed under its own clause", () => {
    const host = createBlkifHost();
    const limit = budgetOf("frontend")?.maximumEvents ?? 0;
    for (let event = 0; event <= limit; event += 1) host.hypervisor.sendEvent(frontendId, host.frontendPort);
    expect(listVerdicts(host)).toEqual([["blkif.frontend_event_rate", "frontend"]]);
  });

  it("a flooding backend is blamed under the backend's clause", () => {
    const host = createBlkifHost();
    const limit = budgetOf("backend")?.maximumEvents ?? 0;
    for (let event = 0; event <= limit; event += 1) host.hypervisor.sendEvent(backendId, host.backendPort);
    expect(listVerdicts(host)).toEqual([["blkif.backend_event_rate", "backend"]]);
  });

  it("both roles at their full budget in the same second, then again in the next, are not blamed (the budgets are separate)", () => {
    const host = createBlkifHost();
    for (let second = 0; second < 2; second += 1) {
      for (let event = 0; event < 100_000; event += 1) {
        host.hypervisor.sendEvent(frontendId, host.frontendPort);
        host.hypervisor.sendEvent(backendId, host.backendPort);
      }
      host.clock.advanceBy(1000);
    }
    host.policer.auditAll();
    expect(listVerdicts(host)).toEqual([]);
  });
});

describe("handshake deadline", () => {
  it("blames the frontend when the backend waits in InitWait and the frontend never initialises", () => {
    const host = createBlkifHost({ skipHandshake: true });
    moveState(host, "backend", XenbusState.initialising, XenbusState.initWait);
    host.clock.advanceBy(30_000);
    host.policer.auditAll();
    expect(listVerdicts(host)).toEqual([]);
    host.clock.advanceBy(1);
    host.policer.auditAll();
    expect(listVerdicts(host)).toEqual([["blkif.handshake_in_time", "frontend"]]);
  });

  it("blames the backend when the frontend is Initialised and the backend never connects", () => {
    const host = createBlkifHost({ skipHandshake: true });
    moveState(host, "backend", XenbusState.initialising, XenbusState.initWait);
    moveState(host, "frontend", XenbusState.initialising, XenbusState.initialised);
    host.clock.advanceBy(30_001);
    host.policer.auditAll();
    expect(listVerdicts(host)).toEqual([["blkif.handshake_in_time", "backend"]]);
  });

  it("blames both when both could move and neither did", () => {
    const host = createBlkifHost({ skipHandshake: true });
    host.clock.advanceBy(30_001);
    host.policer.auditAll();
    expect(listVerdicts(host).sort()).toEqual([
      ["blkif.handshake_in_time", "backend"],
      ["blkif.handshake_in_time", "frontend"],
    ]);
  });

  it("a slow but timely handshake is never blamed, and the deadline does not apply after Connected", () => {
    const host = createBlkifHost({ skipHandshake: true });
    moveState(host, "backend", XenbusState.initialising, XenbusState.initWait);
    host.clock.advanceBy(10_000);
    moveState(host, "frontend", XenbusState.initialising, XenbusState.initialised);
    host.clock.advanceBy(10_000);
    moveState(host, "backend", XenbusState.initWait, XenbusState.connected);
    host.clock.advanceBy(9_999);
    moveState(host, "frontend", XenbusState.initialised, XenbusState.connected);
    host.clock.advanceBy(60_000);
    host.policer.auditAll();
    expect(listVerdicts(host)).toEqual([]);
  });
});

describe("responder progress", () => {
  it("blames a backend that leaves a request unanswered past the progress window (before the answer deadline)", () => {
    const host = createBlkifHost();
    issueRequest(host, operationFlush, 0);
    host.clock.advanceBy(10_000);
    host.policer.auditAll();
    expect(listVerdicts(host)).toEqual([]);
    host.clock.advanceBy(1);
    host.policer.auditAll();
    expect(listVerdicts(host)).toEqual([["blkif.io.progress", "backend"]]);
    expect(host.verdicts[0]?.violation?.evidence.detail).toMatch(/1 request\(s\) outstanding and no response for 10001 ms/);
  });

  it("a backend answering within the window keeps a busy ring clean, and an idle ring owes nothing", () => {
    const host = createBlkifHost();
    for (let round = 0; round < 20; round += 1) {
      issueRequest(host, operationFlush, 0);
      issueRequest(host, operationFlush, 0);
      host.clock.advanceBy(9_000);
      host.policer.auditAll();
      expect(serveRequests(host)).toBe(2);
      expect(collectResponses(host)).toHaveLength(2);
    }
    host.clock.advanceBy(120_000);
    host.policer.auditAll();
    expect(listVerdicts(host)).toEqual([]);
  });
});

describe("store quota", () => {
  it("blames the frontend under its own clause when its writes exhaust its node quota", () => {
    const host = createBlkifHost({ storeOptions: { quotas: { nodesPerDomain: 40 } } });
    for (let key = 0; key < 60; key += 1) host.frontendStore.write(`${frontendDirectory}/junk-${key}`, "x");
    expect(listVerdicts(host)).toEqual([["blkif.frontend_store_quota", "frontend"]]);
    expect(host.verdicts[0]?.violation?.evidence.path).toMatch(/junk-/);
  });

  it("blames the backend under the backend's clause", () => {
    const host = createBlkifHost({ storeOptions: { quotas: { nodesPerDomain: 40 } } });
    for (let key = 0; key < 60; key += 1) host.backendStore.write(`${backendDirectory}/junk-${key}`, "x");
    expect(listVerdicts(host)).toEqual([["blkif.backend_store_quota", "backend"]]);
  });

  it("an honest connection under the same tight quota is not blamed", () => {
    const host = createBlkifHost({ storeOptions: { quotas: { nodesPerDomain: 40 } } });
    issueRequest(host, operationFlush, 0);
    serveRequests(host);
    host.policer.auditAll();
    expect(listVerdicts(host)).toEqual([]);
  });
});
