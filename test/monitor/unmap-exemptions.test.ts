// The ConnectionMonitor's unmap exemptions as data: any one conjunction of store-key conditions
// waives the unmap-before-response check; keys read as xenbus booleans with their declared
// default while absent, negated keys must read false, and an unknown role is refused at
// construction. Runs the generated blkif spec with its exemptions replaced.
import { describe, expect, it } from "vitest";
import { createRequest, createResponse, encodeRequestX86_64, encodeResponseX86_64, monitorSpecX86_64, Operation, Status } from "../../drivers/blk/generated/blkif.js";
import { ConnectionMonitor, type MonitorSpec, type MonitorStoreKeyCondition, type Violation } from "../../runtime/monitor/index.js";
import { computeSharedRingBytes, SharedRingBackend, SharedRingFrontend } from "../../runtime/ring/index.js";
import { VirtualClock } from "../../runtime/time/index.js";

const frontendDomain = 1;
const backendDomain = 2;
const frontendDirectory = "/local/domain/1/device/vbd/768";
const backendDirectory = "/local/domain/2/backend/vbd/1/768";

function withExemptions(exemptions: readonly (readonly MonitorStoreKeyCondition[])[]): MonitorSpec {
  const ring = monitorSpecX86_64.rings[0];
  if (ring?.grants === undefined) throw new Error("the generated blkif spec has no grant obligation");
  return { ...monitorSpecX86_64, rings: [{ ...ring, grants: { ...ring.grants, unmapExemptions: exemptions } }] };
}

function createMonitor(spec: MonitorSpec) {
  const memory = new Uint8Array(computeSharedRingBytes(0));
  const slotBytes = spec.rings[0]?.slotBytes ?? 0;
  const frontend = SharedRingFrontend.initialize(memory, slotBytes, 0);
  const backend = SharedRingBackend.attach(memory, slotBytes, 0);
  const violations: Violation[] = [];
  const monitor = new ConnectionMonitor({
    spec,
    parties: [
      { role: "frontend", domainId: frontendDomain, directory: frontendDirectory },
      { role: "backend", domainId: backendDomain, directory: backendDirectory },
    ],
    ringMemories: [memory],
    clock: new VirtualClock(),
    grants: { isGrantedTo: () => true, isReadOnly: () => false },
    onViolation: (violation) => violations.push(violation),
  });
  return { monitor, frontend, backend, violations, slotBytes, responseBytes: spec.rings[0]?.responseBytes ?? 0 };
}

/** Publishes `keys` (frontend's, then backend's) and runs the handshake to both Connected. */
function connect(monitor: ConnectionMonitor, keys: { readonly frontend?: Record<string, string>; readonly backend?: Record<string, string> }): void {
  const write = (domain: number, directory: string, key: string, value: string) => monitor.observeStoreWrite(domain, `${directory}/${key}`, value);
  for (const key of ["feature-barrier", "feature-flush-cache", "feature-discard", "feature-persistent", "max-ring-page-order"]) write(backendDomain, backendDirectory, key, "0");
  for (const [key, value] of Object.entries(keys.backend ?? {})) write(backendDomain, backendDirectory, key, value);
  write(backendDomain, backendDirectory, "state", "2");
  for (const [key, value] of Object.entries(keys.frontend ?? {})) write(frontendDomain, frontendDirectory, key, value);
  write(frontendDomain, frontendDirectory, "ring-ref", "8");
  write(frontendDomain, frontendDirectory, "event-channel", "5");
  write(frontendDomain, frontendDirectory, "state", "3");
  for (const key of ["sectors", "info", "sector-size"]) write(backendDomain, backendDirectory, key, key === "sector-size" ? "512" : "0");
  write(backendDomain, backendDirectory, "state", "4");
  write(frontendDomain, frontendDirectory, "state", "4");
}

