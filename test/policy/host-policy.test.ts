import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import { Broker } from "../../runtime/broker/broker.js";
import { StoreClientBrokerStore } from "../../runtime/broker/store-client-broker-store.js";
import { Hypervisor } from "../../runtime/hypervisor/index.js";
import { DomainStartGate } from "../../runtime/policy/domain-start-gate.js";
import { PolicyEnforcingHypervisorHooks } from "../../runtime/policy/hypervisor-policy-hooks.js";
import { readCompiledPolicyFile } from "../../runtime/policy/policy-file.js";
import type { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { StoreClient } from "../../runtime/store/store-client.js";
import { XenStore } from "../../runtime/store/store.js";
import { createHostPolicy } from "../support/host-policy.js";

let directory: string;
let engine: PolicyEngine;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "proto-desc-host-policy-"));
  const path = join(directory, "host-policy.json");
  writeFileSync(path, JSON.stringify(createHostPolicy()));
  const loaded = readCompiledPolicyFile(path);
  if (loaded.engine === undefined) throw new Error(loaded.problems.map((problem) => problem.message).join("; "));
  engine = loaded.engine;
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const vbd = {
  name: "vbd",
  protocol: { name: "blkif", version: 1, specHash: "00112233445566778899aabbccddeeff" },
  providerRole: "backend",
  consumerRole: "frontend",
  frontendPath: "device/vbd/{devid}",
  backendPath: "backend/vbd/{frontend-domid}/{devid}",
  labels: [],
  limits: { perFrontendDomain: 16 },
  frontendParameterKeys: [],
  backendParameterKeys: [],
};

describe("the bundled host policy (protocols/host-policy.proto-desc), lowered", () => {
  it("starts the driver domains and one bank's guests, and walls off the other bank", () => {
    const audit = AuditLogWriter.open(join(directory, "start.jsonl"), { now: () => 0 });
    const hypervisor = new Hypervisor({ policyHooks: new PolicyEnforcingHypervisorHooks(engine, audit) });
    const gate = new DomainStartGate(engine, audit, hypervisor);
    expect(gate.startDomain("dom0", { id: 0, privileged: true }).started).toBe(true);
    expect(gate.startDomain("storage-domain", { id: 1 }).started).toBe(true);
    expect(gate.startDomain("network-domain", { id: 2 }).started).toBe(true);
    const bankA = gate.startDomain("bank-a-payroll", { id: 3 });
    expect(bankA.started).toBe(true);
    expect(gate.startDomain("bank-a-ledger", { id: 4 }).started).toBe(true);
    expect(gate.startDomain("web-shop", { id: 5 }).started).toBe(true);
    expect(gate.startDomain("bank-b-trading", { id: 6 })).toMatchObject({ started: false, decision: { rule: "chinese-wall:conflict-set/banks" } });
    gate.destroyDomain(3);
    gate.destroyDomain(4);
    expect(gate.startDomain("bank-b-trading", { id: 6 }).started).toBe(true);
    audit.close();
  });

  it("lets guests consume what drivers provide and keeps tenants' grants apart", () => {
    const audit = AuditLogWriter.open(join(directory, "hooks.jsonl"), { now: () => 0 });
    const hypervisor = new Hypervisor({ policyHooks: new PolicyEnforcingHypervisorHooks(engine, audit) });
    const storage = hypervisor.createDomain({ id: 1, labels: engine.labelsForDomain("storage-domain") });
    const bankA = hypervisor.createDomain({ id: 3, labels: engine.labelsForDomain("bank-a-payroll") });
    const web = hypervisor.createDomain({ id: 5, labels: engine.labelsForDomain("web-shop") });
    const frame = hypervisor.allocatePages(bankA.id) ?? 0;
    const toStorage = hypervisor.grantAccess(bankA.id, storage.id, frame, false);
    const toWeb = hypervisor.grantAccess(bankA.id, web.id, frame, true);
    if (!toStorage.ok || !toWeb.ok) throw new Error("grant failed");
    expect(hypervisor.mapGrant(storage.id, bankA.id, toStorage.reference, true).ok).toBe(true);
    expect(hypervisor.mapGrant(web.id, bankA.id, toWeb.reference, false).ok).toBe(false);
    audit.close();
  });

  it("connects a bank guest's disk through the storage domain and refuses a driver-less path", () => {
    const audit = AuditLogWriter.open(join(directory, "broker.jsonl"), { now: () => 0 });
    const store = XenStore.open();
    const broker = Broker.create({ engine, store: new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true })), audit, resourceClasses: [vbd] }).broker!;
    const storage = { id: 1, name: "storage-domain", labels: engine.labelsForDomain("storage-domain") };
    const bankA = { id: 3, name: "bank-a-payroll", labels: engine.labelsForDomain("bank-a-payroll") };
    const web = { id: 5, name: "web-shop", labels: engine.labelsForDomain("web-shop") };
    expect(broker.connect({ principal: "dom0", resourceClass: "vbd", frontendDomain: bankA, backendDomain: storage, parameters: { devid: "51712" } }).outcome).toBe("connected");
    expect(broker.connect({ principal: "dom0", resourceClass: "vbd", frontendDomain: web, backendDomain: storage, parameters: { devid: "51712" } }).outcome).toBe("connected");
    // A guest may not act as the backend of another guest's disk.
    expect(broker.connect({ principal: "dom0", resourceClass: "vbd", frontendDomain: web, backendDomain: bankA, parameters: { devid: "51728" } })).toMatchObject({ outcome: "denied", decision: { rule: "default-deny:no-permission/vbd/provide" } });
    // Only the privileged dom0 principal may ask for connections.
    expect(broker.connect({ principal: "bank-a-guest", resourceClass: "vbd", frontendDomain: bankA, backendDomain: storage, parameters: { devid: "2" } })).toMatchObject({ outcome: "denied", decision: { ruleKind: "default-deny" } });
    store.close();
    audit.close();
  });
});

describe("reading a compiled policy file", () => {
  it("reports an unreadable file and bad JSON as PDP100 problems", () => {
    expect(readCompiledPolicyFile(join(directory, "missing.json")).problems).toMatchObject([{ code: "PDP100", message: expect.stringContaining("ENOENT") }]);
    const bad = join(directory, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(readCompiledPolicyFile(bad).problems).toMatchObject([{ code: "PDP100", message: expect.stringContaining("is not JSON") }]);
  });
});
