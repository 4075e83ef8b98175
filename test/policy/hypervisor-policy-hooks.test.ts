import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAuditLog } from "../../runtime/audit/audit-log-reader.js";
import { AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import type { AuditDecisionRecord } from "../../runtime/audit/audit-record.js";
import { GrantStatus, Hypervisor, policyAllowed } from "../../runtime/hypervisor/index.js";
import { DomainStartGate } from "../../runtime/policy/domain-start-gate.js";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { PolicyEnforcingHypervisorHooks } from "../../runtime/policy/hypervisor-policy-hooks.js";
import { createSamplePolicy } from "../support/sample-policy.js";

let directory: string;
let auditPath: string;
let audit: AuditLogWriter;
const engine = PolicyEngine.fromPolicy(createSamplePolicy());

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "proto-desc-hooks-"));
  auditPath = join(directory, "audit.jsonl");
  audit = AuditLogWriter.open(auditPath, { now: () => 0 });
});
afterEach(() => {
  audit.close();
  rmSync(directory, { recursive: true, force: true });
});

function decisions(): AuditDecisionRecord[] {
  return readAuditLog(auditPath).records.filter((record): record is AuditDecisionRecord => record.kind === "decision");
}

function createHost(options: { readonly auditAllowed?: "every" | "first-per-pair" } = {}) {
  const hooks = new PolicyEnforcingHypervisorHooks(engine, audit, options);
  const hypervisor = new Hypervisor({ policyHooks: hooks });
  const guest = hypervisor.createDomain({ id: 1, labels: ["guest_a"] });
  const driver = hypervisor.createDomain({ id: 2, labels: ["storage_driver"] });
  const sandbox = hypervisor.createDomain({ id: 3, labels: ["isolated"] });
  return { hypervisor, hooks, guest, driver, sandbox };
}

function grantOnePage(hypervisor: Hypervisor, granter: number, grantee: number, readonly = false): number {
  const frame = hypervisor.allocatePages(granter);
  if (frame === undefined) throw new Error("no frame");
  const granted = hypervisor.grantAccess(granter, grantee, frame, readonly);
  if (!granted.ok) throw new Error(granted.reason);
  return granted.reference;
}

