// The clauses the generated blkif monitor spec gained from the language's handshake deadline,
// progress window, notify rate guarantees and store quota guarantees: each broken by one side on
// a real hypervisor, store and ring policed with monitorSpecX86_64 (clause id and blamed role
// asserted), and honest runs close to every limit reporting nothing.

import { describe, expect, it } from "vitest";
import {
  answerRequests,
  connectGeneratedBlkif,
  consumeResponses,
  generatedBackendDirectory,
  generatedBackendId,
  generatedFrontendDirectory,
  generatedFrontendId,
  listVerdicts,
  moveState,
  sendFlushRequest,
} from "./generated-blkif-connection.js";

const spec = (() => connectGeneratedBlkif({ skipHandshake: true }).spec)();
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
    const connection = connectGeneratedBlkif();
    const limit = budgetOf("frontend")?.maximumEvents ?? 0;
    for (let event = 0; event <= limit; event += 1) connection.hypervisor.sendEvent(generatedFrontendId, connection.frontendPort);
    expect(listVerdicts(connection)).toEqual([["blkif.frontend_event_rate", "frontend"]]);
  });

  it("a flooding backend is blamed under the backend's clause", () => {
    const connection = connectGeneratedBlkif();
    const limit = budgetOf("backend")?.maximumEvents ?? 0;
    for (let event = 0; event <= limit; event += 1) connection.hypervisor.sendEvent(generatedBackendId, connection.backendPort);
    expect(listVerdicts(connection)).toEqual([["blkif.backend_event_rate", "backend"]]);
  });

  it("both roles at their full budget in the same second, then again in the next, are not blamed (the budgets are separate)", () => {
    const connection = connectGeneratedBlkif();
    for (let second = 0; second < 2; second += 1) {
      for (let event = 0; event < 100_000; event += 1) {
        connection.hypervisor.sendEvent(generatedFrontendId, connection.frontendPort);
        connection.hypervisor.sendEvent(generatedBackendId, connection.backendPort);
      }
      connection.clock.advanceBy(1000);
    }
    connection.policer.auditAll();
    expect(listVerdicts(connection)).toEqual([]);
  });
});

describe("handshake deadline", () => {
  it("blames the frontend when the backend waits in InitWait and the frontend never initialises", () => {
    const connection = connectGeneratedBlkif({ skipHandshake: true });
    moveState(connection, "backend", 1, 2);
    connection.clock.advanceBy(30_000);
    connection.policer.auditAll();
    expect(listVerdicts(connection)).toEqual([]);
    connection.clock.advanceBy(1);
    connection.policer.auditAll();
    expect(listVerdicts(connection)).toEqual([["blkif.handshake_in_time", "frontend"]]);
  });

  it("blames the backend when the frontend is Initialised and the backend never connects", () => {
    const connection = connectGeneratedBlkif({ skipHandshake: true });
    moveState(connection, "backend", 1, 2);
    moveState(connection, "frontend", 1, 3);
    connection.clock.advanceBy(30_001);
    connection.policer.auditAll();
    expect(listVerdicts(connection)).toEqual([["blkif.handshake_in_time", "backend"]]);
  });

  it("blames both when both could move and neither did", () => {
    const connection = connectGeneratedBlkif({ skipHandshake: true });
    connection.clock.advanceBy(30_001);
    connection.policer.auditAll();
    expect(listVerdicts(connection).sort()).toEqual([
      ["blkif.handshake_in_time", "backend"],
      ["blkif.handshake_in_time", "frontend"],
    ]);
  });

  it("a slow but timely handshake is never blamed, and the deadline does not apply after Connected", () => {
    const connection = connectGeneratedBlkif({ skipHandshake: true });
    moveState(connection, "backend", 1, 2);
    connection.clock.advanceBy(10_000);
    moveState(connection, "frontend", 1, 3);
    connection.clock.advanceBy(10_000);
    moveState(connection, "backend", 2, 4);
    connection.clock.advanceBy(9_999);
    moveState(connection, "frontend", 3, 4);
    connection.clock.advanceBy(60_000);
    connection.policer.auditAll();
    expect(listVerdicts(connection)).toEqual([]);
  });
});

describe("responder progress", () => {
  it("blames a backend that leaves a request unanswered past the progress window (before the answer deadline)", () => {
    const connection = connectGeneratedBlkif();
    sendFlushRequest(connection);
    connection.clock.advanceBy(10_000);
    connection.policer.auditAll();
    expect(listVerdicts(connection)).toEqual([]);
    connection.clock.advanceBy(1);
    connection.policer.auditAll();
    expect(listVerdicts(connection)).toEqual([["blkif.io.progress", "backend"]]);
    expect(connection.verdicts[0]?.violation?.evidence.detail).toMatch(/1 request\(s\) outstanding and no response for 10001 ms/);
  });

  it("a backend answering within the window keeps a busy ring clean, and an idle ring owes nothing", () => {
    const connection = connectGeneratedBlkif();
    for (let round = 0; round < 20; round += 1) {
      sendFlushRequest(connection);
      sendFlushRequest(connection);
      connection.clock.advanceBy(9_000);
      connection.policer.auditAll();
      expect(answerRequests(connection)).toBe(2);
      expect(consumeResponses(connection)).toBe(2);
    }
    connection.clock.advanceBy(120_000);
    connection.policer.auditAll();
    expect(listVerdicts(connection)).toEqual([]);
  });
});

describe("store quota", () => {
  it("blames the frontend under its own clause when its writes exhaust its node quota", () => {
    const connection = connectGeneratedBlkif({ storeOptions: { quotas: { nodesPerDomain: 40 } } });
    for (let key = 0; key < 60; key += 1) connection.frontendStore.write(`${generatedFrontendDirectory}/junk-${key}`, "x");
    expect(listVerdicts(connection)).toEqual([["blkif.frontend_store_quota", "frontend"]]);
    expect(connection.verdicts[0]?.violation?.evidence.path).toMatch(/junk-/);
  });

  it("blames the backend under the backend's clause", () => {
    const connection = connectGeneratedBlkif({ storeOptions: { quotas: { nodesPerDomain: 40 } } });
    for (let key = 0; key < 60; key += 1) connection.backendStore.write(`${generatedBackendDirectory}/junk-${key}`, "x");
    expect(listVerdicts(connection)).toEqual([["blkif.backend_store_quota", "backend"]]);
  });

  it("an honest connection under the same tight quota is not blamed", () => {
    const connection = connectGeneratedBlkif({ storeOptions: { quotas: { nodesPerDomain: 40 } } });
    sendFlushRequest(connection);
    answerRequests(connection);
    connection.policer.auditAll();
    expect(listVerdicts(connection)).toEqual([]);
  });
});
