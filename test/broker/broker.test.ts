import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAuditLog } from "../../runtime/audit/audit-log-reader.js";
import { AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import type { AuditDecisionRecord } from "../../runtime/audit/audit-record.js";
import { Broker, type BrokeredConnection, type ConnectRequest } from "../../runtime/broker/broker.js";
import { BrokerStoreError, type BrokerStore, type BrokerStoreOperations } from "../../runtime/broker/broker-store.js";
import { StoreClientBrokerStore } from "../../runtime/broker/store-client-broker-store.js";
import { StoreClient } from "../../runtime/store/store-client.js";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { XenStore } from "../../runtime/store/store.js";
import { createSamplePolicy } from "../support/sample-policy.js";
import { virtualBlockDeviceClass, virtualNetworkInterfaceClass } from "../support/sample-resource-classes.js";

const engine = PolicyEngine.fromPolicy(createSamplePolicy());
const guestA = { id: 1, name: "guest-a", labels: ["guest_a"] };
const driver = { id: 2, name: "driver", labels: ["storage_driver"] };
const sandbox = { id: 3, name: "sandbox", labels: ["isolated"] };
const guestB = { id: 4, name: "guest-b", labels: ["guest_b"] };
const web = { id: 5, name: "web-1", labels: ["web"] };

let directory: string;
let auditPath: string;
let audit: AuditLogWriter;
let store: XenStore;
let broker: Broker;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "proto-desc-broker-"));
  auditPath = join(directory, "audit.jsonl");
  audit = AuditLogWriter.open(auditPath, { now: () => 42 });
  store = XenStore.open();
  const created = Broker.create({ engine, store: new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true })), audit, resourceClasses: [virtualBlockDeviceClass, virtualNetworkInterfaceClass] });
  if (created.broker === undefined) throw new Error(created.problems.map((problem) => problem.message).join("; "));
  broker = created.broker;
});
afterEach(() => {
  store.close();
  audit.close();
  rmSync(directory, { recursive: true, force: true });
});

/** The store as seen by an unprivileged domain, through the real permission checks. */
function storeAs(domainId: number): StoreClientBrokerStore {
  return new StoreClientBrokerStore(StoreClient.connect(store, { domainId, privileged: false }));
}

/** The operations of a store as plain functions, so a test can replace one of them. */
function bindOperations(operations: BrokerStoreOperations): BrokerStoreOperations {
  return {
    read: (path) => operations.read(path),
    write: (path, value) => operations.write(path, value),
    mkdir: (path) => operations.mkdir(path),
    remove: (path) => operations.remove(path),
    directory: (path) => operations.directory(path),
    getPermissions: (path) => operations.getPermissions(path),
    setPermissions: (path, permissions) => operations.setPermissions(path, permissions),
  };
}

function connectDisk(overrides: Partial<ConnectRequest> = {}): ReturnType<Broker["connect"]> {
  return broker.connect({
    principal: "xl",
    resourceClass: "vbd",
    frontendDomain: guestA,
    backendDomain: driver,
    parameters: { devid: "51712", "virtual-device": "xvda", params: "/images/a.img", mode: "w" },
    ...overrides,
  });
}

function expectConnected(result: ReturnType<Broker["connect"]>): BrokeredConnection {
  if (result.outcome !== "connected") throw new Error(`expected a connection, got ${JSON.stringify(result)}`);
  return result.connection;
}

function decisions(): AuditDecisionRecord[] {
  return readAuditLog(auditPath).records.filter((record): record is AuditDecisionRecord => record.kind === "decision");
}

