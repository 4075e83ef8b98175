// ConnectionMonitor.readRingsFrom: after switching to a private copy of the ring, the monitor
// judges the copy and ignores later writes to the live page; bad views are refused whole.

import { describe, expect, it } from "vitest";
import { ConnectionMonitor } from "../../runtime/monitor/index.js";
import { computeSharedRingBytes } from "../../runtime/ring/index.js";
import { VirtualClock } from "../../runtime/time/index.js";
import { describeBlkifWire } from "../policer/blkif-wire.js";

const blkif = describeBlkifWire("x86_64");

function createMonitor(memory: Uint8Array): { readonly monitor: ConnectionMonitor; readonly violations: string[] } {
  const violations: string[] = [];
  const monitor = new ConnectionMonitor({
    spec: blkif.spec,
    parties: [
      { role: "frontend", domainId: 1, directory: "/fe" },
      { role: "backend", domainId: 2, directory: "/be" },
    ],
    ringMemories: [memory],
    clock: new VirtualClock(),
    grants: { isGrantedTo: () => true, isReadOnly: () => false },
    onViolation: (violation) => violations.push(`${violation.clauseId} -> ${violation.blamedRole}`),
  });
  monitor.states.fill(4);
  return { monitor, violations };
}

function setRequestProducer(memory: Uint8Array, value: number): void {
  new DataView(memory.buffer, memory.byteOffset).setUint32(0, value, true);
}

describe("ConnectionMonitor.readRingsFrom", () => {
  it("judges the copy, not the live page written afterwards", () => {
    const live = new Uint8Array(computeSharedRingBytes(0));
    const { monitor, violations } = createMonitor(live);
    setRequestProducer(live, blkif.entries + 4);
    const copy = live.slice();
    monitor.readRingsFrom([copy]);
    setRequestProducer(live, 0);
    monitor.audit();
    expect(violations).toEqual(["blkif.request_index_sane -> frontend"]);
  });

  it("ignores a violation written to the live page after the switch", () => {
    const live = new Uint8Array(computeSharedRingBytes(0));
    const { monitor, violations } = createMonitor(live);
    monitor.readRingsFrom([live.slice()]);
    setRequestProducer(live, blkif.entries + 4);
    monitor.audit();
    expect(violations).toEqual([]);
  });

  it("refuses a wrong number of views, a view too small or misaligned, and keeps reading the old one", () => {
    const live = new Uint8Array(computeSharedRingBytes(0));
    const { monitor, violations } = createMonitor(live);
    expect(() => monitor.readRingsFrom([])).toThrow(RangeError);
    expect(() => monitor.readRingsFrom([new Uint8Array(128)])).toThrow(RangeError);
    expect(() => monitor.readRingsFrom([new Uint8Array(live.byteLength + 2).subarray(2)])).toThrow(RangeError);
    setRequestProducer(live, blkif.entries + 4);
    monitor.audit();
    expect(violations).toEqual(["blkif.request_index_sane -> frontend"]);
  });
});
