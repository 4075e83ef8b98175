// Arbitration of complaints under clauses whose blame is decided when they fire (the lifecycle
// clauses and the handshake deadline): a true complaint about the backend is confirmed and
// blames the backend, a lying one blames the complainer, on a real host policed with the
// generated blkif spec; and the pure judgement on the violations a real monitor recorded.

import { describe, expect, it } from "vitest";
import { monitorSpecX86_64 } from "../../drivers/blk/generated/blkif.js";
import { judgeComplaint } from "../../runtime/policer/index.js";
import { expectOk } from "../store/store-fixture.js";
import { backendDirectory, backendFeatureKeys, connectionName, createBlkifHost, frontendDirectory, XenbusState, type BlkifHost } from "./blkif-host.js";

const clauseOf = (id: string) => {
  const clause = monitorSpecX86_64.clauses.find((candidate) => candidate.id === id);
  if (clause === undefined) throw new Error(`the generated spec has no clause ${id}`);
  return clause;
};

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

function complain(host: BlkifHost, complainerRole: "frontend" | "backend", clauseId: string) {
  const verdict = host.policer.complain({ connection: connectionName, complainerRole, clauseId, evidence: { detail: `${complainerRole} complains under ${clauseId}` } });
  if (!("confirmed" in verdict)) throw new Error(`complaint refused: ${verdict.reason}`);
  return verdict;
}

/** The backend waits in InitWait, the frontend is Initialised: only the backend can move towards Connected. */
function stallBackend(host: BlkifHost): void {
  moveState(host, "backend", XenbusState.initialising, XenbusState.initWait);
  moveState(host, "frontend", XenbusState.initialising, XenbusState.initialised);
}

describe("the generated spec marks the clauses whose blame is decided when they fire", () => {
  it("lifecycle, keys published and the handshake deadline carry the mark; fixed-owner clauses do not", () => {
    const marked = monitorSpecX86_64.clauses.filter((clause) => clause.blameDecidedWhenFired === true).map((clause) => clause.id);
    expect(marked.sort()).toEqual(["blkif.handshake_in_time", "blkif.lifecycle", "blkif.lifecycle_keys_published"]);
  });
});

describe("a complaint about a stalled backend handshake", () => {
  it("is confirmed and blames the backend when the deadline has passed and only the backend could move", () => {
    const host = createBlkifHost({ skipHandshake: true });
    stallBackend(host);
    host.clock.advanceBy(30_001);
    const verdict = complain(host, "frontend", "blkif.handshake_in_time");
    expect({ confirmed: verdict.confirmed, blamed: verdict.blamed.role, violationBlames: verdict.violation?.blamedRole }).toEqual({ confirmed: true, blamed: "backend", violationBlames: "backend" });
    expect(verdict.reason).toContain("could move towards Connected and did not");
    expect(host.notices.map((notice) => [notice.honest.role, notice.blamed.role])).toEqual([["frontend", "backend"]]);
  });

  it("blames the complaining frontend when the deadline has not passed yet", () => {
    const host = createBlkifHost({ skipHandshake: true });
    stallBackend(host);
    host.clock.advanceBy(10_000);
    const verdict = complain(host, "frontend", "blkif.handshake_in_time");
    expect({ confirmed: verdict.confirmed, blamed: verdict.blamed.role }).toEqual({ confirmed: false, blamed: "frontend" });
    expect(verdict.reason).toContain("finds no violation by the backend");
  });

  it("blames a stalled backend that complains about the waiting frontend (the re-check blames the backend, not the accused)", () => {
    const host = createBlkifHost({ skipHandshake: true });
    stallBackend(host);
    host.clock.advanceBy(30_001);
    const verdict = complain(host, "backend", "blkif.handshake_in_time");
    expect({ confirmed: verdict.confirmed, blamed: verdict.blamed.role }).toEqual({ confirmed: false, blamed: "backend" });
    expect(verdict.reason).toContain("finds no violation by the frontend");
  });
});

describe("a complaint about a backend lifecycle move", () => {
  it("blames the complaining frontend when the backend moved honestly", () => {
    for (const clauseId of ["blkif.lifecycle", "blkif.lifecycle_keys_published"]) {
      const host = createBlkifHost();
      const verdict = complain(host, "frontend", clauseId);
      expect({ clauseId, confirmed: verdict.confirmed, blamed: verdict.blamed.role }).toEqual({ clauseId, confirmed: false, blamed: "frontend" });
      expect(verdict.reason).toContain("finds no violation by the backend");
      expect(host.notices.map((notice) => [notice.honest.role, notice.blamed.role])).toEqual([["backend", "frontend"]]);
    }
  });

  it("is confirmed against the backend by the violation a real monitor recorded for its illegal move, and never against the frontend", () => {
    const host = createBlkifHost({ skipHandshake: true });
    // Initialising -> Connected skips the handshake: no generated transition allows it.
    expectOk(host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.connected)));
    expect(host.verdicts.map((verdict) => [verdict.clauseId, verdict.blamed.role])).toEqual([["blkif.lifecycle", "backend"]]);
    const violations = host.policer.monitorOf(connectionName)?.violations ?? [];
    const againstBackend = judgeComplaint(clauseOf("blkif.lifecycle"), "backend", violations);
    expect(againstBackend.confirmed && againstBackend.violation.blamedRole).toBe("backend");
    expect(judgeComplaint(clauseOf("blkif.lifecycle"), "frontend", violations).confirmed).toBe(false);
  });

  it("a backend that enters InitWait before publishing its feature keys is confirmed under keys_published", () => {
    const host = createBlkifHost({ skipHandshake: true });
    expectOk(host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.initWait)));
    expect(host.verdicts.map((verdict) => [verdict.clauseId, verdict.blamed.role])).toEqual([["blkif.lifecycle_keys_published", "backend"]]);
    const violations = host.policer.monitorOf(connectionName)?.violations ?? [];
    const judgement = judgeComplaint(clauseOf("blkif.lifecycle_keys_published"), "backend", violations);
    expect(judgement.confirmed && judgement.violation.blamedRole).toBe("backend");
    expect(judgeComplaint(clauseOf("blkif.lifecycle_keys_published"), "frontend", violations).confirmed).toBe(false);
  });
});

describe("fixed-owner clauses keep the ownership rule", () => {
  it("a complaint naming a clause the accused does not own is a false accusation without looking at violations", () => {
    const clause = monitorSpecX86_64.clauses.find((candidate) => candidate.blameDecidedWhenFired !== true && candidate.ownerRole === "frontend");
    if (clause === undefined) throw new Error("the generated spec has no frontend-owned clause");
    const violation = { protocol: "blkif", clauseId: clause.id, specSpan: clause.specSpan, blamedRole: "backend", time: 0, evidence: { detail: "recorded against the backend" } };
    const judgement = judgeComplaint(clause, "backend", [violation]);
    expect(judgement).toEqual({ confirmed: false, reason: `false accusation: ${clause.id} is owned by the frontend, not the accused backend` });
  });
});
