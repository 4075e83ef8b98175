import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateResourceClass } from "../../runtime/broker/resource-class.js";
import { validateCompiledPolicy } from "../../runtime/policy/policy-validation.js";
import { createSamplePolicy } from "../support/sample-policy.js";

describe("validation never throws on hostile input", () => {
  it("accepts or rejects any JSON value as a policy, with problems when rejected", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateCompiledPolicy(value);
        expect(result.value === undefined).toBe(result.problems.length > 0);
      }),
      { numRuns: 300 },
    );
  });

  it("reports a problem whenever one field of a valid policy is replaced by garbage", () => {
    const fields = Object.keys(createSamplePolicy()).filter((field) => field !== "name");
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer(), { minLength: 1 })), (field, garbage) => {
        const result = validateCompiledPolicy({ ...createSamplePolicy(), [field]: garbage });
        expect(result.problems.length).toBeGreaterThan(0);
        expect(result.problems.every((problem) => /^PDP\d{3}$/.test(problem.code))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("accepts or rejects any JSON value as a resource class", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateResourceClass(value);
        expect(result.value === undefined).toBe(result.problems.length > 0);
      }),
      { numRuns: 300 },
    );
  });
});
