// netif's u16 request ids are now correlated: the generated netif monitor spec (checked in as
// test/monitor/generated/netif.ts, kept current by a drift check) runs on real shared rings,
// clean over an honest exchange that wraps both the ring indices and the 16-bit ids, and
// blaming the right role for a hostile backend and a hostile frontend.

import { describe, expect, it } from "vitest";
import { ConnectionMonitor, type Violation } from "../../runtime/monitor/index.js";
import { SharedRingBackend, SharedRingFrontend, computeSharedRingBytes } from "../../runtime/ring/index.js";
import { VirtualClock } from "../../runtime/time/index.js";
import { runBinary } from "../support/run-cli.js";
import {
  createRxRequest,
  createRxResponse,
  createTxRequest,
  createTxResponse,
  encodeRxRequestX86_64,
  encodeRxResponseX86_64,
  encodeTxRequestX86_64,
  encodeTxResponseX86_64,
  monitorSpecX86_64,
} from "./generated/netif.js";

interface NetifRings {
  readonly monitor: ConnectionMonitor;
  readonly violations: Violation[];
  readonly tx: { readonly frontend: SharedRingFrontend; readonly backend: SharedRingBackend };
  readonly rx: { readonly frontend: SharedRingFrontend; readonly backend: SharedRingBackend };
}

function ringSlotBytes(name: string): number {
  const ring = monitorSpecX86_64.rings.find((candidate) => candidate.name === name);
  if (ring === undefined) throw new Error(`the generated netif spec does not monitor ring ${name}`);
  return ring.slotBytes;
}

function createNetifRings(): NetifRings {
  const memories = monitorSpecX86_64.rings.map(() => new Uint8Array(computeSharedRingBytes(0)));
  const violations: Violation[] = [];
  const monitor = new ConnectionMonitor({
    spec: monitorSpecX86_64,
    parties: [
      { role: "frontend", domainId: 1, directory: "/local/domain/1/device/vif/0" },
      { role: "backend", domainId: 2, directory: "/local/domain/2/backend/vif/1/0" },
    ],
    ringMemories: memories,
    clock: new VirtualClock(),
    grants: { isGrantedTo: () => true, isReadOnly: () => false },
    onViolation: (violation) => violations.push(violation),
  });
  // Both ends Connected, as after the handshake (the data phase of netif's lifecycle).
  monitor.states[0] = 4;
  monitor.states[1] = 4;
  const pair = (name: string) => {
    const memory = memories[monitorSpecX86_64.rings.findIndex((ring) => ring.name === name)];
    if (memory === undefined) throw new Error(`no memory for ring ${name}`);
    return { frontend: SharedRingFrontend.initialize(memory, ringSlotBytes(name)), backend: SharedRingBackend.attach(memory, ringSlotBytes(name)) };
  };
  return { monitor, violations, tx: pair("tx"), rx: pair("rx") };
}

function encoded(bytes: number, encode: (view: DataView) => unknown): Uint8Array {
  const slot = new Uint8Array(bytes);
  const failure = encode(new DataView(slot.buffer));
  if (failure !== undefined) throw new Error(String(failure));
  return slot;
}

function publishTxRequest(rings: NetifRings, id: number): void {
  const request = createTxRequest();
  request.id = id;
  request.gref = 8;
  request.size = 60;
  rings.tx.frontend.produceRequest(encoded(12, (view) => encodeTxRequestX86_64(request, view, 0)));
  rings.tx.frontend.pushRequests();
}

function publishTxResponse(rings: NetifRings, id: number): void {
  const response = createTxResponse();
  response.id = id;
  rings.tx.backend.produceResponse(encoded(4, (view) => encodeTxResponseX86_64(response, view, 0)));
  rings.tx.backend.pushResponses();
}

function publishRxRequest(rings: NetifRings, id: number): void {
  const request = createRxRequest();
  request.id = id;
  request.gref = 9;
  rings.rx.frontend.produceRequest(encoded(8, (view) => encodeRxRequestX86_64(request, view, 0)));
  rings.rx.frontend.pushRequests();
}

