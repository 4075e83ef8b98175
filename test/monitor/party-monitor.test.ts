// The party-side monitor with the generated blkif spec: each library blames its peer for the
// clauses it can decide from what it consumes (validators, correlation, bound, grants, state,
// indices, deadlines), never for honest traffic, and checks a message without allocating.

import { describe, expect, it } from "vitest";
import { monitorSpecX86_64 } from "../../drivers/blk/generated/blkif.js";
import { PartyMonitor, type MonitorGrantInspector, type MonitorParty } from "../../runtime/monitor/index.js";
import { VirtualClock } from "../../runtime/time/index.js";
import { fewestMinorCollectionsDuring, totalMinorCollectionsDuring } from "../support/allocation.js";

const frontendDomainId = 3;
const backendDomainId = 2;
const parties: readonly [MonitorParty, MonitorParty] = [
  { role: "frontend", domainId: frontendDomainId, directory: "/local/domain/3/device/vbd/51712" },
  { role: "backend", domainId: backendDomainId, directory: "/local/domain/2/backend/vbd/3/51712" },
];
/** References 10 and 11 are granted writable to the backend, 12 read-only; nothing else is granted. */
const grants: MonitorGrantInspector = {
  isGrantedTo: (granterId, reference, granteeId) => granterId === frontendDomainId && granteeId === backendDomainId && reference >= 10 && reference <= 12,
  isReadOnly: (_granterId, reference) => reference === 12,
};

/** A blkif read (operation 0) under the x86_64 layout: id at 8, segments from 24, 8 bytes each. */
function encodeRead(id: number, references: readonly number[] = [10, 11]): Uint8Array {
  const slot = new Uint8Array(112);
  const view = new DataView(slot.buffer);
  slot[0] = 0;
  slot[1] = references.length;
  view.setUint32(8, id, true);
  references.forEach((reference, position) => {
    view.setUint32(24 + position * 8, reference, true);
    slot[24 + position * 8 + 5] = 7;
  });
  return slot;
}

function encodeResponse(id: number): Uint8Array {
  const slot = new Uint8Array(16);
  new DataView(slot.buffer).setUint32(0, id, true);
  return slot;
}

function createPair(clock = new VirtualClock()) {
  const frontend = new PartyMonitor({ spec: monitorSpecX86_64, parties, role: "frontend", clock });
  const backend = new PartyMonitor({ spec: monitorSpecX86_64, parties, role: "backend", clock, grants });
  for (const monitor of [frontend, backend]) {
    monitor.observeState("frontend", 4);
    monitor.observeState("backend", 4);
  }
  return { frontend, backend, clock };
}

function blamed(monitor: PartyMonitor): string[] {
  return monitor.violations.map((violation) => `${violation.clauseId} -> ${violation.blamedRole}`);
}

