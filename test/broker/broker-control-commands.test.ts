// The broker hosted in the store: proto-desc-connect and proto-desc-disconnect as XS_CONTROL
// requests on a store connection, with the bundled host policy. Only privileged connections
// may send them; the caller acts as its transport's principal; every outcome is a JSON reply.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lowerHost } from "../../compiler/host/lower-host.js";
import { AuditLogWriter } from "../../runtime/audit/audit-log-writer.js";
import { parseBrokerControlReply, type BrokerControlReply } from "../../runtime/broker/broker-control-reply.js";
import { hostBrokerInStore, type StoreHostedBroker } from "../../runtime/broker/store-hosted-broker.js";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import type { StoreConnection } from "../../runtime/store/connection.js";
import { encodeStringArguments, decodeText } from "../../runtime/store/request-payloads.js";
import { StoreClient } from "../../runtime/store/store-client.js";
import { XenStore } from "../../runtime/store/store.js";
import { XsMessageType } from "../../runtime/store/wire-types.js";
import { bundledHostFiles, checkSpecFiles } from "../host/checked-bundled-host.js";

const { program } = checkSpecFiles(bundledHostFiles);
if (program.model === undefined) throw new Error("the bundled host does not check");
const host = lowerHost({ model: program.model, sources: program.sources }).value;
if (host === undefined) throw new Error("the bundled host does not lower");
const engine = PolicyEngine.fromPolicy(host.policy);

let directory: string;
let audit: AuditLogWriter;
let store: XenStore;
let hosted: StoreHostedBroker;
let toolstack: StoreClient;

function open(principal: string | undefined, domainId = 0, privileged = true): StoreConnection {
  return store.openConnection({ domainId, privileged, sink: { deliver: () => undefined }, ...(principal === undefined ? {} : { principal }) });
}

function control(connection: StoreConnection, ...words: string[]): { readonly type: number; readonly text: string } {
  const reply = connection.handle({ type: XsMessageType.control, requestId: 7, transactionId: 0, payload: encodeStringArguments(...words) });
  return { type: reply.type, text: decodeText(reply.payload) };
}

function brokerReply(connection: StoreConnection, ...words: string[]): BrokerControlReply | undefined {
  const reply = control(connection, ...words);
  expect(reply.type).toBe(XsMessageType.control);
  return parseBrokerControlReply(reply.text);
}

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "proto-desc-broker-control-"));
  audit = AuditLogWriter.open(join(directory, "audit.jsonl"), { now: () => 0 });
  store = XenStore.open({});
  toolstack = StoreClient.connect(store, { domainId: 0, privileged: true });
  for (const [id, name] of [[1, "storage-domain"], [2, "bank-a-payroll"], [5, "web-shop"]] as const) toolstack.write(`/local/domain/${id}/name`, name);
  const result = hostBrokerInStore({ store, engine, audit, resourceClasses: host.resourceClasses });
  if (result.hosted === undefined) throw new Error(JSON.stringify(result.problems));
  hosted = result.hosted;
});