function publishRxResponse(rings: NetifRings, id: number): void {
  const response = createRxResponse();
  response.id = id;
  response.status = 60;
  rings.rx.backend.produceResponse(encoded(8, (view) => encodeRxResponseX86_64(response, view, 0)));
  rings.rx.backend.pushResponses();
}

/** The backend takes every published request off a ring and returns their 16-bit ids. */
function consumeIds(ring: SharedRingBackend): number[] {
  const ids: number[] = [];
  const batch = ring.beginRequestBatch();
  for (let count = 0; count < batch; count += 1) {
    const request = ring.consumeRequest();
    if (request === null) break;
    const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
    // tx ids sit at byte 8 of a TxRequest, rx ids at byte 0 of an RxRequest (netif.h).
    ids.push(request.byteLength === 12 ? view.getUint16(8, true) : view.getUint16(0, true));
  }
  return ids;
}

function drainResponses(ring: SharedRingFrontend): void {
  const batch = ring.beginResponseBatch();
  for (let count = 0; count < batch; count += 1) ring.consumeResponse();
}

describe("generated netif monitor spec", () => {
  it("is up to date with protocols/netif.proto-desc", { timeout: 120_000 }, () => {
    const run = runBinary(["compile", "protocols/netif.proto-desc", "test/monitor/specs/padded.proto-desc", "--out", "test/monitor/generated", "--check"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("monitors both rings with 2-byte id fields and lowers netif's notify rate guarantees per role", () => {
    expect(monitorSpecX86_64.rings.map((ring) => [ring.name, ring.requestId.widthBytes, ring.responseId.widthBytes])).toEqual([
      ["tx", 2, 2],
      ["rx", 2, 2],
    ]);
    expect(monitorSpecX86_64.eventBudgets?.map((budget) => [budget.role, budget.clauseId])).toEqual([
      ["frontend", "netif.frontend_event_rate"],
      ["backend", "netif.backend_event_rate"],
    ]);
  });

  it("reports nothing over an honest exchange that wraps the ring indices and the 16-bit ids", () => {
    const rings = createNetifRings();
    let nextId = 0xfff0;
    for (let round = 0; round < 100; round += 1) {
      for (let slot = 0; slot < 8; slot += 1) {
        publishTxRequest(rings, nextId);
        publishRxRequest(rings, nextId);
        nextId = (nextId + 1) & 0xffff;
      }
      rings.monitor.scanRings();
      for (const id of consumeIds(rings.tx.backend)) publishTxResponse(rings, id);
      for (const id of consumeIds(rings.rx.backend)) publishRxResponse(rings, id);
      rings.monitor.scanRings();
      drainResponses(rings.tx.frontend);
      drainResponses(rings.rx.frontend);
    }
    expect(rings.violations).toEqual([]);
    expect(rings.monitor.listOutstandingRequestIds(0)).toEqual([]);
    expect(rings.monitor.listOutstandingRequestIds(1)).toEqual([]);
  });

  it("blames the backend for a tx response whose id differs from the request's only in its high byte", () => {
    const rings = createNetifRings();
    publishTxRequest(rings, 0x0105);
    rings.monitor.scanRings();
    consumeIds(rings.tx.backend);
    publishTxResponse(rings, 0x0205);
    rings.monitor.scanRings();
    expect(rings.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([["netif.tx.response_id_known", "backend"]]);
    expect(rings.violations[0]?.evidence.detail).toContain("response id 517");
  });

  it("blames the backend for answering an rx buffer twice", () => {
    const rings = createNetifRings();
    publishRxRequest(rings, 7);
    publishRxRequest(rings, 8);
    rings.monitor.scanRings();
    consumeIds(rings.rx.backend);
    publishRxResponse(rings, 7);
    rings.monitor.scanRings();
    publishRxResponse(rings, 7);
    rings.monitor.scanRings();
    expect(rings.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([["netif.rx.response_exactly_once", "backend"]]);
  });

  it("blames the frontend for posting an rx buffer id that is still outstanding", () => {
    const rings = createNetifRings();
    publishRxRequest(rings, 0xbeef);
    publishRxRequest(rings, 0xbeef);
    rings.monitor.scanRings();
    expect(rings.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([["netif.rx.request_id_unique", "frontend"]]);
  });
});
