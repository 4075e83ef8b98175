import { describe, expect, it } from "vitest";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { createSamplePolicy } from "../support/sample-policy.js";

const engine = PolicyEngine.fromPolicy(createSamplePolicy());

describe("RBAC decisions", () => {
  it("allows an operation granted through a role, naming role, class and operation", () => {
    const decision = engine.decideOperation("driver", "connect", "vbd");
    expect(decision).toMatchObject({ allowed: true, rule: "rbac-permission:block_operator/vbd/connect", ruleKind: "rbac-permission" });
    expect(decision.reason).toContain("role 'block_operator'");
  });

  it("allows every class through a wildcard permission", () => {
    expect(engine.decideOperation("xl", "reset", "vif")).toMatchObject({ allowed: true, rule: "rbac-permission:toolstack/*/reset" });
  });

  it("denies an operation no role grants, by default deny", () => {
    const decision = engine.decideOperation("driver", "reset", "vbd");
    expect(decision).toMatchObject({ allowed: false, ruleKind: "default-deny", rule: "default-deny:no-permission/vbd/reset" });
    expect(decision.reason).toContain("'block_operator'");
  });

  it("denies a permitted operation on another resource class", () => {
    expect(engine.decideOperation("driver", "connect", "vif").allowed).toBe(false);
    expect(engine.decideOperation("watcher", "inspect", "vif").allowed).toBe(true);
    expect(engine.decideOperation("watcher", "connect", "vbd").allowed).toBe(false);
  });

  it("denies principals without roles and unknown principals", () => {
    expect(engine.decideOperation("nobody", "inspect", "vbd")).toMatchObject({ allowed: false, reason: expect.stringContaining("no roles") });
    expect(engine.decideOperation("mallory", "connect", "vbd")).toMatchObject({ allowed: false, rule: "default-deny:unknown-principal" });
  });

  it("returns the same precomputed allow decision every time", () => {
    expect(engine.decideOperation("xl", "connect", "vbd")).toBe(engine.decideOperation("xl", "connect", "vbd"));
    expect(Object.isFrozen(engine.decideOperation("xl", "connect", "vbd"))).toBe(true);
  });
});

describe("type enforcement", () => {
  const dom0 = engine.subjectForDomain("Domain-0");
  const driver = engine.subjectForDomain("driver");
  const guestA = engine.subjectForDomain("guest-a");
  const sandbox = engine.subjectForDomain("sandbox");

  it("allows two domains whose type sets intersect, naming the shared type", () => {
    expect(engine.decideTypeEnforcement(guestA, driver)).toMatchObject({ allowed: true, rule: "type-enforcement:shared-type/blk" });
    expect(engine.decideTypeEnforcement(dom0, driver).allowed).toBe(true);
  });

  it("denies two domains with disjoint type sets and lists both sets", () => {
    const decision = engine.decideTypeEnforcement(sandbox, driver);
    expect(decision).toMatchObject({ allowed: false, rule: "type-enforcement:disjoint-types" });
    expect(decision.reason).toBe("domain 'sandbox' holds types {public} and domain 'driver' holds types {blk}: no type in common");
  });

  it("is symmetric", () => {
    for (const left of [dom0, driver, guestA, sandbox]) {
      for (const right of [dom0, driver, guestA, sandbox]) {
        expect(engine.decideTypeEnforcement(left, right).allowed).toBe(engine.decideTypeEnforcement(right, left).allowed);
      }
    }
  });

  it("checks resources by their labels: class labels from the policy plus instance labels", () => {
    const disk = engine.subjectForResource("vbd", "51712");
    expect(disk.labels).toEqual(["disk_plain"]);
    expect(engine.decideTypeEnforcement(guestA, disk).allowed).toBe(true);
    expect(engine.decideTypeEnforcement(sandbox, disk).allowed).toBe(false);
    expect(engine.subjectForResource("vbd", "1", ["disk_red"]).labels).toEqual(["disk_plain", "disk_red"]);
  });

  it("treats unknown and missing labels as no types, and says so on denial", () => {
    const stranger = engine.subjectForLabels("domain 7", ["not_in_policy"]);
    const decision = engine.decideTypeEnforcement(stranger, dom0);
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain("labels unknown to the policy: not_in_policy");
    expect(engine.decideTypeEnforcement(engine.subjectForDomain("unassigned"), dom0).allowed).toBe(false);
  });

  it("works past 32 types (multi-word bit sets)", () => {
    const types = Array.from({ length: 70 }, (_, index) => ({ name: `t${index}` }));
    const wide = PolicyEngine.fromPolicy({
      ...createSamplePolicy(),
      types: [...createSamplePolicy().types, ...types],
      labels: [...createSamplePolicy().labels, { name: "high", types: ["t65", "t3"] }, { name: "higher", types: ["t65"] }, { name: "low", types: ["t3"] }, { name: "mid", types: ["t40"] }],
    });
    const high = wide.subjectForLabels("high", ["high"]);
    expect(wide.decideTypeEnforcement(high, wide.subjectForLabels("higher", ["higher"]))).toMatchObject({ allowed: true, rule: "type-enforcement:shared-type/t65" });
    expect(wide.decideTypeEnforcement(high, wide.subjectForLabels("low", ["low"])).rule).toBe("type-enforcement:shared-type/t3");
    expect(wide.decideTypeEnforcement(high, wide.subjectForLabels("mid", ["mid"])).allowed).toBe(false);
  });
});

