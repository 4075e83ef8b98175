// The demo's blkif description comes from the generated module: the x86_64 monitor spec itself,
// sizes from the generated layout tables, and published keys from the spec's lifecycle.
import { describe, expect, it } from "vitest";
import { describeDemoBlkifProtocolX86_64, listPublishedKeysByRole } from "../../../drivers/blk/demo-blkif-protocol.js";
import { layoutTables, monitorSpecX86_64 } from "../../../drivers/blk/generated/blkif.js";
import type { MonitorSpec } from "../../../runtime/monitor/index.js";

describe("the demo's blkif description", () => {
  it("is the generated x86_64 monitor spec with the generated layouts' sizes (xen-abi.md: 112-byte requests, 16-byte responses, 32 entries)", () => {
    const blkif = describeDemoBlkifProtocolX86_64();
    expect(blkif.spec).toBe(monitorSpecX86_64);
    expect(blkif).toMatchObject({ requestBytes: 112, responseBytes: 16, ringEntries: 32 });
    expect(blkif.requestBytes).toBe(layoutTables.x86_64.Request.size);
    expect(blkif.spec.rings[0]?.slotBytes).toBe(blkif.requestBytes);
  });

  it("takes field offsets from the generated layouts, agreeing with xen-abi.md §2 and with the monitor spec", () => {
    const { wire, spec } = describeDemoBlkifProtocolX86_64();
    expect(wire).toEqual({
      requestOperationOffset: 0,
      requestSegmentCountOffset: 1,
      requestIdOffset: 8,
      requestSectorOffset: 16,
      firstSegmentOffset: 24,
      segmentBytes: 8,
      segmentReferenceOffset: 0,
      segmentFirstSectorOffset: 4,
      segmentLastSectorOffset: 5,
      responseIdOffset: 0,
      responseOperationOffset: 8,
      responseStatusOffset: 10,
      responseTrailingPadding: { offset: 12, bytes: 4 },
    });
    const ring = spec.rings[0];
    expect(ring?.requestId.offset).toBe(wire.requestIdOffset);
    expect(ring?.responseId.offset).toBe(wire.responseIdOffset);
    for (const index of [0, 1, 10]) expect(ring?.grants?.referenceOffset(index)).toBe(wire.firstSegmentOffset + index * wire.segmentBytes + wire.segmentReferenceOffset);
  });

  it("lists the keys each role publishes on entering a state, from the spec's lifecycle", () => {
    const published = describeDemoBlkifProtocolX86_64().publishedKeys;
    const backendInitWait = published.get("backend")?.find((entry) => entry.to === 2)?.keys;
    expect(backendInitWait).toEqual(expect.arrayContaining(["feature-flush-cache", "max-ring-page-order"]));
    expect(published.get("backend")?.find((entry) => entry.to === 4)?.keys).toEqual(["sectors", "info", "sector-size"]);
    expect(published.get("frontend")?.find((entry) => entry.to === 3)?.keys).toContain("event-channel");
  });

  it("keeps the first transition's keys per state and skips transitions that publish nothing", () => {
    const lifecycle: MonitorSpec["lifecycle"] = {
      ...monitorSpecX86_64.lifecycle,
      transitions: [
        { role: "backend", from: 1, to: 2, peerStates: [], requiredKeys: ["a"] },
        { role: "backend", from: 3, to: 2, peerStates: [], requiredKeys: ["b"] },
        { role: "frontend", from: 1, to: 3, peerStates: [], requiredKeys: [] },
      ],
    };
    const published = listPublishedKeysByRole({ ...monitorSpecX86_64, lifecycle });
    expect([...published.entries()]).toEqual([["backend", [{ to: 2, keys: ["a"] }]]]);
  });
});
