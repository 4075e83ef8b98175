// The engine's shared fallback audits the generated blkif spec does not use (see
// engine-audit-spec.ts): an event flood by either role, xenstore quota exhaustion, a silent pair
// and a stalled handshake, each on the generated ring and lifecycle, each blaming the right role.

import { describe, expect, it } from "vitest";
import { monitorSpecX86_64 } from "../../drivers/blk/generated/blkif.js";
import { addEngineAudits, engineAuditClauseIds, engineAuditSettings } from "./engine-audit-spec.js";
import { backendDirectory, backendFeatureKeys, backendId, connectionName, createBlkifHost, frontendDirectory, frontendId, XenbusState, type BlkifHost, type BlkifHostOptions } from "./blkif-host.js";

const spec = addEngineAudits(monitorSpecX86_64);

function createAuditedHost(options: BlkifHostOptions = {}): BlkifHost {
  return createBlkifHost({ ...options, spec });
}

function verdictSummary(host: BlkifHost): string[] {
  return host.verdicts.map((verdict) => `${verdict.clauseId} -> ${verdict.blamed.role}`).sort();
}

describe("engine audits on the generated blkif spec", () => {
  it("an event flood without ring progress blames the frontend that sends it", () => {
    const host = createAuditedHost();
    for (let event = 0; event <= engineAuditSettings.eventFlood.maximumEvents; event += 1) host.hypervisor.sendEvent(frontendId, host.frontendPort);
    expect(verdictSummary(host)).toEqual([`${engineAuditClauseIds.eventFlood} -> frontend`]);
  });

  it("an event flood without ring progress blames the backend that sends it", () => {
    const host = createAuditedHost();
    for (let event = 0; event <= engineAuditSettings.eventFlood.maximumEvents; event += 1) host.hypervisor.sendEvent(backendId, host.backendPort);
    expect(verdictSummary(host)).toEqual([`${engineAuditClauseIds.eventFlood} -> backend`]);
    expect(host.policer.statusOf(connectionName)).toBe("reset");
  });

  it("the budget is not a flood: as many events as it allows pass", () => {
    const host = createAuditedHost();
    for (let event = 0; event < engineAuditSettings.eventFlood.maximumEvents; event += 1) host.hypervisor.sendEvent(frontendId, host.frontendPort);
    expect(host.verdicts).toEqual([]);
  });

  it("xenstore quota exhaustion blames the party that exhausts it", () => {
    const host = createAuditedHost({ storeOptions: { quotas: { nodesPerDomain: 40 } } });
    for (let key = 0; key < 60; key += 1) host.frontendStore.write(`${frontendDirectory}/junk-${key}`, "x");
    expect(verdictSummary(host)).toEqual([`${engineAuditClauseIds.storeQuota} -> frontend`]);
    expect(host.verdicts[0]?.violation?.evidence.path).toMatch(/junk-/);
  });

  it("a silent pair is blamed together and both are reset", () => {
    const host = createAuditedHost({ skipHandshake: true });
    host.clock.advanceBy(engineAuditSettings.silenceMilliseconds + 1000);
    host.policer.auditAll();
    expect(verdictSummary(host)).toEqual([`${engineAuditClauseIds.silence} -> backend`, `${engineAuditClauseIds.silence} -> frontend`]);
    expect(host.audit.records.filter((record) => record.kind === "reset")).toHaveLength(2);
  });

  it("a stalled handshake blames the frontend that never goes Initialised", () => {
    const host = createAuditedHost({ skipHandshake: true });
    for (const [key, value] of backendFeatureKeys) host.backendStore.write(`${backendDirectory}/${key}`, value);
    host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.initWait));
    host.clock.advanceBy(engineAuditSettings.handshakeDeadlineMilliseconds / 2);
    host.backendStore.write(`${backendDirectory}/info`, "0");
    host.clock.advanceBy(engineAuditSettings.handshakeDeadlineMilliseconds / 2 + 1);
    host.policer.auditAll();
    expect(verdictSummary(host)).toEqual([`${engineAuditClauseIds.handshakeDeadline} -> frontend`]);
  });
});
