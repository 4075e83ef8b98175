// The correlation table against a Map model: random inserts, finds and removals (which shift
// probe runs back) must agree with the model at every step.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { absentEntry, OutstandingRequestTable } from "../../runtime/monitor/index.js";

describe("OutstandingRequestTable", () => {
  it("agrees with a Map under random inserts and removals", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 })), { maxLength: 300 }), (operations) => {
        const table = new OutstandingRequestTable(32, 2);
        const model = new Map<string, number>();
        for (const [insert, low, high] of operations) {
          const key = `${low}:${high}`;
          const entry = table.find(low, high);
          expect(entry !== absentEntry).toBe(model.has(key));
          if (insert && entry === absentEntry && model.size < 32) {
            const inserted = table.insert(low, high);
            table.ringIndex[inserted] = low * 3 + high;
            model.set(key, low * 3 + high);
          } else if (!insert && entry !== absentEntry) {
            table.remove(entry);
            model.delete(key);
          }
          expect(table.size).toBe(model.size);
          for (const [known, ringIndex] of model) {
            const [knownLow, knownHigh] = known.split(":").map(Number);
            const found = table.find(knownLow ?? 0, knownHigh ?? 0);
            expect(found).not.toBe(absentEntry);
            expect(table.ringIndex[found]).toBe(ringIndex);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
