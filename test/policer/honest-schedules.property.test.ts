// No honest run is ever blamed: random interleavings of an honest frontend issuing batches of
// reads, writes and flushes, an honest backend serving within a random budget per pass, the
// frontend collecting responses, the clock moving and the policer auditing never produce a
// verdict from the generated blkif MonitorSpec, on either ABI. Both parties suppress
// notifications by Xen's rules (blkif-suppressed-parties.ts), so the policer misses slots that
// are reused before it looks; the fraction it observed is measured over all runs. Some runs use
// persistent grants (both ends publish feature-persistent = 1): the backend then keeps every pool
// page mapped across responses, which blkif.unmapped_before_response allows.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connectionName, createBlkifHost, type BlkifAbi, type BlkifHost } from "./blkif-host.js";
import { collectUntilIdle, createPersistentGrantSession, publishRequestBatch, serveWithinBudget, type HonestRequestShape } from "./blkif-suppressed-parties.js";

function countLentFrames(host: BlkifHost): number {
  let frames = 0;
  for (const lent of host.lentPages.values()) frames += lent.frames.length;
  return frames;
}

type Step =
  | { readonly kind: "issue"; readonly batch: readonly HonestRequestShape[] }
  | { readonly kind: "serve"; readonly budget: number }
  | { readonly kind: "collect" }
  | { readonly kind: "advance"; readonly milliseconds: number }
  | { readonly kind: "audit" };

// Reads and writes move 1..11 segments; a flush (3) carries none. Flushes are the common case here:
// the backend answers them without any hypercall, so their slots are the ones reused unseen.
const requestArbitrary: fc.Arbitrary<HonestRequestShape> = fc.record({ operation: fc.constantFrom(0 as const, 1 as const, 3 as const, 3 as const, 3 as const), segments: fc.integer({ min: 1, max: 11 }) });

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("issue" as const), batch: fc.array(requestArbitrary, { minLength: 1, maxLength: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("serve" as const), budget: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: "collect" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("advance" as const), milliseconds: fc.integer({ min: 0, max: 12_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "audit" as const }) },
);

/** Keeps the batch within the frontend's 64 frames (one is the ring): an honest frontend waits when it runs out. */
function fitBatch(host: BlkifHost, batch: readonly HonestRequestShape[]): HonestRequestShape[] {
  const fitted: HonestRequestShape[] = [];
  let frames = countLentFrames(host);
  for (const shape of batch) {
    const segments = shape.operation === 3 ? 0 : shape.segments;
    if (frames + segments > 60) break;
    frames += segments;
    fitted.push(shape);
  }
  return fitted;
}

describe("honest schedules with suppressed notifications", () => {
  it("are never blamed, and most messages are observed", () => {
    const totals = { observed: 0, unobserved: 0 };
    fc.assert(
      fc.property(fc.constantFrom<BlkifAbi>("x86_64", "x86_32"), fc.boolean(), fc.array(stepArbitrary, { maxLength: 80 }), (abi, persistent, steps) => {
        const host = createBlkifHost({ abi, featurePersistent: { frontend: persistent, backend: persistent } });
        // A persistent frontend lends from a pool of 48 pages granted once; it waits when the pool runs dry.
        const session = persistent ? createPersistentGrantSession(host, 48) : undefined;
        // An honest backend progresses within the window (shorter than the answer deadline): it serves everything before time runs out.
        const window = Math.min(host.wire.ring.progress?.milliseconds ?? Number.POSITIVE_INFINITY, host.wire.ring.deadline?.milliseconds ?? Number.POSITIVE_INFINITY);
        let sinceServed = 0;
        for (const step of steps) {
          switch (step.kind) {
            case "issue":
              publishRequestBatch(host, fitBatch(host, step.batch), session);
              break;
            case "serve":
              serveWithinBudget(host, step.budget, session);
              break;
            case "collect":
              collectUntilIdle(host, session);
              break;
            case "advance":
              if (sinceServed + step.milliseconds >= window) {
                serveWithinBudget(host, Number.POSITIVE_INFINITY, session);
                sinceServed = 0;
              }
              host.clock.advanceBy(step.milliseconds);
              sinceServed += step.milliseconds;
              break;
            case "audit":
              host.policer.auditAll();
              break;
          }
        }
        serveWithinBudget(host, Number.POSITIVE_INFINITY, session);
        collectUntilIdle(host, session);
        host.policer.auditAll();
        expect(host.verdicts).toEqual([]);
        expect(host.policer.statusOf(connectionName)).toBe("policed");
        const counted = host.policer.monitorOf(connectionName)?.countObservations();
        if (counted !== undefined) {
          totals.observed += counted.observedRequests + counted.observedResponses;
          totals.unobserved += counted.unobservedRequests + counted.unobservedResponses;
        }
      }),
      { numRuns: 60, seed: 7 },
    );
    const fraction = totals.observed / Math.max(1, totals.observed + totals.unobserved);
    console.info(`honest suppressed runs: ${totals.observed} of ${totals.observed + totals.unobserved} messages observed (${(fraction * 100).toFixed(1)}%)`);
    // The runs must reach the lossy case at all, or they would not test it; most messages are still seen.
    expect(totals.unobserved).toBeGreaterThan(0);
    expect(fraction).toBeGreaterThan(0.5);
  });
});