describe("broker connect: store layout", () => {
  it("creates both directories with Xen's toolstack permissions, state 1 and the cross references", () => {
    const connection = expectConnected(connectDisk());
    expect(connection.frontendDirectory).toBe("/local/domain/1/device/vbd/51712");
    expect(connection.backendDirectory).toBe("/local/domain/2/backend/vbd/1/51712");
    const privileged = new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true }));
    expect(privileged.getPermissions(connection.frontendDirectory)).toEqual([{ domainId: 1, access: "n" }, { domainId: 2, access: "r" }]);
    expect(privileged.getPermissions(connection.backendDirectory)).toEqual([{ domainId: 2, access: "n" }, { domainId: 1, access: "r" }]);
    expect(privileged.read(`${connection.frontendDirectory}/state`)).toBe("1");
    expect(privileged.read(`${connection.backendDirectory}/state`)).toBe("1");
    expect(privileged.read(`${connection.frontendDirectory}/backend`)).toBe(connection.backendDirectory);
    expect(privileged.read(`${connection.frontendDirectory}/backend-id`)).toBe("2");
    expect(privileged.read(`${connection.backendDirectory}/frontend`)).toBe(connection.frontendDirectory);
    expect(privileged.read(`${connection.backendDirectory}/frontend-id`)).toBe("1");
    expect(privileged.read(`${connection.frontendDirectory}/virtual-device`)).toBe("xvda");
    expect(privileged.read(`${connection.backendDirectory}/params`)).toBe("/images/a.img");
    expect(privileged.read(`${connection.backendDirectory}/mode`)).toBe("w");
    expect(privileged.directory(connection.frontendDirectory)).toEqual(expect.arrayContaining(["backend", "backend-id", "state", "virtual-device"]));
    // Keys inherit their directory's permissions.
    expect(privileged.getPermissions(`${connection.frontendDirectory}/state`)).toEqual([{ domainId: 1, access: "n" }, { domainId: 2, access: "r" }]);
  });

  it("records the protocol description as a broker-owned attribute node readable by both parties", () => {
    const connection = expectConnected(connectDisk());
    const node = connection.descriptionDirectory;
    expect(node).toBe("/local/domain/2/backend/vbd/1/51712/proto-desc");
    for (const reader of [storeAs(1), storeAs(2)]) {
      expect(reader.read(`${node}/protocol`)).toBe("blkif");
      expect(reader.read(`${node}/version`)).toBe("1");
      expect(reader.read(`${node}/spec-hash`)).toBe("0123456789abcdef0123456789abcdef");
      expect(reader.read(`${node}/resource-class`)).toBe("vbd");
    }
    expect(() => storeAs(2).write(`${node}/spec-hash`, "00000000")).toThrow(/EACCES/);
    expect(() => storeAs(1).write(`${node}/protocol`, "evil")).toThrow(/EACCES/);
  });

  it("enforces the directory permissions for the parties and for strangers", () => {
    const connection = expectConnected(connectDisk());
    const frontend = storeAs(1);
    const backend = storeAs(2);
    const stranger = storeAs(3);
    frontend.write(`${connection.frontendDirectory}/ring-ref`, "8");
    expect(backend.read(`${connection.frontendDirectory}/ring-ref`)).toBe("8");
    expect(() => backend.write(`${connection.frontendDirectory}/state`, "4")).toThrow(/EACCES/);
    backend.write(`${connection.backendDirectory}/state`, "2");
    expect(frontend.read(`${connection.backendDirectory}/state`)).toBe("2");
    expect(() => frontend.write(`${connection.backendDirectory}/state`, "6")).toThrow(/EACCES/);
    expect(() => stranger.read(`${connection.frontendDirectory}/state`)).toThrow(/EACCES/);
    expect(() => stranger.read(`${connection.backendDirectory}/state`)).toThrow(/EACCES/);
  });

  it("audits every check of an allowed connect with the rule that decided it", () => {
    expectConnected(connectDisk());
    const records = decisions();
    expect(records.map((record) => record.rule)).toEqual([
      "rbac-permission:toolstack/*/connect",
      "rbac-permission:guest/vbd/consume",
      "rbac-permission:storage_provider/vbd/provide",
      "type-enforcement:shared-type/blk",
      "type-enforcement:shared-type/blk",
      "type-enforcement:shared-type/blk",
      "colour-group:uncoloured",
      "colour-group:uncoloured",
      "colour-group:uncoloured",
      "domain-limit:vbd/per-frontend-domain/2",
      "domain-limit:vbd/per-backend-domain/3",
    ]);
    expect(records.every((record) => record.allowed && record.operation === "connect" && record.principal === "xl")).toBe(true);
  });

  it("tells observers about new and departing connections", () => {
    const seen: string[] = [];
    broker.addObserver({ connected: (connection) => seen.push(`+${connection.key}`), disconnecting: (connection) => seen.push(`-${connection.key}`) });
    expectConnected(connectDisk());
    broker.disconnect({ principal: "xl", resourceClass: "vbd", frontendDomainId: 1, id: "51712" });
    expect(seen).toEqual(["+vbd/1/51712", "-vbd/1/51712"]);
  });
});

