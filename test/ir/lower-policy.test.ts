import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lowerPolicy, type PolicyDeclarationInput, type ResourceDeclarationInput } from "../../compiler/ir/lower-policy.js";
import { AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import { Broker } from "../../runtime/broker/broker.js";
import { validateResourceClass } from "../../runtime/broker/resource-class.js";
import { StoreClientBrokerStore } from "../../runtime/broker/store-client-broker-store.js";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { policyOperations } from "../../runtime/policy/policy-model.js";
import { StoreClient } from "../../runtime/store/store-client.js";
import { XenStore } from "../../runtime/store/store.js";
import { createHostPolicy } from "../support/host-policy.js";

// protocols/host-policy.proto-desc as the analyzer models it (the semantic model's shapes).
const span = { file: "protocols/host-policy.proto-desc", start: 0, end: 1 };
const hostPolicy: PolicyDeclarationInput = {
  name: "host",
  span,
  enforce: ["rbac", "types", "chinese-wall", "colours"],
  roles: [
    { name: "guest", permissions: ["vbd", "vif", "vcon"].map((resourceClass) => ({ permission: "consume" as const, resourceClass })) },
    { name: "storage-driver", permissions: [{ permission: "provide", resourceClass: "vbd" }] },
    { name: "network-driver", permissions: [{ permission: "provide", resourceClass: "vif" }] },
    { name: "console-driver", permissions: [{ permission: "provide", resourceClass: "vcon" }] },
  ],
  principals: [
    { name: "dom0", pattern: undefined, roles: ["console-driver"], types: ["system", "bank-a", "bank-b", "public"], privileged: true },
    { name: "storage-domain", pattern: undefined, roles: ["storage-driver"], types: ["storage", "bank-a", "bank-b", "public"], privileged: false },
    { name: "network-domain", pattern: undefined, roles: ["network-driver"], types: ["network", "bank-a", "bank-b", "public"], privileged: false },
    { name: "bank-a-guest", pattern: "bank-a-*", roles: ["guest"], types: ["bank-a"], privileged: false },
    { name: "bank-b-guest", pattern: "bank-b-*", roles: ["guest"], types: ["bank-b"], privileged: false },
    { name: "public-guest", pattern: "web-*", roles: ["guest"], types: ["public"], privileged: false },
  ],
  resourceLabels: ["vbd", "vif", "vcon"].map((resourceClass) => ({ resourceClass, types: ["bank-a", "bank-b", "public"] })),
  conflictSets: [{ name: "banks", types: ["bank-a", "bank-b"] }],
  colourGroups: [
    { name: "confidential", types: ["bank-a", "bank-b"] },
    { name: "open", types: ["public"] },
  ],
};
const resources: readonly ResourceDeclarationInput[] = [
  { name: "vbd", protocol: "blkif", protocolVersion: 1, providerRole: "backend", consumerRole: "frontend", paths: [{ role: "frontend", template: "device/vbd/{devid}" }, { role: "backend", template: "backend/vbd/{frontend-domid}/{devid}" }], labels: ["storage"], perDomainLimit: 16n },
  { name: "vif", protocol: "netif", protocolVersion: 1, providerRole: "backend", consumerRole: "frontend", paths: [{ role: "frontend", template: "device/vif/{devid}" }, { role: "backend", template: "backend/vif/{frontend-domid}/{devid}" }], labels: ["network"], perDomainLimit: 8n },
  { name: "vcon", protocol: "console", protocolVersion: 1, providerRole: "backend", consumerRole: "frontend", paths: [{ role: "frontend", template: "device/console/{devid}" }, { role: "backend", template: "backend/console/{frontend-domid}/{devid}" }], labels: ["console"], perDomainLimit: 1n },
];
const specHashes = new Map([["blkif", "aaaaaaaaaaaaaaaa"], ["netif", "bbbbbbbbbbbbbbbb"], ["console", "cccccccccccccccc"]]);

describe("lowering the language's policy and resource declarations", () => {
  const lowered = lowerPolicy({ specHashes, locate: (where) => ({ file: where.file, line: 43, column: 1 }) }, hostPolicy, resources);

  it("produces a policy and resource classes the runtime accepts", () => {
    expect(PolicyEngine.load(lowered.policy).problems).toEqual([]);
    for (const resourceClass of lowered.resourceClasses) expect(validateResourceClass(resourceClass).problems).toEqual([]);
    expect(lowered.resourceClasses[0]).toMatchObject({ name: "vbd", protocol: { name: "blkif", version: 1, specHash: "aaaaaaaaaaaaaaaa" }, frontendPath: "device/vbd/{devid}", backendPath: "backend/vbd/{frontend-domid}/{devid}", labels: ["vbd.resource"], limits: { perFrontendDomain: 16 } });
    expect(lowered.policy.principals[3]).toMatchObject({ name: "bank-a-guest", kind: "domain", matches: "bank-a-*", origin: { file: "protocols/host-policy.proto-desc", line: 43 } });
  });

  it("decides like the hand-lowered host policy for every principal, class and operation", () => {
    const fromLowering = PolicyEngine.fromPolicy(lowered.policy);
    const byHand = PolicyEngine.fromPolicy(createHostPolicy());
    const domains = ["dom0", "storage-domain", "network-domain", "bank-a-1", "bank-b-1", "web-1", "stranger"];
    for (const domain of domains) {
      for (const resourceClass of ["vbd", "vif", "vcon", "vtpm"]) {
        for (const operation of policyOperations) {
          const principal = fromLowering.principalForDomain(domain) ?? domain;
          expect(fromLowering.decideOperation(principal, operation, resourceClass).allowed, `${domain} ${operation} ${resourceClass}`).toBe(byHand.decideOperation(byHand.principalForDomain(domain) ?? domain, operation, resourceClass).allowed);
        }
      }
      for (const other of domains) {
        const left = [fromLowering.subjectForDomain(domain), fromLowering.subjectForDomain(other)] as const;
        const right = [byHand.subjectForDomain(domain), byHand.subjectForDomain(other)] as const;
        expect(fromLowering.decideTypeEnforcement(...left).allowed).toBe(byHand.decideTypeEnforcement(...right).allowed);
        expect(fromLowering.decideColours(...left).allowed).toBe(byHand.decideColours(...right).allowed);
      }
    }
  });

  it("connects through a broker built from the lowered classes", () => {
    const directory = mkdtempSync(join(tmpdir(), "proto-desc-lower-policy-"));
    const audit = AuditLogWriter.open(join(directory, "audit.jsonl"), { now: () => 0 });
    const store = XenStore.open();
    try {
      const engine = PolicyEngine.fromPolicy(lowered.policy);
      const broker = Broker.create({ engine, store: new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true })), audit, resourceClasses: lowered.resourceClasses }).broker!;
      const result = broker.connect({
        principal: "dom0",
        resourceClass: "vbd",
        frontendDomain: { id: 3, name: "bank-a-payroll", labels: engine.labelsForDomain("bank-a-payroll") },
        backendDomain: { id: 1, name: "storage-domain", labels: engine.labelsForDomain("storage-domain") },
        parameters: { devid: "51712" },
      });
      expect(result.outcome).toBe("connected");
      if (result.outcome === "connected") expect(result.connection.resource.labels).toEqual(["vbd", "vbd.resource"]);
    } finally {
      store.close();
      audit.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