describe("Chinese wall", () => {
  it("denies starting a domain while a conflicting type runs, and allows it again once that domain stops", () => {
    const wall = engine.createChineseWall();
    const guestA = engine.subjectForDomain("guest-a");
    const guestB = engine.subjectForDomain("guest-b");
    expect(wall.decideDomainStart(guestA).allowed).toBe(true);
    wall.recordStarted(guestA);
    const denied = wall.decideDomainStart(guestB);
    expect(denied).toMatchObject({ allowed: false, rule: "chinese-wall:conflict-set/banks" });
    expect(denied.reason).toBe("domain 'guest-b' takes side 'bank_b' of conflict set 'banks', but a running domain has taken side 'bank_a'");
    wall.recordStopped(guestA);
    expect(wall.decideDomainStart(guestB).allowed).toBe(true);
  });

  it("allows the same type to run twice and counts instances", () => {
    const wall = engine.createChineseWall();
    const guestA = engine.subjectForDomain("guest-a");
    wall.recordStarted(guestA);
    expect(wall.decideDomainStart(engine.subjectForDomain("guest-a")).allowed).toBe(true);
    wall.recordStarted(guestA);
    wall.recordStopped(guestA);
    expect(wall.isTypeRunning("bank_a")).toBe(true);
    expect(wall.decideDomainStart(engine.subjectForDomain("guest-b")).allowed).toBe(false);
    wall.recordStopped(guestA);
    expect(wall.isTypeRunning("bank_a")).toBe(false);
  });

  it("ignores types outside every conflict set", () => {
    const wall = engine.createChineseWall();
    wall.recordStarted(engine.subjectForDomain("Domain-0"));
    wall.recordStarted(engine.subjectForDomain("driver"));
    expect(wall.decideDomainStart(engine.subjectForDomain("guest-b")).ruleKind).toBe("chinese-wall");
    expect(wall.decideDomainStart(engine.subjectForDomain("guest-b")).allowed).toBe(true);
  });

  it("treats a domain holding several types of a set as neutral: it neither blocks nor is blocked", () => {
    const policy = createSamplePolicy();
    const multiTenant = PolicyEngine.fromPolicy({ ...policy, labels: [...policy.labels, { name: "bank_driver", types: ["bank_a", "bank_b", "blk"] }] });
    const wall = multiTenant.createChineseWall();
    const driver = multiTenant.subjectForLabels("domain 'bank-driver'", ["bank_driver"]);
    expect(wall.decideDomainStart(driver).allowed).toBe(true);
    wall.recordStarted(driver);
    expect(wall.decideDomainStart(multiTenant.subjectForDomain("guest-a")).allowed).toBe(true);
    wall.recordStarted(multiTenant.subjectForDomain("guest-a"));
    expect(wall.decideDomainStart(driver).allowed).toBe(true);
    expect(wall.decideDomainStart(multiTenant.subjectForDomain("guest-b")).allowed).toBe(false);
  });

  it("refuses to record a stop that never started", () => {
    expect(() => engine.createChineseWall().recordStopped(engine.subjectForDomain("guest-a"))).toThrow(/no running domain/);
  });
});