describe("broker connect: policy", () => {
  function expectDeniedLeavingNothing(result: ReturnType<Broker["connect"]>, rule: string): void {
    if (result.outcome !== "denied") throw new Error(`expected a denial, got ${JSON.stringify(result)}`);
    expect(result.decision.rule).toBe(rule);
    expect(store.listNodePaths().filter((path) => path.startsWith("/local"))).toEqual([]);
    expect(broker.connections).toEqual([]);
    const last = decisions().at(-1);
    expect(last).toMatchObject({ allowed: false, rule });
  }

  it("denies a principal whose roles do not permit connect (RBAC) and leaves nothing behind", () => {
    expectDeniedLeavingNothing(connectDisk({ principal: "watcher" }), "default-deny:no-permission/vbd/connect");
  });

  it("denies an unknown principal", () => {
    expectDeniedLeavingNothing(connectDisk({ principal: "mallory" }), "default-deny:unknown-principal");
  });

  it("lets a domain principal connect the class its role covers but not another", () => {
    expectConnected(connectDisk({ principal: "driver" }));
    const vif = broker.connect({ principal: "driver", resourceClass: "vif", frontendDomain: guestA, backendDomain: driver, parameters: { devid: "0" } });
    expect(vif).toMatchObject({ outcome: "denied", decision: { ruleKind: "default-deny" } });
  });

  it("denies parties whose type sets are disjoint (type enforcement)", () => {
    expectDeniedLeavingNothing(connectDisk({ frontendDomain: sandbox }), "type-enforcement:disjoint-types");
  });

  it("denies a resource whose labels share no type with a party", () => {
    const policy = createSamplePolicy();
    const strictEngine = PolicyEngine.fromPolicy({ ...policy, resources: [], labels: [...policy.labels, { name: "secret_disk", types: ["bank_b"] }] });
    const strict = Broker.create({ engine: strictEngine, store: new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true })), audit, resourceClasses: [virtualBlockDeviceClass] }).broker!;
    const result = strict.connect({ principal: "xl", resourceClass: "vbd", frontendDomain: guestA, backendDomain: { id: 0, name: "Domain-0", labels: ["dom0"] }, parameters: { devid: "1" }, resourceLabels: ["secret_disk"] });
    expect(result).toMatchObject({ outcome: "denied", decision: { rule: "type-enforcement:disjoint-types" } });
    if (result.outcome === "denied") expect(result.decision.reason).toContain("resource vbd/1");
  });

  it("denies a party that may not consume or provide the class (RBAC on the parties)", () => {
    expectDeniedLeavingNothing(connectDisk({ frontendDomain: { id: 6, name: "nobody", labels: ["guest_a"] } }), "default-deny:no-permission/vbd/consume");
    expectDeniedLeavingNothing(connectDisk({ backendDomain: { id: 6, name: "guest-c", labels: ["storage_driver"] } }), "default-deny:no-permission/vbd/provide");
    expectDeniedLeavingNothing(connectDisk({ frontendDomain: { id: 6, name: "stranger", labels: ["guest_a"] } }), "default-deny:unknown-domain-principal");
  });

  it("denies a resource outside the frontend's colour even though their types intersect (colour groups)", () => {
    const policy = createSamplePolicy();
    const colourEngine = PolicyEngine.fromPolicy({ ...policy, labels: [...policy.labels, { name: "disk_confidential", types: ["bank_a", "bank_b", "blk"] }] });
    const colourBroker = Broker.create({ engine: colourEngine, store: new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true })), audit, resourceClasses: [virtualBlockDeviceClass] }).broker!;
    const request = { principal: "xl", resourceClass: "vbd", backendDomain: driver, parameters: { devid: "1" }, resourceLabels: ["disk_confidential"] };
    const denied = colourBroker.connect({ ...request, frontendDomain: web });
    expect(denied).toMatchObject({ outcome: "denied", decision: { rule: "colour-group:disjoint-colours" } });
    expect(store.listNodePaths().filter((path) => path.startsWith("/local"))).toEqual([]);
    expect(colourBroker.connect({ ...request, frontendDomain: guestA })).toMatchObject({ outcome: "connected", checks: expect.arrayContaining([expect.objectContaining({ decision: expect.objectContaining({ rule: "colour-group:shared/confidential" }) })]) });
  });

  it("enforces per-frontend and per-backend limits and frees a slot on disconnect", () => {
    expectConnected(connectDisk({ parameters: { devid: "1" } }));
    expectConnected(connectDisk({ parameters: { devid: "2" } }));
    const third = connectDisk({ parameters: { devid: "3" } });
    expect(third).toMatchObject({ outcome: "denied", decision: { rule: "domain-limit:vbd/per-frontend-domain/2", ruleKind: "domain-limit" } });
    expectConnected(connectDisk({ frontendDomain: guestB, parameters: { devid: "1" } }));
    const fourthOnBackend = connectDisk({ frontendDomain: guestB, parameters: { devid: "2" } });
    expect(fourthOnBackend).toMatchObject({ outcome: "denied", decision: { rule: "domain-limit:vbd/per-backend-domain/3" } });
    broker.disconnect({ principal: "xl", resourceClass: "vbd", frontendDomainId: 1, id: "1" });
    expectConnected(connectDisk({ parameters: { devid: "3" } }));
  });
});

