// The real block drivers with persistent grants, policed with the monitor spec generated from
// protocols/blkif.proto-desc: BlockBackend keeps every pool page mapped across its responses,
// which blkif.unmapped_before_response allows once both ends published feature-persistent = 1,
// so a mixed workload ends without a verdict; with one end offering them, grants are mapped per
// request and the run is just as quiet.

import { describe, expect, it } from "vitest";
import { BlockBackend, BlockFrontend, MemoryDisk, type BlockAbiName } from "../../../drivers/blk/index.js";
import { monitorSpecX86_32, monitorSpecX86_64 } from "../../../drivers/blk/generated/blkif.js";
import type { ConnectionProblem } from "../../../runtime/connection/index.js";
import { Policer, type PolicerVerdict } from "../../../runtime/policer/index.js";
import { decodeStoreWrite } from "../../../runtime/policer/store-request-decoding.js";
import { XsMessageType } from "../../../runtime/store/wire-types.js";
import { MemoryAuditSink } from "../../policer/blkif-host.js";
import { createInProcessSplitHarness } from "../../runtime/connection/in-process-harness.js";
import { runMixedBlockWorkload } from "./mixed-block-workload.js";

const diskSectors = 4096;
const connectionName = "vbd/policed";

async function runPolicedPair(seed: number, abi: BlockAbiName, frontendOffers: boolean, backendOffers: boolean) {
  const harness = createInProcessSplitHarness(seed, "vbd", 51760);
  const clock = harness.execution.scheduler.clock;
  const verdicts: PolicerVerdict[] = [];
  const policer = new Policer({ hypervisor: harness.execution.hypervisor, store: harness.store, clock, audit: new MemoryAuditSink(clock), onVerdict: (verdict) => verdicts.push(verdict) });
  // The policer attaches the moment the frontend publishes its ring reference, so it sees the rest of the handshake.
  const attachProblems: string[] = [];
  const stopWatching = harness.store.onRequestHandled((handled) => {
    if (handled.domainId !== harness.frontendDomainId || handled.reply.type === XsMessageType.error) return;
    const write = decodeStoreWrite(handled.request.type, handled.request.payload, handled.domainId);
    if (write === null || write.path !== `${harness.frontendPath}/ring-ref` || policer.statusOf(connectionName) !== undefined) return;
    const attached = policer.attach({
      name: connectionName,
      spec: abi === "x86_32-abi" ? monitorSpecX86_32 : monitorSpecX86_64,
      parties: [
        { role: "frontend", domainId: harness.frontendDomainId, directory: harness.frontendPath },
        { role: "backend", domainId: harness.backendDomainId, directory: harness.backendPath },
      ],
      ringPages: [{ granterRole: "frontend", references: [Number(write.value)] }],
      // The write that triggered the attach sits in the frontend's open transaction, which the
      // policer's own store read cannot see yet.
      writesInFlight: [{ domainId: handled.domainId, path: write.path, value: write.value }],
    });
    if (!attached.ok) attachProblems.push(attached.reason);
  });
  const problems: ConnectionProblem[] = [];
  const backend = new BlockBackend(harness.execution.contextFor(harness.backendDomainId), {
    store: harness.connectStoreFor(harness.backendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    frontendDomainId: harness.frontendDomainId,
    disk: new MemoryDisk(diskSectors),
    maximumRingPageOrder: 0,
    persistentGrants: backendOffers,
    onProblem: (problem) => problems.push(problem),
  });
  const frontend = new BlockFrontend(harness.execution.contextFor(harness.frontendDomainId), {
    store: harness.connectStoreFor(harness.frontendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    backendDomainId: harness.backendDomainId,
    abi,
    ringPageOrder: 0,
    persistentGrants: frontendOffers,
    onProblem: (problem) => problems.push(problem),
  });
  await harness.settle(backend.start());
  await harness.settle(frontend.connect());
  stopWatching();
  expect(attachProblems).toEqual([]);
  expect(policer.statusOf(connectionName)).toBe("policed");
  const counts = await runMixedBlockWorkload(frontend, { total: 600, window: 16, seed: seed + 1, diskSectors }, (promise) => harness.settle(promise));
  policer.auditAll();
  const mappedAtEnd = backend.persistentMappingCount;
  const observations = policer.monitorOf(connectionName)?.countObservations();
  await harness.settle(frontend.close());
  policer.auditAll();
  return { frontend, counts, verdicts, problems, mappedAtEnd, observations, status: policer.statusOf(connectionName) };
}

describe("persistent grants of the real drivers under the policer", () => {
  it.each<BlockAbiName>(["x86_64-abi", "x86_32-abi"])("keeps pool pages mapped across responses without a verdict (%s)", async (abi) => {
    const run = await runPolicedPair(61, abi, true, true);
    expect(run.counts.mismatches).toBe(0);
    expect(run.mappedAtEnd).toBeGreaterThan(0);
    // The policer did judge responses while the backend held those mappings.
    expect(run.observations?.observedResponses ?? 0).toBeGreaterThan(100);
    expect(run.verdicts).toEqual([]);
    expect(run.problems).toEqual([]);
    expect(run.status).toBe("policed");
  });

  it("maps per request without a verdict when only the frontend offers them", async () => {
    const run = await runPolicedPair(62, "x86_64-abi", true, false);
    expect(run.frontend.usesPersistentGrants).toBe(false);
    expect(run.mappedAtEnd).toBe(0);
    expect(run.counts.mismatches).toBe(0);
    expect(run.verdicts).toEqual([]);
    expect(run.problems).toEqual([]);
  });
});
