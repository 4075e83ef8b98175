import { describe, expect, it } from "vitest";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { formatPolicyProblem, PolicyLoadError } from "../../runtime/policy/policy-problem.js";
import { validateCompiledPolicy } from "../../runtime/policy/policy-validation.js";
import { createSamplePolicy } from "../support/sample-policy.js";

function codesOf(input: unknown): string[] {
  return validateCompiledPolicy(input).problems.map((problem) => problem.code);
}

describe("compiled policy validation", () => {
  it("accepts the sample policy and returns it typed", () => {
    const result = validateCompiledPolicy(createSamplePolicy());
    expect(result.problems).toEqual([]);
    expect(result.value?.name).toBe("sample-host");
  });

  it("survives a JSON round trip", () => {
    const result = validateCompiledPolicy(JSON.parse(JSON.stringify(createSamplePolicy())));
    expect(result.problems).toEqual([]);
  });

  it("rejects non-objects and wrong format versions", () => {
    expect(codesOf(null)).toEqual(["PDP100"]);
    expect(codesOf([])).toEqual(["PDP100"]);
    expect(codesOf({ ...createSamplePolicy(), formatVersion: 2 })).toEqual(["PDP101"]);
  });

  it("reports a missing collection with its path", () => {
    const { roles: _roles, ...withoutRoles } = createSamplePolicy();
    const problems = validateCompiledPolicy(withoutRoles).problems;
    expect(problems.map((problem) => [problem.code, problem.path])).toContainEqual(["PDP100", "roles"]);
  });

  it("reports unknown references with the exact path and the declaration's location", () => {
    const policy = createSamplePolicy();
    const broken = {
      ...policy,
      labels: [...policy.labels, { name: "ghost", types: ["nonexistent"], origin: { file: "host.proto-desc", line: 12, column: 3 } }],
      principals: [...policy.principals, { name: "intruder", kind: "tool", roles: ["superuser"] }],
      domains: [...policy.domains, { domain: "orphan", labels: ["missing_label"] }],
    };
    const problems = validateCompiledPolicy(broken).problems;
    const typeProblem = problems.find((problem) => problem.code === "PDP103");
    expect(typeProblem?.path).toBe("labels[7].types[0]");
    expect(typeProblem?.origin).toEqual({ file: "host.proto-desc", line: 12, column: 3 });
    expect(formatPolicyProblem(typeProblem!)).toBe("host.proto-desc:12:3: PDP103 unknown type 'nonexistent' (at labels[7].types[0])");
    expect(problems.find((problem) => problem.code === "PDP105")?.path).toBe("principals[8].roles[0]");
    expect(problems.find((problem) => problem.code === "PDP104")?.path).toBe("domains[6].labels[0]");
  });

  it("reports duplicates, bad names, unknown and empty operations", () => {
    const policy = createSamplePolicy();
    const codes = codesOf({
      ...policy,
      types: [...policy.types, { name: "blk" }, { name: "9lives" }],
      roles: [...policy.roles, { name: "odd", permissions: [{ resourceClass: "vbd", operations: ["destroy"] }, { resourceClass: "vif", operations: [] }] }],
      principals: [...policy.principals, { name: "robot", kind: "daemon", roles: [] }],
    });
    expect(codes).toContain("PDP102");
    expect(codes).toContain("PDP107");
    expect(codes).toContain("PDP106");
    expect(codes).toContain("PDP113");
    expect(codes).toContain("PDP100");
  });

  it("rejects conflict sets that exclude nothing and colour groups without types", () => {
    const policy = createSamplePolicy();
    expect(codesOf({ ...policy, conflictSets: [{ name: "lonely", types: ["bank_a"] }] })).toEqual(["PDP108"]);
    expect(codesOf({ ...policy, colourGroups: [{ name: "mono", types: [] }] })).toEqual(["PDP111"]);
    expect(codesOf({ ...policy, colourGroups: [{ name: "rainbow", types: ["ultraviolet"] }] })).toEqual(["PDP103"]);
  });

  it("rejects unknown mechanisms and bad domain patterns", () => {
    const policy = createSamplePolicy();
    expect(codesOf({ ...policy, enforce: ["rbac", "magic"] })).toEqual(["PDP114"]);
    expect(codesOf({ ...policy, principals: [...policy.principals, { name: "bad", kind: "domain", roles: [], matches: "a/b*" }] })).toEqual(["PDP115"]);
    expect(codesOf({ ...policy, principals: [...policy.principals, { name: "tooly", kind: "tool", roles: [], matches: "x-*" }] })).toEqual(["PDP115"]);
    expect(codesOf({ ...policy, domains: [...policy.domains, { domain: "white space", labels: [] }] })).toEqual(["PDP115"]);
  });

  it("collects every problem instead of stopping at the first, and the throwing loader carries them", () => {
    const policy = createSamplePolicy();
    const broken = { ...policy, principals: [{ name: "a", kind: "tool", roles: ["x"] }, { name: "b", kind: "tool", roles: ["y"] }] };
    expect(codesOf(broken)).toEqual(["PDP105", "PDP105"]);
    expect(() => PolicyEngine.fromPolicy(broken as never)).toThrow(PolicyLoadError);
    const result = PolicyEngine.load(broken);
    expect(result.engine).toBeUndefined();
    expect(result.problems).toHaveLength(2);
  });

  it("never throws on arbitrary JSON-like garbage", () => {
    const garbage: unknown[] = [0, "policy", true, { formatVersion: 1, name: 5 }, { types: "x", labels: [1, null], roles: [{}] }, { principals: [{ name: "p", kind: "tool", roles: "r" }] }];
    for (const input of garbage) {
      const result = validateCompiledPolicy(input);
      expect(result.value).toBeUndefined();
      expect(result.problems.length).toBeGreaterThan(0);
    }
  });
});
