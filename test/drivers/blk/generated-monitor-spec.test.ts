// Runs runtime/monitor's engine with the monitor description GENERATED from
// protocols/blkif.proto-desc (not the demo's hand-written one): an honest exchange passes, and a
// response carrying an id nobody asked for is blamed on the backend under the exchange's clause.
import { describe, expect, it } from "vitest";
import { createRequest, encodeRequestX86_64, encodeResponseX86_64, createResponse, monitorSpecByAbi, monitorSpecX86_32, monitorSpecX86_64, Operation, Status } from "../../../drivers/blk/generated/blkif.js";
import { ConnectionMonitor, type MonitorGrantInspector, type Violation } from "../../../runtime/monitor/index.js";
import { SharedRingBackend, SharedRingFrontend, computeSharedRingBytes } from "../../../runtime/ring/index.js";
import { VirtualClock } from "../../../runtime/time/index.js";

const frontendDomain = 1;
const backendDomain = 2;

function createMonitoredBlkifRing(grants: MonitorGrantInspector = { isGrantedTo: () => true, isReadOnly: () => false }, featurePersistent: FeaturePersistent = { frontend: false, backend: false }) {
  const ring = monitorSpecX86_64.rings[0];
  if (ring === undefined) throw new Error("the generated blkif spec has no ring");
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const frontend = SharedRingFrontend.initialize(memory, ring.slotBytes, 0);
  const backend = SharedRingBackend.attach(memory, ring.slotBytes, 0);
  const violations: Violation[] = [];
  const monitor = new ConnectionMonitor({
    spec: monitorSpecX86_64,
    parties: [
      { role: "frontend", domainId: frontendDomain, directory: frontendDirectory },
      { role: "backend", domainId: backendDomain, directory: backendDirectory },
    ],
    ringMemories: [memory],
    clock: new VirtualClock(),
    grants,
    onViolation: (violation) => violations.push(violation),
  });
  completeHandshake(monitor, featurePersistent);
  return { ring, frontend, backend, monitor, violations };
}

const frontendDirectory = "/local/domain/1/device/vbd/768";
const backendDirectory = "/local/domain/2/backend/vbd/1/768";

/** Which ends publish feature-persistent = 1 in the handshake. */
interface FeaturePersistent {
  readonly frontend: boolean;
  readonly backend: boolean;
}

/** The blkif handshake as honest parties write it: each publishes its keys, then its state. */
function completeHandshake(monitor: ConnectionMonitor, featurePersistent: FeaturePersistent): void {
  const write = (domain: number, directory: string, key: string, value: string) => monitor.observeStoreWrite(domain, `${directory}/${key}`, value);
  for (const key of ["feature-barrier", "feature-flush-cache", "feature-discard", "max-ring-page-order"]) write(backendDomain, backendDirectory, key, "0");
  write(backendDomain, backendDirectory, "feature-persistent", featurePersistent.backend ? "1" : "0");
  write(backendDomain, backendDirectory, "state", "2");
  write(frontendDomain, frontendDirectory, "feature-persistent", featurePersistent.frontend ? "1" : "0");
  write(frontendDomain, frontendDirectory, "ring-ref", "8");
  write(frontendDomain, frontendDirectory, "event-channel", "5");
  write(frontendDomain, frontendDirectory, "state", "3");
  for (const key of ["sectors", "info", "sector-size"]) write(backendDomain, backendDirectory, key, key === "sector-size" ? "512" : "0");
  write(backendDomain, backendDirectory, "state", "4");
  write(frontendDomain, frontendDirectory, "state", "4");
}

/** A one-segment read request in the x86_64 layout, encoded by the generated encoder. */
function encodeReadRequest(id: number, slotBytes: number): Uint8Array {
  const request = createRequest();
  request.operation = Operation.read;
  request.operationVariant.arm = "read";
  const read = request.operationVariant.read;
  read.nrSegments = 1;
  read.id = id;
  read.sectorNumber = 8 * id;
  const segment = read.seg[0];
  if (segment === undefined) throw new Error("no segment slot");
  segment.gref = 100 + id;
  segment.firstSect = 0;
  segment.lastSect = 7;
  const bytes = new Uint8Array(slotBytes);
  const error = encodeRequestX86_64(request, new DataView(bytes.buffer), 0);
  if (error !== undefined) throw new Error(`encode failed: ${error.code} ${error.fieldPath}`);
  return bytes;
}