describe("type enforcement at the hypervisor hooks", () => {
  it("lets domains that share a type map each other's grants, and audits the allow", () => {
    const { hypervisor } = createHost();
    const reference = grantOnePage(hypervisor, 1, 2);
    const mapped = hypervisor.mapGrant(2, 1, reference, true);
    expect(mapped.ok).toBe(true);
    expect(decisions()).toContainEqual(expect.objectContaining({ operation: "grant-map", allowed: true, rule: "type-enforcement:shared-type/blk", subjects: ["domain 2", "domain 1"] }));
  });

  it("refuses a grant map between disjoint domains with permission_denied and audits the denial", () => {
    const { hypervisor } = createHost();
    const reference = grantOnePage(hypervisor, 1, 3);
    const mapped = hypervisor.mapGrant(3, 1, reference, false);
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.status).toBe(GrantStatus.permissionDenied);
    expect(mapped.reason).toContain("type-enforcement:disjoint-types");
    expect(decisions()).toContainEqual(expect.objectContaining({ operation: "grant-map", allowed: false, ruleKind: "type-enforcement" }));
  });

  it("refuses event-channel creation and binding across disjoint types", () => {
    const { hypervisor } = createHost();
    const created = hypervisor.allocateUnboundPort(3, 2);
    expect(created.ok).toBe(false);
    if (!created.ok) expect(created.error).toBe("EACCES");
    const allowed = hypervisor.allocateUnboundPort(1, 2);
    expect(allowed.ok).toBe(true);
    if (!allowed.ok) return;
    const bound = hypervisor.bindInterdomain(2, 1, allowed.port);
    expect(bound.ok).toBe(true);
    const operations = decisions().map((record) => [record.operation, record.allowed]);
    // Binding also settles send permission in both directions, each audited once.
    expect(operations).toEqual([["evtchn-create", false], ["evtchn-create", true], ["evtchn-bind", true], ["evtchn-send", true], ["evtchn-send", true]]);
  });

  it("refuses a bind by a domain that the creator reserved the port for but does not share a type with", () => {
    const hooks = new PolicyEnforcingHypervisorHooks(engine, audit);
    const hypervisor = new Hypervisor();
    hypervisor.createDomain({ id: 1, labels: ["guest_a"] });
    hypervisor.createDomain({ id: 3, labels: ["isolated"] });
    // The port is created before the policy is installed, as on a host whose policy is loaded late.
    const port = hypervisor.allocateUnboundPort(1, 3);
    if (!port.ok) throw new Error(port.reason);
    hypervisor.setPolicyHooks(hooks);
    const bound = hypervisor.bindInterdomain(3, 1, port.port);
    expect(bound.ok).toBe(false);
    if (!bound.ok) expect(bound.error).toBe("EACCES");
  });

  it("checks both foreign owners of a grant copy", () => {
    const { hypervisor } = createHost();
    const fromGuest = grantOnePage(hypervisor, 1, 2);
    const driverFrame = hypervisor.allocatePages(2) ?? -1;
    const allowedCopy = hypervisor.copyGrant(2, { kind: "grant", domain: 1, reference: fromGuest, offset: 0 }, { kind: "local", frame: driverFrame, offset: 0 }, 512);
    expect(allowedCopy.ok).toBe(true);
    const sandboxFrame = hypervisor.allocatePages(3) ?? -1;
    const fromGuestToSandbox = grantOnePage(hypervisor, 1, 3);
    const deniedCopy = hypervisor.copyGrant(3, { kind: "grant", domain: 1, reference: fromGuestToSandbox, offset: 0 }, { kind: "local", frame: sandboxFrame, offset: 0 }, 512);
    expect(deniedCopy.ok).toBe(false);
    if (!deniedCopy.ok) expect(deniedCopy.status).toBe(GrantStatus.permissionDenied);
  });

  it("audits every allow by default but only the first per pair when asked", () => {
    const { hypervisor } = createHost({ auditAllowed: "first-per-pair" });
    for (let index = 0; index < 3; index++) {
      const reference = grantOnePage(hypervisor, 1, 2);
      expect(hypervisor.mapGrant(2, 1, reference, true).ok).toBe(true);
    }
    expect(decisions().filter((record) => record.operation === "grant-map")).toHaveLength(1);
  });

  it("checks sends and audits only the first allowed send per pair", () => {
    const { hypervisor } = createHost();
    const port = hypervisor.allocateUnboundPort(1, 2);
    if (!port.ok) throw new Error(port.reason);
    const bound = hypervisor.bindInterdomain(2, 1, port.port);
    if (!bound.ok) throw new Error(bound.reason);
    for (let index = 0; index < 5; index++) expect(hypervisor.sendEvent(2, bound.port).ok).toBe(true);
    expect(decisions().filter((record) => record.operation === "evtchn-send")).toHaveLength(2);
  });

  it("answers repeated allowed checks with the hypervisor's one shared allow value", () => {
    const { hooks, guest, driver } = createHost({ auditAllowed: "first-per-pair" });
    const first = hooks.checkGrantMap({ mapper: driver, granter: guest, grantReference: 8, writable: true });
    expect(first).toBe(policyAllowed);
    expect(hooks.checkEventChannelSend({ sender: driver, receiver: guest, port: 1 })).toBe(policyAllowed);
    expect(engine.decideTypeEnforcement(hooks.subjectOf(driver), hooks.subjectOf(guest))).toBe(engine.decideTypeEnforcement(hooks.subjectOf(driver), hooks.subjectOf(guest)));
  });

  it("recomputes a domain's subject when a domain id is reused with other labels", () => {
    const { hypervisor, hooks } = createHost();
    const first = hooks.subjectOf(hypervisor.findDomain(3)!);
    hypervisor.destroyDomain(3);
    const reused = hypervisor.createDomain({ id: 3, labels: ["guest_b"] });
    expect(hooks.subjectOf(reused)).not.toBe(first);
    const reference = grantOnePage(hypervisor, 1, 3);
    expect(hypervisor.mapGrant(3, 1, reference, false).ok).toBe(true);
  });
});

describe("Chinese wall at domain start", () => {
  it("starts domains with their policy labels and refuses a conflicting one until the holder is destroyed", () => {
    const hypervisor = new Hypervisor({ policyHooks: new PolicyEnforcingHypervisorHooks(engine, audit) });
    const gate = new DomainStartGate(engine, audit, hypervisor);
    const guestA = gate.startDomain("guest-a", { id: 5 });
    expect(guestA.started).toBe(true);
    if (!guestA.started) return;
    expect(guestA.domain.labels).toEqual(["guest_a"]);
    const guestB = gate.startDomain("guest-b", { id: 6 });
    expect(guestB).toMatchObject({ started: false, decision: { rule: "chinese-wall:conflict-set/banks" } });
    expect(hypervisor.findDomain(6)).toBeUndefined();
    gate.destroyDomain(5);
    expect(gate.startDomain("guest-b", { id: 6 }).started).toBe(true);
    expect(decisions().filter((record) => record.operation === "domain-start").map((record) => record.allowed)).toEqual([true, false, true]);
  });
});