describe("PartyMonitor", () => {
  it("passes honest traffic and keeps its counts", () => {
    const { frontend, backend } = createPair();
    for (let id = 0; id < 100; id += 1) {
      const request = encodeRead(id);
      frontend.recordRequestProduced(request);
      expect(backend.checkRequestConsumed(request)).toBe(true);
      const response = encodeResponse(id);
      backend.recordResponseProduced(response);
      expect(frontend.checkResponseConsumed(response)).toBe(true);
    }
    expect(blamed(frontend)).toEqual([]);
    expect(blamed(backend)).toEqual([]);
    expect([frontend.peerMessagesChecked, frontend.ownMessagesRecorded, frontend.outstandingCount]).toEqual([100, 100, 0]);
    expect([backend.peerMessagesChecked, backend.ownMessagesRecorded, backend.outstandingCount]).toEqual([100, 100, 0]);
  });

  it("the frontend blames the backend for padding, unknown and repeated response ids", () => {
    const { frontend } = createPair();
    frontend.recordRequestProduced(encodeRead(1));
    frontend.recordRequestProduced(encodeRead(2));
    const leaky = encodeResponse(1);
    leaky[13] = 0x41;
    expect(frontend.checkResponseConsumed(leaky)).toBe(false);
    expect(frontend.checkResponseConsumed(encodeResponse(2))).toBe(true);
    expect(frontend.checkResponseConsumed(encodeResponse(2))).toBe(false);
    expect(frontend.checkResponseConsumed(encodeResponse(99))).toBe(false);
    expect(blamed(frontend)).toEqual(["blkif.response_padding_zero -> backend", "blkif.io.response_exactly_once -> backend", "blkif.io.response_id_known -> backend"]);
    expect(frontend.violations[0]?.evidence.bytes).toBe("01000000000000000000000000410000");
    expect(frontend.violations[0]?.specSpan).toMatch(/^protocols\/blkif\.proto-desc:\d+:\d+$/);
  });

  it("the backend blames the frontend for malformed requests, duplicate ids, the bound, grants and state", () => {
    const { backend } = createPair();
    expect(backend.checkRequestConsumed(encodeRead(1, []))).toBe(false);
    expect(backend.checkRequestConsumed(encodeRead(2))).toBe(true);
    expect(backend.checkRequestConsumed(encodeRead(2))).toBe(false);
    expect(backend.checkRequestConsumed(encodeRead(3, [10, 40]))).toBe(false);
    expect(backend.checkRequestConsumed(encodeRead(4, [12]))).toBe(false);
    for (let id = 100; id < 131; id += 1) expect(backend.checkRequestConsumed(encodeRead(id))).toBe(true);
    expect(backend.checkRequestConsumed(encodeRead(200))).toBe(false);
    backend.observeState("frontend", 5);
    expect(backend.stateOf("frontend")).toBe(5);
    expect(backend.checkRequestConsumed(encodeRead(201))).toBe(false);
    expect(blamed(backend)).toEqual([
      "blkif.Request.data_needs_segments -> frontend",
      "blkif.io.request_id_unique -> frontend",
      "blkif.segments_granted_until_unmapped -> frontend",
      "blkif.segments_granted_until_unmapped.writable -> frontend",
      "blkif.io.outstanding_bound -> frontend",
      "blkif.lifecycle_data -> frontend",
    ]);
    expect(backend.violations[2]?.evidence.grantReference).toBe(40);
  });

  it("blames the peer's index clause for a refused producer index, and a late answer on the backend", () => {
    const { frontend, backend, clock } = createPair();
    backend.reportPeerIndexFault(99, 0, "req_prod 99 runs past the ring");
    frontend.beginBatch();
    frontend.recordRequestProduced(encodeRead(7));
    clock.advanceBy(29_999);
    frontend.checkDeadlines();
    expect(blamed(frontend)).toEqual([]);
    clock.advanceBy(2);
    frontend.checkDeadlines();
    expect(blamed(backend)).toEqual(["blkif.request_index_sane -> frontend"]);
    expect(blamed(frontend)).toEqual(["blkif.answers_in_time -> backend"]);
  });

  it("refuses to be used for the other side's messages or with a role the ring does not have", () => {
    const { frontend, backend } = createPair();
    expect(() => frontend.checkRequestConsumed(encodeRead(1))).toThrow(RangeError);
    expect(() => backend.checkResponseConsumed(encodeResponse(1))).toThrow(RangeError);
    expect(() => new PartyMonitor({ spec: monitorSpecX86_64, parties, role: "toolstack", clock: new VirtualClock() })).toThrow(/neither requests nor responds/);
  });

  it("checks 100 000 exchanges without a minor collection", async () => {
    const { frontend, backend } = createPair();
    const request = encodeRead(0);
    const requestView = new DataView(request.buffer);
    const response = encodeResponse(0);
    const responseView = new DataView(response.buffer);
    const sink: unknown[] = [];
    let nextId = 0;
    const exchange = (allocatePerMessage: boolean): void => {
      for (let message = 0; message < 100_000; message += 1) {
        requestView.setUint32(8, nextId, true);
        frontend.recordRequestProduced(request);
        backend.checkRequestConsumed(request);
        responseView.setUint32(0, nextId, true);
        backend.recordResponseProduced(response);
        frontend.checkResponseConsumed(response);
        nextId += 1;
        if (allocatePerMessage) sink[0] = { id: nextId, copy: [nextId, message, nextId, message] };
      }
    };
    exchange(false);
    const quiet = await fewestMinorCollectionsDuring(() => exchange(false));
    const noisy = await totalMinorCollectionsDuring(() => exchange(true));
    expect(blamed(frontend)).toEqual([]);
    expect(blamed(backend)).toEqual([]);
    expect(quiet).toBe(0);
    expect(noisy).toBeGreaterThan(0);
  });
});