function encodeOkayResponse(id: number, responseBytes: number): Uint8Array {
  const response = createResponse();
  response.id = id;
  response.operation = Operation.read;
  response.status = Status.okay;
  const bytes = new Uint8Array(responseBytes);
  const error = encodeResponseX86_64(response, new DataView(bytes.buffer), 0);
  if (error !== undefined) throw new Error(`encode failed: ${error.code}`);
  return bytes;
}

describe("the generated blkif monitorSpec driving ConnectionMonitor", () => {
  it("carries xen-abi.md's geometry for both layouts and maps arm to x86_64", () => {
    expect(monitorSpecX86_64.rings[0]).toMatchObject({ slotBytes: 112, entries: 32, responseBytes: 16, requestId: { offset: 8, widthBytes: 8 }, responseId: { offset: 0, widthBytes: 8 } });
    expect(monitorSpecX86_32.rings[0]).toMatchObject({ slotBytes: 108, entries: 32, responseBytes: 12, requestId: { offset: 4, widthBytes: 8 } });
    expect(monitorSpecByAbi["arm"]).toBe(monitorSpecX86_64);
    const clauseIds = new Set(monitorSpecX86_64.clauses.map((clause) => clause.id));
    for (const clause of monitorSpecX86_64.clauses) expect(clause.specSpan).toMatch(/^protocols\/blkif\.proto-desc:\d+:\d+$/);
    const ring = monitorSpecX86_64.rings[0];
    for (const id of [ring?.requestIndexClauseId, ring?.responseIndexClauseId, ring?.unknownResponseIdClauseId, ring?.deadline?.clauseId, monitorSpecX86_64.lifecycle.illegalTransitionClauseId]) {
      expect(clauseIds.has(id ?? "")).toBe(true);
    }
  });

  it("passes an honest exchange of requests and their responses", () => {
    const connection = createMonitoredBlkifRing();
    const copy = new Uint8Array(connection.ring.slotBytes);
    for (let id = 1; id <= 4; id += 1) connection.frontend.produceRequest(encodeReadRequest(id, connection.ring.slotBytes));
    connection.frontend.pushRequests();
    connection.monitor.scanRings();
    connection.backend.beginRequestBatch();
    while (connection.backend.consumeRequestInto(copy)) {
      const id = Number(new DataView(copy.buffer).getBigUint64(8, true));
      connection.backend.produceResponse(encodeOkayResponse(id, connection.ring.responseBytes));
    }
    connection.backend.pushResponses();
    connection.monitor.scanRings();
    connection.monitor.audit();
    expect(connection.violations).toEqual([]);
    expect(connection.monitor.listOutstandingRequestIds()).toEqual([]);
  });

  it("blames the backend under the generated clause for a response with an unknown id", () => {
    const connection = createMonitoredBlkifRing();
    connection.frontend.produceRequest(encodeReadRequest(7, connection.ring.slotBytes));
    connection.frontend.pushRequests();
    connection.monitor.scanRings();
    connection.backend.beginRequestBatch();
    connection.backend.consumeRequestInto(new Uint8Array(connection.ring.slotBytes));
    connection.backend.produceResponse(encodeOkayResponse(9999, connection.ring.responseBytes));
    connection.backend.pushResponses();
    connection.monitor.scanRings();
    expect(connection.violations.map((violation) => [violation.clauseId, violation.blamedRole, violation.specSpan])).toEqual([
      ["blkif.io.response_id_known", "backend", monitorSpecX86_64.clauses.find((clause) => clause.id === "blkif.io.response_id_known")?.specSpan],
    ]);
  });

  it("blames the frontend for requests before Connected and for a state change the lifecycle does not allow", () => {
    const memory = new Uint8Array(computeSharedRingBytes(0));
    const frontend = SharedRingFrontend.initialize(memory, 112, 0);
    const violations: Violation[] = [];
    const monitor = new ConnectionMonitor({
      spec: monitorSpecX86_64,
      parties: [
        { role: "frontend", domainId: frontendDomain, directory: frontendDirectory },
        { role: "backend", domainId: backendDomain, directory: backendDirectory },
      ],
      ringMemories: [memory],
      clock: new VirtualClock(),
      grants: { isGrantedTo: () => true, isReadOnly: () => false },
      onViolation: (violation) => violations.push(violation),
    });
    // Initialising -> Connected skips the handshake: no such frontend transition exists.
    monitor.observeStoreWrite(frontendDomain, `${frontendDirectory}/state`, "4");
    frontend.produceRequest(encodeReadRequest(1, 112));
    frontend.pushRequests();
    monitor.scanRings();
    expect(violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([
      ["blkif.lifecycle", "frontend"],
      ["blkif.lifecycle_data", "frontend"],
    ]);
  });

  it("blames the frontend under the grant guarantee for an ungranted segment and a read-only read", () => {
    const ungranted = createMonitoredBlkifRing({ isGrantedTo: () => false, isReadOnly: () => false });
    ungranted.frontend.produceRequest(encodeReadRequest(5, ungranted.ring.slotBytes));
    ungranted.frontend.pushRequests();
    ungranted.monitor.scanRings();
    expect(ungranted.violations.map((violation) => [violation.clauseId, violation.blamedRole, violation.evidence.grantReference])).toEqual([["blkif.segments_granted_until_unmapped", "frontend", 105]]);

    const readOnly = createMonitoredBlkifRing({ isGrantedTo: () => true, isReadOnly: () => true });
    readOnly.frontend.produceRequest(encodeReadRequest(6, readOnly.ring.slotBytes));
    readOnly.frontend.pushRequests();
    readOnly.monitor.scanRings();
    expect(readOnly.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([["blkif.segments_granted_until_unmapped.writable", "frontend"]]);
  });

  it("blames the backend for a response leaking stale bytes through its padding (XSA-216)", () => {
    const connection = createMonitoredBlkifRing();
    connection.frontend.produceRequest(encodeReadRequest(2, connection.ring.slotBytes));
    connection.frontend.pushRequests();
    connection.monitor.scanRings();
    connection.backend.beginRequestBatch();
    connection.backend.consumeRequestInto(new Uint8Array(connection.ring.slotBytes));
    const response = encodeOkayResponse(2, connection.ring.responseBytes);
    response[13] = 0x5a;
    connection.backend.produceResponse(response);
    connection.backend.pushResponses();
    connection.monitor.scanRings();
    expect(connection.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([["blkif.response_padding_zero", "backend"]]);
  });

  it("carries unmapped_before_response's persistent-grants exemption on both layouts", () => {
    for (const spec of [monitorSpecX86_64, monitorSpecX86_32]) {
      expect(spec.rings[0]?.grants?.stillMappedAtResponseClauseId).toBe("blkif.unmapped_before_response");
      expect(spec.rings[0]?.grants?.unmapExemptions).toEqual([
        [
          { role: "frontend", key: "feature-persistent", expected: true, valueWhenAbsent: false },
          { role: "backend", key: "feature-persistent", expected: true, valueWhenAbsent: false },
        ],
      ]);
    }
  });

  it.each<[FeaturePersistent, string[][]]>([
    [{ frontend: true, backend: true }, []],
    [{ frontend: true, backend: false }, [["blkif.unmapped_before_response", "backend"]]],
    [{ frontend: false, backend: true }, [["blkif.unmapped_before_response", "backend"]]],
    [{ frontend: false, backend: false }, [["blkif.unmapped_before_response", "backend"]]],
  ])("judges a response with its segment still mapped by the feature-persistent keys (%o)", (featurePersistent, expected) => {
    const connection = createMonitoredBlkifRing(undefined, featurePersistent);
    const copy = new Uint8Array(connection.ring.slotBytes);
    for (const id of [1, 2]) {
      connection.frontend.produceRequest(encodeReadRequest(id, connection.ring.slotBytes));
      connection.frontend.pushRequests();
      connection.monitor.scanRings();
      connection.backend.beginRequestBatch();
      connection.backend.consumeRequestInto(copy);
      // The backend maps the segment (grant reference 100 + id) and keeps it mapped past its response.
      connection.monitor.observeHypervisorOperation({ kind: "grant-map", mapper: backendDomain, granter: frontendDomain, reference: 100 + id });
      connection.backend.produceResponse(encodeOkayResponse(id, connection.ring.responseBytes));
      connection.backend.pushResponses();
      connection.monitor.scanRings();
    }
    expect(connection.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual(expected);
    // Exempted responses complete their requests; a blamed one leaves its request in the table.
    expect(connection.monitor.listOutstandingRequestIds().length).toBe(expected.length === 0 ? 0 : 2);
  });

  it("reports the clause a generated validator names for an out-of-frame segment", () => {
    const connection = createMonitoredBlkifRing();
    const request = encodeReadRequest(3, connection.ring.slotBytes);
    request[24 + 5] = 9;
    connection.frontend.produceRequest(request);
    connection.frontend.pushRequests();
    connection.monitor.scanRings();
    expect(connection.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([["blkif.Segment.sectors_within_frame", "frontend"]]);
  });
});
