// No honest run is ever blamed: random interleavings of an honest frontend issuing reads,
// writes and flushes, an honest backend serving in batches, the frontend collecting responses,
// the clock moving (within the deadline and the progress window) and the policer auditing never produce a verdict from
// the generated blkif MonitorSpec, on either ABI. The honest parties notify after every push:
// with Xen's notification suppression the monitor can miss a slot before it is reused and blame
// an honest party (docs/policing.md §9, "Known gaps").

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectResponses, connectionName, createBlkifHost, issueRequest, serveRequests, type BlkifAbi, type BlkifHost } from "./blkif-host.js";

function countLentFrames(host: BlkifHost): number {
  let frames = 0;
  for (const lent of host.lentPages.values()) frames += lent.frames.length;
  return frames;
}

type Step =
  | { readonly kind: "issue"; readonly operation: 0 | 1 | 3; readonly segments: number }
  | { readonly kind: "serve" }
  | { readonly kind: "collect" }
  | { readonly kind: "advance"; readonly milliseconds: number }
  | { readonly kind: "audit" };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  // Reads and writes move 1..11 segments; a flush (3) carries none.
  fc.record({ kind: fc.constant("issue" as const), operation: fc.constantFrom(0 as const, 1 as const, 3 as const), segments: fc.integer({ min: 1, max: 11 }) }),
  fc.constant({ kind: "serve" as const }),
  fc.constant({ kind: "collect" as const }),
  fc.record({ kind: fc.constant("advance" as const), milliseconds: fc.integer({ min: 0, max: 12_000 }) }),
  fc.constant({ kind: "audit" as const }),
);

describe("honest schedules", () => {
  it("are never blamed", () => {
    fc.assert(
      fc.property(fc.constantFrom<BlkifAbi>("x86_64", "x86_32"), fc.array(stepArbitrary, { maxLength: 80 }), (abi, steps) => {
        const host = createBlkifHost({ abi });
        // An honest backend answers within its deadline and, with work outstanding, within its progress window.
        const deadline = Math.min(host.wire.ring.deadline?.milliseconds ?? Number.POSITIVE_INFINITY, host.wire.ring.progress?.milliseconds ?? Number.POSITIVE_INFINITY);
        let sinceServed = 0;
        for (const step of steps) {
          switch (step.kind) {
            case "issue": {
              const segments = step.operation === 3 ? 0 : step.segments;
              // The frontend has 64 frames (one is the ring); an honest one waits when it runs out.
              if (host.frontendRing.freeRequestCount() > 0 && countLentFrames(host) + segments <= 60) issueRequest(host, step.operation, segments);
              break;
            }
            case "serve":
              serveRequests(host);
              sinceServed = 0;
              break;
            case "collect":
              collectResponses(host);
              break;
            case "advance":
              // An honest backend answers within its deadline: serve before time runs out.
              if (sinceServed + step.milliseconds >= deadline) {
                serveRequests(host);
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
        serveRequests(host);
        collectResponses(host);
        host.policer.auditAll();
        expect(host.verdicts).toEqual([]);
        expect(host.policer.statusOf(connectionName)).toBe("policed");
      }),
      { numRuns: 60 },
    );
  });
});