/** One one-segment read answered while the backend still maps its segment; the clauses blamed. */
function answerStillMapped(setup: ReturnType<typeof createMonitor>): string[] {
  const request = createRequest();
  request.operation = Operation.read;
  request.operationVariant.arm = "read";
  const read = request.operationVariant.read;
  read.nrSegments = 1;
  read.id = 1;
  const segment = read.seg[0];
  if (segment === undefined) throw new Error("no segment slot");
  segment.gref = 77;
  segment.lastSect = 7;
  const slot = new Uint8Array(setup.slotBytes);
  expect(encodeRequestX86_64(request, new DataView(slot.buffer), 0)).toBeUndefined();
  setup.frontend.produceRequest(slot);
  setup.frontend.pushRequests();
  setup.monitor.scanRings();
  setup.backend.beginRequestBatch();
  setup.backend.consumeRequestInto(new Uint8Array(setup.slotBytes));
  setup.monitor.observeHypervisorOperation({ kind: "grant-map", mapper: backendDomain, granter: frontendDomain, reference: 77 });
  const response = createResponse();
  response.id = 1;
  response.operation = Operation.read;
  response.status = Status.okay;
  const bytes = new Uint8Array(setup.responseBytes);
  expect(encodeResponseX86_64(response, new DataView(bytes.buffer), 0)).toBeUndefined();
  setup.backend.produceResponse(bytes);
  setup.backend.pushResponses();
  setup.monitor.scanRings();
  return setup.violations.map((violation) => `${violation.clauseId} -> ${violation.blamedRole}`);
}

const blamed = ["blkif.unmapped_before_response -> backend"];

describe("unmap exemptions of a MonitorSpec", () => {
  const twoWays = withExemptions([
    [
      { role: "frontend", key: "feature-keep", expected: true, valueWhenAbsent: false },
      { role: "backend", key: "legacy-unmap", expected: false, valueWhenAbsent: true },
    ],
    [{ role: "backend", key: "always-keep", expected: true, valueWhenAbsent: false }],
  ]);

  it.each<[string, { frontend?: Record<string, string>; backend?: Record<string, string> }, string[]]>([
    ["no key written: the negated key's default (true) and the absent ones hold nothing", {}, blamed],
    ["the first conjunction holds", { frontend: { "feature-keep": "1" }, backend: { "legacy-unmap": "0" } }, []],
    ["half of the first conjunction", { frontend: { "feature-keep": "1" } }, blamed],
    ["the second disjunct alone", { backend: { "always-keep": "1" } }, []],
    ["any non-zero integer is true", { backend: { "always-keep": "7" } }, []],
    ["text that is not a xenbus boolean offers nothing", { backend: { "always-keep": "yes" } }, blamed],
    ["a key of the other role does not count", { frontend: { "always-keep": "1" } }, blamed],
  ])("%s", (_name, keys, expected) => {
    const setup = createMonitor(twoWays);
    connect(setup.monitor, keys);
    expect(answerStillMapped(setup)).toEqual(expected);
  });

  it("lists the keys it judges by, under each role's directory: the exemptions' keys, then the store key clauses'", () => {
    const clausePaths = [...new Set((monitorSpecX86_64.storeKeyClauses?.slots ?? []).map((slot) => `${slot.role === "frontend" ? frontendDirectory : backendDirectory}/${slot.key}`))];
    expect(clausePaths).toContain(`${backendDirectory}/sector-size`);
    expect(createMonitor(twoWays).monitor.listJudgedStorePaths()).toEqual([`${frontendDirectory}/feature-keep`, `${backendDirectory}/legacy-unmap`, `${backendDirectory}/always-keep`, ...clausePaths]);
    expect(createMonitor(withExemptions([])).monitor.listJudgedStorePaths()).toEqual(clausePaths);
  });

  it("refuses an exemption naming a role the spec does not have", () => {
    expect(() => createMonitor(withExemptions([[{ role: "toolstack", key: "feature-keep", expected: true, valueWhenAbsent: false }]]))).toThrow(RangeError);
  });
});
