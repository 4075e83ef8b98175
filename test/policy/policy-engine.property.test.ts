import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyEngine } from "../../runtime/policy/policy-engine.js";
import { policyOperations, type CompiledPolicy, type PolicyOperation } from "../../runtime/policy/policy-model.js";

// Random policies whose every reference is valid, so that the engine loads them; the oracle
// below recomputes each decision naively from the plain data with Sets.
const typeCount = 40;
const typeNames = Array.from({ length: typeCount }, (_, index) => `t${index}`);
const labelArbitrary = fc.record({ types: fc.uniqueArray(fc.constantFrom(...typeNames), { maxLength: 5 }) });

const policyArbitrary = fc
  .record({
    labels: fc.array(labelArbitrary, { minLength: 1, maxLength: 12 }),
    conflictSets: fc.array(fc.uniqueArray(fc.constantFrom(...typeNames), { minLength: 2, maxLength: 4 }), { maxLength: 3 }),
    colourGroups: fc.array(fc.uniqueArray(fc.constantFrom(...typeNames), { minLength: 1, maxLength: 6 }), { maxLength: 3 }),
    roles: fc.array(
      fc.array(fc.record({ resourceClass: fc.constantFrom("vbd", "vif", "console", "*"), operations: fc.uniqueArray(fc.constantFrom(...policyOperations), { minLength: 1 }) }), { maxLength: 3 }),
      { minLength: 1, maxLength: 4 },
    ),
    principals: fc.array(fc.uniqueArray(fc.nat(3), { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
  })
  .map((raw): CompiledPolicy => {
    const labels = raw.labels.map((label, index) => ({ name: `l${index}`, types: label.types }));
    return {
      formatVersion: 1,
      name: "random",
      enforce: ["rbac", "types", "chinese-wall", "colours"],
      types: typeNames.map((name) => ({ name })),
      labels,
      roles: raw.roles.map((permissions, index) => ({ name: `r${index}`, permissions })),
      principals: raw.principals.map((roles, index) => ({ name: `p${index}`, kind: "tool" as const, roles: roles.filter((role) => role < raw.roles.length).map((role) => `r${role}`) })),
      domains: [],
      resources: [],
      conflictSets: raw.conflictSets.map((types, index) => ({ name: `c${index}`, types })),
      colourGroups: raw.colourGroups.map((types, index) => ({ name: `g${index}`, types })),
    };
  })
  .filter((policy) => PolicyEngine.load(policy).engine !== undefined);

function typesOf(policy: CompiledPolicy, labels: readonly string[]): Set<string> {
  return new Set(labels.flatMap((label) => policy.labels.find((candidate) => candidate.name === label)?.types ?? []));
}

function coloursOf(policy: CompiledPolicy, labels: readonly string[]): Set<string> {
  const types = typesOf(policy, labels);
  return new Set(policy.colourGroups.filter((group) => group.types.some((type) => types.has(type))).map((group) => group.name));
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
            // A domain takes a side of a set iff it holds exactly one of its types.
            const sideOf = (domainLabels: readonly string[], setTypes: readonly string[]): string | undefined => {
              const held = setTypes.filter((type) => typesOf(policy, domainLabels).has(type));
              return held.length === 1 ? held[0] : undefined;
            };
            const conflict = policy.conflictSets.some((set) => {
              const side = sideOf(labels, set.types);
              return side !== undefined && running.some((domainLabels) => {
                const other = sideOf(domainLabels, set.types);
                return other !== undefined && other !== side;
              });
            });
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

  it("colours allow exactly when a subject is uncoloured or the colour sets intersect", () => {
    fc.assert(
      fc.property(policyArbitrary, fc.array(fc.nat(11), { maxLength: 3 }), fc.array(fc.nat(11), { maxLength: 3 }), (policy, left, right) => {
        const engine = PolicyEngine.fromPolicy(policy);
        const leftLabels = left.map((index) => `l${index % policy.labels.length}`);
        const rightLabels = right.map((index) => `l${index % policy.labels.length}`);
        const leftColours = coloursOf(policy, leftLabels);
        const rightColours = coloursOf(policy, rightLabels);
        const expected = leftColours.size === 0 || rightColours.size === 0 || [...leftColours].some((colour) => rightColours.has(colour));
        expect(engine.decideColours(engine.subjectForLabels("left", leftLabels), engine.subjectForLabels("right", rightLabels)).allowed).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
