// The generated padding clause reaches every padding byte of a message: a nested record's,
// each live element of a counted array of records, the active variant's and the union's bytes
// past that variant, on both x86 layouts. Runs the generated spec of test/monitor/specs/
// padded.proto-desc (checked in as test/monitor/generated/padded.ts) on a real shared ring.

import { describe, expect, it } from "vitest";
import { ConnectionMonitor, type MonitorSpec, type Violation } from "../../runtime/monitor/index.js";
import { SharedRingFrontend, computeSharedRingBytes } from "../../runtime/ring/index.js";
import { VirtualClock } from "../../runtime/time/index.js";
import { Kind, createRequest, encodeRequestX86_32, encodeRequestX86_64, layoutTables, monitorSpecX86_32, monitorSpecX86_64, type Request } from "./generated/padded.js";

const layouts = [
  { name: "x86_64", spec: monitorSpecX86_64, tables: layoutTables.x86_64, encode: encodeRequestX86_64 },
  { name: "x86_32", spec: monitorSpecX86_32, tables: layoutTables.x86_32, encode: encodeRequestX86_32 },
] as const;

type Layout = (typeof layouts)[number];

function createPublisher(spec: MonitorSpec) {
  const ring = spec.rings[0];
  if (ring === undefined) throw new Error("the padded spec monitors no ring");
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const frontend = SharedRingFrontend.initialize(memory, ring.slotBytes);
  const violations: Violation[] = [];
  const monitor = new ConnectionMonitor({
    spec,
    parties: [
      { role: "frontend", domainId: 1, directory: "/fe" },
      { role: "backend", domainId: 2, directory: "/be" },
    ],
    ringMemories: [memory],
    clock: new VirtualClock(),
    grants: { isGrantedTo: () => true, isReadOnly: () => false },
    onViolation: (violation) => violations.push(violation),
  });
  let nextId = 1;
  /** Encodes `request` with a fresh id, lets `tamper` change bytes, publishes it and lets the monitor look. */
  const publish = (layout: Layout, request: Request, tamper: (slot: Uint8Array) => void = () => undefined): void => {
    const slot = new Uint8Array(ring.slotBytes);
    request.kindVariant.listing.id = nextId;
    request.kindVariant.single.id = nextId;
    nextId += 1;
    const failure = layout.encode(request, new DataView(slot.buffer), 0);
    if (failure !== undefined) throw new Error(String(failure));
    tamper(slot);
    frontend.produceRequest(slot);
    frontend.pushRequests();
    monitor.scanRings();
  };
  return { publish, violations };
}

function listingRequest(count: number): Request {
  const request = createRequest();
  request.kind = Kind.listing;
  request.kindVariant.arm = "listing";
  request.kindVariant.listing.count = count;
  request.kindVariant.listing.header.flags = 1;
  request.kindVariant.listing.header.length = 300;
  for (const [index, item] of request.kindVariant.listing.items.entries()) {
    item.tag = index + 1;
    item.value = 0x01020304;
  }
  return request;
}

function singleRequest(): Request {
  const request = createRequest();
  request.kind = Kind.single;
  request.kindVariant.arm = "single";
  request.kindVariant.single.small = 7;
  request.kindVariant.single.wide = 0xffff;
  return request;
}

/** Absolute slot offsets of padding bytes, read from the generated layout tables of one ABI. */
function paddingOffsets(layout: Layout) {
  const union = layout.tables.Request.fields.kind_variant.offset;
  const listing = layout.tables.Request_listing;
  const headerPadding = listing.fields.header.offset + (layout.tables.Header.padding[0]?.[0] ?? -1);
  const itemPadding = layout.tables.Item.padding[0]?.[0] ?? -1;
  const itemStride = layout.tables.Item.size;
  return {
    nestedHeader: union + headerPadding,
    liveElement: (element: number) => union + listing.fields.items.offset + element * itemStride + itemPadding,
    singleTail: union + layout.tables.Request_single.size,
    listingGap: union + (listing.padding[0]?.[0] ?? -1),
  };
}

describe.each(layouts)("generated padding clause ($name layout)", (layout) => {
  const clause = ["padded.request_padding_zero", "frontend"];
  const found = (violations: readonly Violation[]) => violations.map((violation) => [violation.clauseId, violation.blamedRole]);

  it("reports nothing for honestly encoded requests of both variants", () => {
    const { publish, violations } = createPublisher(layout.spec);
    for (let round = 0; round < 10; round += 1) {
      publish(layout, listingRequest(round % 5));
      publish(layout, singleRequest());
    }
    expect(violations).toEqual([]);
  });

  it("catches a non-zero padding byte of the active variant itself", () => {
    const { publish, violations } = createPublisher(layout.spec);
    publish(layout, listingRequest(1), (slot) => (slot[paddingOffsets(layout).listingGap] = 0x41));
    expect(found(violations)).toEqual([clause]);
  });

  it("catches a non-zero padding byte inside a nested record", () => {
    const { publish, violations } = createPublisher(layout.spec);
    publish(layout, listingRequest(1), (slot) => (slot[paddingOffsets(layout).nestedHeader] = 0x42));
    expect(found(violations)).toEqual([clause]);
  });

  it("catches a non-zero padding byte in a live array element, and ignores elements past the count", () => {
    const { publish, violations } = createPublisher(layout.spec);
    publish(layout, listingRequest(2), (slot) => (slot[paddingOffsets(layout).liveElement(3)] = 0x43));
    expect(violations).toEqual([]);
    publish(layout, listingRequest(2), (slot) => (slot[paddingOffsets(layout).liveElement(1)] = 0x43));
    expect(found(violations)).toEqual([clause]);
  });

  it("catches stale bytes in the union past the end of the shorter active variant", () => {
    const { publish, violations } = createPublisher(layout.spec);
    publish(layout, singleRequest(), (slot) => (slot[paddingOffsets(layout).singleTail + 5] = 0x44));
    expect(found(violations)).toEqual([clause]);
    expect(violations[0]?.evidence.bytes).toContain("44");
  });
});
