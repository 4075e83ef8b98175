import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import { Broker } from "../../runtime/broker/broker.js";
import { StoreClientBrokerStore } from "../../runtime/broker/store-client-broker-store.js";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { StoreClient } from "../../runtime/store/store-client.js";
import { XenStore } from "../../runtime/store/store.js";
import { createSamplePolicy } from "../support/sample-policy.js";
import { virtualBlockDeviceClass, virtualNetworkInterfaceClass } from "../support/sample-resource-classes.js";

const engine = PolicyEngine.fromPolicy(createSamplePolicy());
const guestA = { id: 1, name: "guest-a", labels: ["guest_a"] };
const driver = { id: 2, name: "driver", labels: ["storage_driver"] };
const domain0 = { id: 0, name: "Domain-0", labels: ["dom0"] };

let directory: string;
let audit: AuditLogWriter;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "proto-desc-broker-recovery-"));
  audit = AuditLogWriter.open(join(directory, "audit.jsonl"), { now: () => 0 });
});
afterEach(() => {
  audit.close();
  rmSync(directory, { recursive: true, force: true });
});

function createBroker(store: XenStore, classes: readonly unknown[] = [virtualBlockDeviceClass, virtualNetworkInterfaceClass]): Broker {
  const created = Broker.create({ engine, store: new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true })), audit, resourceClasses: classes });
  if (created.broker === undefined) throw new Error("bad classes");
  return created.broker;
}

function connect(broker: Broker, devid: string, resourceClass = "vbd") {
  const result = broker.connect({ principal: "xl", resourceClass, frontendDomain: guestA, backendDomain: resourceClass === "vbd" ? driver : domain0, parameters: { devid }, resourceLabels: resourceClass === "vbd" ? ["disk_plain"] : [] });
  if (result.outcome !== "connected") throw new Error(JSON.stringify(result));
  return result.connection;
}

describe("broker recovery after a restart", () => {
  it("rebuilds the live connections from the store's journal, so limits and disconnect keep working", () => {
    const journalDirectory = join(directory, "store");
    const firstStore = XenStore.open({ journalDirectory });
    const first = createBroker(firstStore);
    const disk = connect(first, "51712");
    connect(first, "51728");
    connect(first, "0", "vif");
    firstStore.close();

    const secondStore = XenStore.open({ journalDirectory });
    const second = createBroker(secondStore);
    const seen: string[] = [];
    second.addObserver({ connected: (connection) => seen.push(connection.key), disconnecting: () => undefined });
    const { recovered, problems } = second.recoverConnections();
    expect(problems).toEqual([]);
    expect(recovered.map((connection) => connection.key).sort()).toEqual(["vbd/1/51712", "vbd/1/51728", "vif/1/0"]);
    expect(seen.sort()).toEqual(["vbd/1/51712", "vbd/1/51728", "vif/1/0"]);
    const recoveredDisk = recovered.find((connection) => connection.key === "vbd/1/51712");
    expect(recoveredDisk).toMatchObject({
      frontendDirectory: disk.frontendDirectory,
      backendDirectory: disk.backendDirectory,
      descriptionDirectory: disk.descriptionDirectory,
      protocol: disk.protocol,
      backendDomainId: 2,
    });
    expect(recoveredDisk?.resource.labels).toEqual(["disk_plain"]);
    // The per-frontend limit of 2 vbds still holds after the restart.
    expect(second.connect({ principal: "xl", resourceClass: "vbd", frontendDomain: guestA, backendDomain: driver, parameters: { devid: "3" } })).toMatchObject({ outcome: "denied", decision: { ruleKind: "domain-limit" } });
    expect(second.disconnect({ principal: "xl", resourceClass: "vbd", frontendDomainId: 1, id: "51712" }).outcome).toBe("disconnected");
    expect(second.recoverConnections().recovered).toEqual([]);
    secondStore.close();
  });

  it("keeps the description an instance was created with, even if the loaded spec changed since", () => {
    const store = XenStore.open();
    connect(createBroker(store), "7");
    const updated = { ...virtualBlockDeviceClass, protocol: { ...virtualBlockDeviceClass.protocol, version: 2, specHash: "99999999" } };
    const { recovered } = createBroker(store, [updated]).recoverConnections();
    expect(recovered[0]?.protocol).toEqual(virtualBlockDeviceClass.protocol);
    store.close();
  });

  it("does not trust keys the backend can rewrite, and reports instances whose description is broken", () => {
    const store = XenStore.open();
    const disk = connect(createBroker(store), "7");
    const backend = new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 2, privileged: false }));
    // A hostile backend points its keys at another frontend; recovery ignores them.
    backend.write(`${disk.backendDirectory}/frontend-id`, "9");
    backend.write(`${disk.backendDirectory}/frontend`, "/local/domain/9/device/vbd/7");
    const { recovered } = createBroker(store).recoverConnections();
    expect(recovered.map((connection) => [connection.frontendDomainId, connection.frontendDirectory])).toEqual([[1, disk.frontendDirectory]]);
    // Only the broker (privileged) can damage the description; recovery then reports it.
    const privileged = new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true }));
    privileged.write(`${disk.descriptionDirectory}/devid`, "8");
    const broken = createBroker(store).recoverConnections();
    expect(broken.recovered).toEqual([]);
    expect(broken.problems).toMatchObject([{ code: "PDB120", path: disk.backendDirectory }]);
    store.close();
  });

  it("ignores directories of other classes and stray nodes", () => {
    const store = XenStore.open();
    const privileged = new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true }));
    privileged.write("/local/domain/2/backend/vbd/1/51712/params", "/made/by/hand");
    privileged.write("/local/domain/2/backend/vbd/not-a-domid/1/state", "1");
    privileged.write("/local/domain/tools/backend/vbd/1/1/state", "1");
    expect(createBroker(store).recoverConnections()).toEqual({ recovered: [], problems: [] });
    store.close();
  });
});