describe("broker connect: bad requests", () => {
  it("refuses unknown classes, bad ids, unknown parameters and bad domain ids with stable codes", () => {
    expect(broker.connect({ principal: "xl", resourceClass: "vtpm", frontendDomain: guestA, backendDomain: driver, parameters: { devid: "0" } })).toMatchObject({ outcome: "failed", problem: { code: "PDB110" } });
    expect(connectDisk({ parameters: { devid: "../etc" } })).toMatchObject({ outcome: "failed", problem: { code: "PDB111" } });
    expect(connectDisk({ parameters: { devid: "1", state: "4" } })).toMatchObject({ outcome: "failed", problem: { code: "PDB111", message: expect.stringContaining("unknown parameter 'state'") } });
    expect(connectDisk({ resourceLabels: ["disk plain"] })).toMatchObject({ outcome: "failed", problem: { code: "PDB111", path: "resourceLabels" } });
    expect(connectDisk({ frontendDomain: { id: -1, name: "guest-x", labels: [] } })).toMatchObject({ outcome: "failed", problem: { code: "PDB114" } });
    expect(connectDisk({ backendDomain: { id: 70000, name: "driver", labels: [] } })).toMatchObject({ outcome: "failed", problem: { code: "PDB114" } });
    expect(store.listNodePaths().filter((path) => path.startsWith("/local"))).toEqual([]);
  });

  it("refuses a second connect of the same instance", () => {
    expectConnected(connectDisk());
    expect(connectDisk()).toMatchObject({ outcome: "failed", problem: { code: "PDB112" } });
  });

  it("refuses to overwrite a directory that already exists in the store, leaving it untouched", () => {
    const privileged = new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true }));
    privileged.write("/local/domain/2/backend/vbd/1/51712/params", "/precious");
    const before = store.listNodePaths();
    expect(connectDisk()).toMatchObject({ outcome: "failed", problem: { code: "PDB112", message: expect.stringContaining("already exists") } });
    expect(store.listNodePaths()).toEqual(before);
    expect(privileged.read("/local/domain/2/backend/vbd/1/51712/params")).toBe("/precious");
  });

  it("leaves nothing behind when the store fails in the middle of creating an instance", () => {
    const real = new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true }));
    let writes = 0;
    const failing: BrokerStore = {
      ...bindOperations(real),
      transaction: (body) =>
        real.transaction((operations) =>
          body({
            ...bindOperations(operations),
            write: (path, value) => {
              if (++writes === 6) throw new BrokerStoreError("ENOSPC", "write", path);
              operations.write(path, value);
            },
          }),
        ),
    };
    const flaky = Broker.create({ engine, store: failing, audit, resourceClasses: [virtualBlockDeviceClass] }).broker!;
    const result = flaky.connect({ principal: "xl", resourceClass: "vbd", frontendDomain: guestA, backendDomain: driver, parameters: { devid: "7" } });
    expect(result).toMatchObject({ outcome: "failed", problem: { code: "PDB120", message: expect.stringContaining("ENOSPC") } });
    expect(store.listNodePaths().filter((path) => path.startsWith("/local"))).toEqual([]);
    expect(flaky.connections).toEqual([]);
  });

  it("rejects malformed resource classes at creation with every problem", () => {
    const created = Broker.create({
      engine,
      store: new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true })),
      audit,
      resourceClasses: [
        { ...virtualBlockDeviceClass, frontendPath: "/device/vbd/{devid}" },
        { ...virtualBlockDeviceClass, name: "vbd2", backendPath: "backend/{disk}/{devid}" },
        { ...virtualBlockDeviceClass, name: "vbd3", frontendPath: "device/vbd3" },
        { ...virtualBlockDeviceClass, name: "vbd4", limits: { perFrontendDomain: 0 }, backendParameterKeys: ["state"] },
        { ...virtualBlockDeviceClass, name: "vbd5", protocol: { name: "blkif", version: 1, specHash: "XYZ" } },
        virtualNetworkInterfaceClass,
        virtualNetworkInterfaceClass,
        "not an object",
      ],
    });
    expect(created.broker).toBeUndefined();
    expect(created.problems.map((problem) => `${problem.code} ${problem.path}`)).toEqual([
      "PDB101 resourceClasses[0].frontendPath",
      "PDB101 resourceClasses[1].backendPath",
      "PDB101 resourceClasses[2].frontendPath",
      "PDB100 resourceClasses[3].limits.perFrontendDomain",
      "PDB100 resourceClasses[3].backendParameterKeys[0]",
      "PDB100 resourceClasses[4].protocol.specHash",
      "PDB102 resourceClasses[6].name",
      "PDB100 resourceClasses[7]",
    ]);
  });
});