afterEach(() => {
  hosted.close();
  store.close();
  audit.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("the broker's control commands in the store", () => {
  it("connects a vbd for the socket's tool principal, with toolstack permissions and the spec hash recorded", () => {
    const reply = brokerReply(open("dom0"), "proto-desc-connect", "vbd", "2", "1", "devid=51712");
    expect(reply).toMatchObject({ outcome: "connected", connection: "vbd/2/51712", frontendDirectory: "/local/domain/2/device/vbd/51712", backendDirectory: "/local/domain/1/backend/vbd/2/51712" });
    if (reply?.outcome !== "connected") throw new Error("not connected");
    const vbd = host.resourceClasses.find((resourceClass) => resourceClass.name === "vbd");
    expect(reply.specHash).toBe(`sha256:${vbd?.protocol.specHash}`);
    expect(toolstack.readText(`${reply.descriptionDirectory}/spec-hash`)).toEqual({ ok: true, value: vbd?.protocol.specHash });
    expect(toolstack.getPermissions(reply.frontendDirectory)).toEqual({ ok: true, value: [{ domainId: 2, access: "n" }, { domainId: 1, access: "r" }] });
    expect(toolstack.getPermissions(reply.backendDirectory)).toEqual({ ok: true, value: [{ domainId: 1, access: "n" }, { domainId: 2, access: "r" }] });
    expect(hosted.broker.connections.map((connection) => connection.key)).toEqual(["vbd/2/51712"]);

    expect(brokerReply(open("dom0"), "proto-desc-disconnect", "vbd", "2", "51712")).toEqual({ outcome: "disconnected", connection: "vbd/2/51712" });
    expect(toolstack.readText(reply.frontendDirectory).ok).toBe(false);
    const audited = readFileSync(join(directory, "audit.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { operation?: string; principal?: string; allowed?: boolean });
    expect(audited.filter((record) => record.operation === "connect").every((record) => record.principal === "dom0" && record.allowed === true)).toBe(true);
    expect(audited.some((record) => record.operation === "disconnect" && record.allowed === true)).toBe(true);
  });

  it("acts as the caller's domain name when the transport names no principal, and reports the deciding rule of a denial", () => {
    // A privileged connection of domain 5 acts as web-shop, which holds no role that may connect a vbd.
    const denied = brokerReply(open(undefined, 5), "proto-desc-connect", "vbd", "2", "1", "devid=51712");
    expect(denied).toMatchObject({ outcome: "denied" });
    if (denied?.outcome !== "denied") throw new Error("not denied");
    expect(denied.rule).toMatch(/^[a-z-]+:/);
    expect(hosted.broker.connections).toEqual([]);
    expect(toolstack.readText("/local/domain/2/device/vbd/51712").ok).toBe(false);
  });

  it("refuses unprivileged callers with EACCES and unknown command words with EINVAL", () => {
    expect(control(open(undefined, 2, false), "proto-desc-connect", "vbd", "2", "1", "devid=1")).toEqual({ type: XsMessageType.error, text: "EACCES" });
    expect(control(open("dom0"), "proto-desc-frobnicate")).toEqual({ type: XsMessageType.error, text: "EINVAL" });
    expect(control(open("dom0"))).toEqual({ type: XsMessageType.error, text: "EINVAL" });
    hosted.close();
    expect(control(open("dom0"), "proto-desc-connect", "vbd", "2", "1", "devid=1")).toEqual({ type: XsMessageType.error, text: "EINVAL" });
  });

  it.each([
    [["vbd", "two", "1", "devid=1"], "PDB115", "the frontend domain must be a domain id"],
    [["vbd", "2", "9", "devid=1"], "PDB114", "/local/domain/9/name"],
    [["vbd", "2", "1", "devid"], "PDB115", "is not key=value"],
    [["vbd", "2", "1", "devid=1", "devid=2"], "PDB115", "given twice"],
    [["tape", "2", "1", "devid=1"], "PDB110", "no resource class 'tape'"],
    [["vbd", "2", "1"], "PDB111", "devid"],
    [[], "PDB115", "usage: proto-desc-connect"],
  ])("answers a bad connect %j with a failed reply and its stable code", (words, code, message) => {
    const reply = brokerReply(open("dom0"), "proto-desc-connect", ...words);
    expect(reply).toMatchObject({ outcome: "failed", code });
    if (reply?.outcome === "failed") expect(reply.message).toContain(message);
    expect(hosted.broker.connections).toEqual([]);
  });

  it("answers a disconnect of an unknown instance or with bad arguments with a failed reply", () => {
    expect(brokerReply(open("dom0"), "proto-desc-disconnect", "vbd", "2", "51712")).toMatchObject({ outcome: "failed", code: "PDB113" });
    expect(brokerReply(open("dom0"), "proto-desc-disconnect", "vbd", "2")).toMatchObject({ outcome: "failed", code: "PDB115" });
  });

  it("parses only well-formed replies", () => {
    expect(parseBrokerControlReply("OK")).toBeUndefined();
    expect(parseBrokerControlReply('{"outcome":"connected"}')).toBeUndefined();
    expect(parseBrokerControlReply('{"outcome":"failed","code":"PDB113","message":"x"}')).toEqual({ outcome: "failed", code: "PDB113", message: "x" });
  });
});
