import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { policyOperations, type CompiledPolicy, type PolicyOperation } from "../../runtime/policy/policy-model.js";

// Random policies whose every reference is valid, so that the engine loads them; the oracle
// below recomputes each decision naively from the plain data with Sets.
const typeCount = 40;
const typeNames = Array.from({ length: typeCount }, (_, index) => `t${index}`);
const colourNames = ["red", "blue", "green", "amber"];

const labelArbitrary = fc.record({
  types: fc.uniqueArray(fc.constantFrom(...typeNames), { maxLength: 5 }),
  colour: fc.option(fc.constantFrom(...colourNames), { nil: undefined }),
});

const policyArbitrary = fc
  .record({
    labels: fc.array(labelArbitrary, { minLength: 1, maxLength: 12 }),
    conflictSets: fc.array(fc.uniqueArray(fc.constantFrom(...typeNames), { minLength: 2, maxLength: 4 }), { maxLength: 3 }),
    colourGroups: fc.array(fc.uniqueArray(fc.constantFrom(...colourNames), { minLength: 2, maxLength: 3 }), { maxLength: 2 }),
    roles: fc.array(
      fc.array(fc.record({ resourceClass: fc.constantFrom("vbd", "vif", "console", "*"), operations: fc.uniqueArray(fc.constantFrom(...policyOperations), { minLength: 1 }) }), { maxLength: 3 }),
      { minLength: 1, maxLength: 4 },
    ),
    principals: fc.array(fc.uniqueArray(fc.nat(3), { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
  })
  .map((raw): CompiledPolicy => {
    const labels = raw.labels.map((label, index) => ({ name: `l${index}`, types: label.types, ...(label.colour === undefined ? {} : { colour: label.colour }) }));
    const usedColours = new Set(labels.flatMap((label) => label.colour ?? []));
    return {
      formatVersion: 1,
      name: "random",
      types: typeNames.map((name) => ({ name })),
      labels,
      roles: raw.roles.map((permissions, index) => ({ name: `r${index}`, permissions })),
      principals: raw.principals.map((roles, index) => ({ name: `p${index}`, kind: "tool" as const, roles: roles.filter((role) => role < raw.roles.length).map((role) => `r${role}`) })),
      domains: [],
      resources: [],
      conflictSets: raw.conflictSets.map((types, index) => ({ name: `c${index}`, types })),
      colourGroups: raw.colourGroups.filter((colours) => colours.filter((colour) => usedColours.has(colour)).length >= 2).map((colours, index) => ({ name: `g${index}`, colours: colours.filter((colour) => usedColours.has(colour)) })),
    };
  })
  // Labels that conflict with themselves are rejected at load (tested elsewhere); keep the rest.
  .filter((policy) => PolicyEngine.load(policy).engine !== undefined);

function typesOf(policy: CompiledPolicy, labels: readonly string[]): Set<string> {
  return new Set(labels.flatMap((label) => policy.labels.find((candidate) => candidate.name === label)?.types ?? []));
}

function coloursOf(policy: CompiledPolicy, labels: readonly string[]): Set<string> {
  return new Set(labels.flatMap((label) => policy.labels.find((candidate) => candidate.name === label)?.colour ?? []));
}

describe("decision engine against a naive oracle", () => {
  it("type enforcement allows exactly when the type sets intersect, naming a shared type", () => {
    fc.assert(
      fc.property(policyArbitrary, fc.array(fc.nat(11), { maxLength: 3 }), fc.array(fc.nat(11), { maxLength: 3 }), (policy, left, right) => {
        const engine = PolicyEngine.fromPolicy(policy);
        const leftLabels = left.map((index) => `l${index % policy.labels.length}`);
        const rightLabels = right.map((index) => `l${index % policy.labels.length}`);
        const decision = engine.decideTypeEnforcement(engine.subjectForLabels("left", leftLabels), engine.subjectForLabels("right", rightLabels));
        const leftTypes = typesOf(policy, leftLabels);
        const shared = [...typesOf(policy, rightLabels)].filter((type) => leftTypes.has(type));
        expect(decision.allowed).toBe(shared.length > 0);
        if (decision.allowed) expect(shared).toContain(decision.rule.replace("type-enforcement:shared-type/", ""));
      }),
      { numRuns: 300 },
    );
  });

  it("RBAC allows exactly what some role of the principal grants on the class or on '*'", () => {
    fc.assert(
      fc.property(policyArbitrary, fc.nat(5), fc.constantFrom<PolicyOperation>(...policyOperations), fc.constantFrom("vbd", "vif", "console", "vtpm"), (policy, principalIndex, operation, resourceClass) => {
        const engine = PolicyEngine.fromPolicy(policy);
        const principal = `p${principalIndex}`;
        const roles = policy.principals.find((candidate) => candidate.name === principal)?.roles ?? [];
        const expected = roles.some((roleName) =>
          policy.roles.find((role) => role.name === roleName)?.permissions.some((permission) => (permission.resourceClass === resourceClass || permission.resourceClass === "*") && permission.operations.includes(operation)),
        );
        expect(engine.decideOperation(principal, operation, resourceClass).allowed).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("the Chinese wall matches a multiset oracle over random start/stop schedules", () => {
    fc.assert(
      fc.property(policyArbitrary, fc.array(fc.record({ start: fc.boolean(), label: fc.nat(11) }), { maxLength: 30 }), (policy, schedule) => {
        const engine = PolicyEngine.fromPolicy(policy);
        const wall = engine.createChineseWall();
        const running: string[][] = [];
        for (const step of schedule) {
          const labels = [`l${step.label % policy.labels.length}`];
          const subject = engine.subjectForLabels("domain", labels);
          if (step.start) {
            const starting = typesOf(policy, labels);
            const runningTypes = new Set(running.flatMap((domainLabels) => [...typesOf(policy, domainLabels)]));
            const conflict = policy.conflictSets.some((set) => set.types.some((type) => starting.has(type) && set.types.some((other) => other !== type && runningTypes.has(other))));
            const decision = wall.decideDomainStart(subject);
            expect(decision.allowed).toBe(!conflict);
            if (decision.allowed) {
              wall.recordStarted(subject);
              running.push(labels);
            }
          } else {
            const index = running.findIndex((domainLabels) => domainLabels[0] === labels[0]);
            if (index >= 0) {
              wall.recordStopped(subject);
              running.splice(index, 1);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("colour groups match an oracle over random connect/disconnect schedules", () => {
    fc.assert(
      fc.property(policyArbitrary, fc.array(fc.record({ connect: fc.boolean(), domain: fc.nat(2), label: fc.nat(11) }), { maxLength: 30 }), (policy, schedule) => {
        const engine = PolicyEngine.fromPolicy(policy);
        const ledger = engine.createColourLedger();
        const held = new Map<number, string[][]>();
        const domainSubject = engine.subjectForLabels("domain", []);
        for (const step of schedule) {
          const labels = [`l${step.label % policy.labels.length}`];
          const resource = engine.subjectForLabels("resource", labels);
          const mine = held.get(step.domain) ?? [];
          if (step.connect) {
            const wanted = coloursOf(policy, labels);
            const holding = new Set(mine.flatMap((resourceLabels) => [...coloursOf(policy, resourceLabels)]));
            const clash = policy.colourGroups.some((group) => group.colours.some((colour) => wanted.has(colour) && group.colours.some((other) => other !== colour && holding.has(other))));
            const decision = ledger.decideConnect(step.domain, domainSubject, resource);
            expect(decision.allowed).toBe(!clash);
            if (decision.allowed) {
              ledger.recordConnected(step.domain, resource);
              held.set(step.domain, [...mine, labels]);
            }
          } else {
            const index = mine.findIndex((resourceLabels) => resourceLabels[0] === labels[0]);
            if (index >= 0) {
              ledger.recordDisconnected(step.domain, resource);
              mine.splice(index, 1);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