describe("broker disconnect and inspect", () => {
  it("moves both ends through Closing to Closed, as watchers see, then removes both directories", () => {
    const connection = expectConnected(connectDisk());
    const watcher = StoreClient.connect(store, { domainId: 0, privileged: true });
    expect(watcher.watch(`${connection.frontendDirectory}/state`, "t").ok).toBe(true);
    const states: string[] = [];
    const reader = new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true }));
    broker.addObserver({ connected: () => undefined, disconnecting: () => states.push(reader.read(`${connection.frontendDirectory}/state`) ?? "gone") });
    const result = broker.disconnect({ principal: "xl", resourceClass: "vbd", frontendDomainId: 1, id: "51712" });
    expect(result.outcome).toBe("disconnected");
    expect(states).toEqual(["1"]);
    // Initial watch event, Closing, Closed, removal.
    expect(watcher.takeWatchEvents().length).toBeGreaterThanOrEqual(4);
    expect(reader.read(connection.frontendDirectory)).toBeUndefined();
    expect(reader.read(connection.backendDirectory)).toBeUndefined();
    expect(broker.connections).toEqual([]);
  });

  it("writes Closing then Closed (journal of committed values)", () => {
    const connection = expectConnected(connectDisk());
    const seenStates: string[] = [];
    const reader = new StoreClientBrokerStore(StoreClient.connect(store, { domainId: 0, privileged: true }));
    const watcher = StoreClient.connect(store, { domainId: 0, privileged: true, onWatchEvent: () => seenStates.push(reader.read(`${connection.backendDirectory}/state`) ?? "removed") });
    expect(watcher.watch(`${connection.backendDirectory}/state`, "t").ok).toBe(true);
    broker.disconnect({ principal: "xl", resourceClass: "vbd", frontendDomainId: 1, id: "51712" });
    expect(seenStates).toEqual(["1", "5", "6", "removed"]);
  });

  it("does not recreate a directory its owner already removed", () => {
    const connection = expectConnected(connectDisk());
    storeAs(1).remove(connection.frontendDirectory);
    expect(broker.disconnect({ principal: "xl", resourceClass: "vbd", frontendDomainId: 1, id: "51712" }).outcome).toBe("disconnected");
    expect(store.listNodePaths().filter((path) => path.includes("51712"))).toEqual([]);
  });

  it("releases every connection of a dead domain, as frontend or backend, and frees its limits", () => {
    expectConnected(connectDisk({ parameters: { devid: "1" } }));
    expectConnected(connectDisk({ frontendDomain: guestB, parameters: { devid: "1" } }));
    expectConnected(connectDisk({ parameters: { devid: "2" } }));
    const guestOnly = broker.releaseDomain(1);
    expect(guestOnly.problems).toEqual([]);
    expect(guestOnly.released.map((connection) => connection.key)).toEqual(["vbd/1/1", "vbd/1/2"]);
    expect(broker.connections.map((connection) => connection.key)).toEqual(["vbd/4/1"]);
    expect(store.listNodePaths().filter((path) => path.startsWith("/local/domain/1/device/vbd/"))).toEqual([]);
    expectConnected(connectDisk({ parameters: { devid: "3" } }));
    expect(broker.releaseDomain(2).released.map((connection) => connection.key).sort()).toEqual(["vbd/1/3", "vbd/4/1"]);
    expect(broker.connections).toEqual([]);
    // Only the empty intermediate directories (backend/vbd/<fe>) remain, as with Xen's toolstack.
    expect(store.listNodePaths().filter((path) => /\/vbd\/.*\/(state|proto-desc)$/.test(path))).toEqual([]);
  });

  it("checks RBAC for disconnect and inspect and audits both", () => {
    expectConnected(connectDisk());
    expect(broker.disconnect({ principal: "watcher", resourceClass: "vbd", frontendDomainId: 1, id: "51712" })).toMatchObject({ outcome: "denied" });
    expect(broker.connections).toHaveLength(1);
    expect(broker.inspect({ principal: "watcher", resourceClass: "vbd", frontendDomainId: 1, id: "51712" })).toMatchObject({ outcome: "inspected", connection: { protocol: { name: "blkif" } } });
    expect(broker.inspect({ principal: "nobody", resourceClass: "vbd", frontendDomainId: 1, id: "51712" })).toMatchObject({ outcome: "denied" });
    expect(broker.disconnect({ principal: "xl", resourceClass: "vbd", frontendDomainId: 1, id: "9" })).toMatchObject({ outcome: "failed", problem: { code: "PDB113" } });
    const operations = decisions().filter((record) => record.operation !== "connect").map((record) => [record.operation, record.allowed]);
    expect(operations).toEqual([["disconnect", false], ["inspect", true], ["inspect", false], ["disconnect", true]]);
  });
});
