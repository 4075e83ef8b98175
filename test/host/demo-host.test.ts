// The demo host in-process over several seeds: whatever the traffic mix, the honest phases
// are never blamed, each attack is blamed on its author, and the audit log records it all.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lowerHost } from "../../compiler/host/lower-host.js";
import { describeDemoBlkifProtocolX86_64 } from "../../drivers/blk/demo-blkif-protocol.js";
import { runDemoHost } from "../../runtime/host/demo-host.js";
import type { DemoTimelineEvent } from "../../runtime/host/demo-timeline.js";
import { bundledHostFiles, checkSpecFiles } from "./checked-bundled-host.js";

const { program } = checkSpecFiles(bundledHostFiles);
if (program.model === undefined) throw new Error("the bundled host does not check");
const host = lowerHost({ model: program.model, sources: program.sources }).value;
const blkif = describeDemoBlkifProtocolX86_64();
if (host === undefined) throw new Error("the bundled host does not lower");

async function runWithSeed(seed: number): Promise<{ readonly events: DemoTimelineEvent[]; readonly summary: Awaited<ReturnType<typeof runDemoHost>> }> {
  const directory = mkdtempSync(join(tmpdir(), "proto-desc-demo-host-"));
  const events: DemoTimelineEvent[] = [];
  try {
    const summary = await runDemoHost({
      policy: host!.policy,
      policyFile: host!.policyFile,
      resourceClasses: host!.resourceClasses,
      blkif,
      seed,
      socketPath: join(directory, "store.sock"),
      auditLogPath: join(directory, "audit.jsonl"),
      emit: (event) => events.push(event),
    });
    return { events, summary };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe("the demo host", () => {
  it("blames only the attackers, whatever the seed", async () => {
    for (const seed of [0, 3, 99, 4_000_000_000]) {
      const { summary } = await runWithSeed(seed);
      expect(summary.honestBlames, `seed ${seed}`).toBe(0);
      expect(summary.verdicts.map((verdict) => [verdict.scenario, verdict.blamedRole, verdict.blamedDomainId, verdict.confirmed])).toEqual([
        ["malicious-frontend", "frontend", 2, true],
        ["malicious-backend", "backend", 1, true],
        ["false-complaint", "backend", 1, false],
      ]);
      // The two reads the leaky backend never answered are always re-issued; the answered one
      // too when the reset reached the frontend driver before it took that response.
      expect([2, 3], `seed ${seed}`).toContain(summary.requestsReissued);
      expect(summary.requestsAnswered).toBeGreaterThan(20);
      expect(summary.policyDenials).toEqual(["chinese-wall:conflict-set/banks", "default-deny:no-permission/vbd/provide", "type-enforcement:disjoint-types"]);
      // Decisions, complaints, verdicts and resets all reach the audit log.
      expect(summary.auditRecords).toBeGreaterThan(summary.verdicts.length * 2);
    }
  });

  it("reads the protocol description back through the store daemon's socket", async () => {
    const { events } = await runWithSeed(1);
    const description = events.find((event) => event.stage === "connect" && event.detail["protocol"] !== undefined);
    expect(description?.detail).toMatchObject({ protocol: "blkif", version: "1", specHash: host.resourceClasses[0]?.protocol.specHash });
    expect(`sha256:${String(description?.detail["specHash"])}`).toBe(blkif.specHash);
  });

  it("runs the honest phase on the real block drivers: handshake, traffic read back intact, close and disconnect, nobody blamed", async () => {
    const { events, summary } = await runWithSeed(2);
    const honest = events.filter((event) => event.scenario === "honest");
    expect(honest.map((event) => event.stage)).toEqual(["connect", "handshake", "connect", "traffic", "connect"]);
    expect(honest[1]?.detail["drivers"]).toBe(true);
    // Both drivers offer persistent grants: the backend keeps the frontend's pool pages mapped across responses, unblamed.
    expect(honest[1]?.detail["persistentGrants"]).toBe(true);
    expect(honest[3]?.detail).toMatchObject({ drivers: true, outstanding: 0 });
    expect(Number(honest[3]?.detail["answered"])).toBeGreaterThanOrEqual(12);
    expect(honest[4]?.detail).toMatchObject({ connection: "vbd/2/51712", disconnected: true });
    expect(summary.honestBlames).toBe(0);
  });

  it("faces the malicious frontend with the real backend driver, which notices the ring fault and leaves the connection", async () => {
    const { events } = await runWithSeed(3);
    const attacked = events.filter((event) => event.scenario === "malicious-frontend");
    expect(attacked.map((event) => event.stage).slice(0, 6)).toEqual(["connect", "handshake", "attack", "violation", "verdict", "reset"]);
    expect(attacked[1]?.detail["drivers"]).toBe("backend");
    expect(attacked[4]?.detail).toMatchObject({ clause: "blkif.request_index_sane", blamedRole: "frontend", confirmed: true });
    expect(attacked[5]?.detail).toMatchObject({ frontendState: "6", backendState: "5", backendDriverProblems: ["connection-ring-fault"] });
  });

  it("faces the leaky backend with the real frontend driver, which re-issues its in-flight reads to a fresh backend driver", async () => {
    const { events } = await runWithSeed(4);
    const leaky = events.filter((event) => event.scenario === "malicious-backend");
    expect(leaky.map((event) => event.stage)).toEqual(["connect", "handshake", "attack", "violation", "verdict", "reset", "connect", "recovery", "connect"]);
    expect(leaky[1]?.detail["drivers"]).toBe("frontend");
    expect(leaky[4]?.detail).toMatchObject({ clause: "blkif.response_padding_zero", blamedRole: "backend", confirmed: true });
    expect(leaky[5]?.detail).toMatchObject({ backendState: "6", frontendDriverOutstanding: 2 });
    expect(leaky[7]?.detail).toMatchObject({ reissued: 2, answered: 3, frontendConnections: 2, drivers: true });
    expect(leaky[8]?.detail).toMatchObject({ disconnected: true });
  });

  it("connects every vbd through the store daemon's socket, where the hosted broker decides", async () => {
    const { events } = await runWithSeed(1);
    const connects = events.filter((event) => event.stage === "connect" && event.detail["connection"] !== undefined && event.detail["disconnected"] === undefined);
    expect(connects).toHaveLength(7);
    for (const connect of connects) {
      expect(connect.message).toContain("sent proto-desc-connect over the daemon's socket");
      expect(connect.detail["checks"]).toContain("rbac-permission:privileged/*/connect");
    }
    const denied = events.find((event) => event.stage === "denied" && event.detail["backend"] !== undefined);
    expect(denied?.message).toContain("Store daemon's broker denied proto-desc-connect vbd bank-a-payroll <- network-domain");
  });
});
