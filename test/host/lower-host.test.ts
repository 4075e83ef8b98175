// Lowering the bundled host policy and small fixtures: the policy engine and broker accept the
// result, decisions come out as the policy says, and each resource class carries its protocol
// attribute with the spec file's hash.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { computeSpecHash } from "../../compiler/codegen/header.js";
import { lowerHost } from "../../compiler/host/lower-host.js";
import { validateResourceClass } from "../../runtime/broker/resource-class.js";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { repositoryRoot } from "../support/run-cli.js";
import { bundledHostFiles, checkSpecFiles } from "./checked-bundled-host.js";

function lowerChecked(paths: readonly string[], extra: readonly { path: string; text: string }[] = []) {
  const { program, errors } = checkSpecFiles(paths, extra);
  expect(errors).toEqual([]);
  if (program.model === undefined) throw new Error("no model");
  return lowerHost({ model: program.model, sources: program.sources });
}

describe("lowering the bundled host", () => {
  const lowered = lowerChecked(bundledHostFiles);
  const host = lowered.value;
  if (host === undefined) throw new Error(JSON.stringify(lowered.diagnostics));

  it("produces a policy the engine loads and resource classes the broker accepts", () => {
    expect(lowered.diagnostics).toEqual([]);
    expect(PolicyEngine.load(host.policy).problems).toEqual([]);
    expect(host.resourceClasses.map((resourceClass) => resourceClass.name)).toEqual(["vbd", "vif", "vcon"]);
    for (const resourceClass of host.resourceClasses) expect(validateResourceClass(resourceClass).problems).toEqual([]);
    expect(host.policyFile).toBe("protocols/host-policy.proto-desc");
  });

  it("records each class's protocol with the hash of its spec file", () => {
    const vbd = host.resourceClasses.find((resourceClass) => resourceClass.name === "vbd");
    const text = readFileSync(join(repositoryRoot, "protocols/blkif.proto-desc"), "utf8");
    expect(vbd?.protocol).toEqual({ name: "blkif", version: 1, specHash: computeSpecHash([{ path: "protocols/blkif.proto-desc", text }]) });
    expect(new Set(host.resourceClasses.map((resourceClass) => resourceClass.protocol.specHash)).size).toBe(3);
  });

  it("decides as the policy says: drivers provide only their class, guests consume, the wall splits the banks", () => {
    const engine = PolicyEngine.fromPolicy(host.policy);
    expect(engine.decidePartyOperation("storage-domain", "provide", "vbd").allowed).toBe(true);
    expect(engine.decidePartyOperation("network-domain", "provide", "vbd").allowed).toBe(false);
    expect(engine.decidePartyOperation("network-domain", "provide", "vif").allowed).toBe(true);
    expect(engine.decidePartyOperation("bank-a-payroll", "consume", "vbd").allowed).toBe(true);
    expect(engine.decidePartyOperation("bank-a-payroll", "provide", "vbd").allowed).toBe(false);
    expect(engine.decidePartyOperation("stranger", "consume", "vbd").allowed).toBe(false);
    const wall = engine.createChineseWall();
    wall.recordStarted(engine.subjectForDomain("bank-a-payroll"));
    expect(wall.decideDomainStart(engine.subjectForDomain("bank-b-ledger")).allowed).toBe(false);
    expect(wall.decideDomainStart(engine.subjectForDomain("bank-a-ledger")).allowed).toBe(true);
    expect(engine.decideTypeEnforcement(engine.subjectForDomain("bank-a-payroll"), engine.subjectForDomain("bank-b-ledger")).allowed).toBe(false);
  });

  it("gives policy rules the line they were declared on", () => {
    const origin = host.policy.roles[0]?.origin;
    const lines = readFileSync(join(repositoryRoot, "protocols/host-policy.proto-desc"), "utf8").split("\n");
    expect(origin?.file).toBe("protocols/host-policy.proto-desc");
    expect(lines[(origin?.line ?? 0) - 1]).toMatch(/policy host/);
  });
});

describe("lowering fixtures that are not a host", () => {
  it("reports PD7001 when no policy is declared", () => {
    const lowered = lowerChecked(["test/host/fixtures/no-policy/protocols-only.proto-desc"]);
    expect(lowered.value).toBeUndefined();
    expect(lowered.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.span.file])).toEqual([["PD7001", "test/host/fixtures/no-policy/protocols-only.proto-desc"]]);
  });

  it("reports PD7002 at the second of two policies", () => {
    const lowered = lowerChecked(["test/host/fixtures/two-policies/policies.proto-desc"]);
    expect(lowered.value).toBeUndefined();
    expect(lowered.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(["PD7002"]);
    expect(lowered.diagnostics[0]?.message).toContain("'second'");
  });

  it("lowers a small policy of its own", () => {
    const text = `policy tiny {\n  enforce rbac;\n  role reader {\n  }\n  principal watcher roles reader types watched;\n}\n`;
    const lowered = lowerChecked([], [{ path: "tiny.proto-desc", text }]);
    expect(lowered.value?.policy).toMatchObject({ name: "tiny", enforce: ["rbac"], principals: [{ name: "watcher", roles: ["reader"] }] });
    const engine = PolicyEngine.fromPolicy(lowered.value!.policy);
    expect(engine.decidePartyOperation("watcher", "consume", "vbd").allowed).toBe(false);
  });
});