describe("colour groups", () => {
  const guestA = engine.subjectForDomain("guest-a");
  const guestB = engine.subjectForDomain("guest-b");
  const web = engine.subjectForDomain("web-1");
  const driver = engine.subjectForDomain("driver");

  it("lets two subjects share within a common colour, naming it", () => {
    expect(engine.decideColours(guestA, guestB)).toMatchObject({ allowed: true, rule: "colour-group:shared/confidential" });
  });

  it("denies coloured subjects without a common colour even when their types intersect", () => {
    expect(engine.decideTypeEnforcement(guestA, web).allowed).toBe(true);
    const decision = engine.decideColours(guestA, web);
    expect(decision).toMatchObject({ allowed: false, rule: "colour-group:disjoint-colours" });
    expect(decision.reason).toBe("domain 'guest-a' has colours {confidential} and domain 'web-1' has {open}: no colour in common");
  });

  it("leaves uncoloured subjects to type enforcement", () => {
    expect(engine.decideColours(guestA, driver)).toMatchObject({ allowed: true, rule: "colour-group:uncoloured" });
    expect(engine.decideColours(driver, web).allowed).toBe(true);
  });
});

describe("party permissions, privileged principals, name patterns and switched-off mechanisms", () => {
  it("checks provide and consume for the domain principal matching the domain's name", () => {
    expect(engine.decidePartyOperation("guest-a", "consume", "vbd")).toMatchObject({ allowed: true, rule: "rbac-permission:guest/vbd/consume" });
    expect(engine.decidePartyOperation("guest-a", "provide", "vbd").allowed).toBe(false);
    expect(engine.decidePartyOperation("driver", "provide", "vbd")).toMatchObject({ allowed: true, rule: "rbac-permission:storage_provider/vbd/provide" });
    expect(engine.decidePartyOperation("web-7", "consume", "vif").allowed).toBe(true);
    expect(engine.decidePartyOperation("mallory", "consume", "vbd")).toMatchObject({ allowed: false, rule: "default-deny:unknown-domain-principal" });
    expect(engine.principalForDomain("guest-zz")).toBe("guests");
    expect(engine.principalForDomain("guest")).toBeUndefined();
  });

  it("gives a privileged principal every operation on every class", () => {
    expect(engine.decideOperation("Domain-0", "reset", "anything")).toMatchObject({ allowed: true, rule: "rbac-permission:privileged/*/reset" });
    expect(engine.decidePartyOperation("Domain-0", "provide", "vbd").allowed).toBe(true);
  });

  it("assigns labels by exact name first, then by the first matching glob", () => {
    expect(engine.labelsForDomain("web-frontend")).toEqual(["web"]);
    expect(engine.labelsForDomain("guest-a")).toEqual(["guest_a"]);
    expect(engine.labelsForDomain("unknown")).toEqual([]);
  });

  it("allows everything a switched-off mechanism would decide, saying so", () => {
    const lax = PolicyEngine.fromPolicy({ ...createSamplePolicy(), enforce: [] });
    expect(lax.decideOperation("mallory", "connect", "vbd")).toMatchObject({ allowed: true, rule: "rbac-permission:not-enforced" });
    expect(lax.decidePartyOperation("mallory", "consume", "vbd").allowed).toBe(true);
    expect(lax.decideTypeEnforcement(lax.subjectForDomain("sandbox"), lax.subjectForDomain("driver"))).toMatchObject({ allowed: true, rule: "type-enforcement:not-enforced" });
    expect(lax.decideColours(lax.subjectForDomain("guest-a"), lax.subjectForDomain("web-1")).rule).toBe("colour-group:not-enforced");
    const wall = lax.createChineseWall();
    wall.recordStarted(lax.subjectForDomain("guest-a"));
    expect(wall.decideDomainStart(lax.subjectForDomain("guest-b"))).toMatchObject({ allowed: true, rule: "chinese-wall:not-enforced" });
  });
});
