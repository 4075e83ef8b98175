// An honest blkif connection under the policer, on each ABI: handshake and traffic are never
// blamed by the generated MonitorSpec, and the monitor sees every request answered exactly once.

import { describe, expect, it } from "vitest";
import { collectResponses, createBlkifHost, issueRequest, serveRequests, connectionName, type BlkifAbi } from "./blkif-host.js";

describe("an honest blkif connection", () => {
  for (const abi of ["x86_64", "x86_32"] as const satisfies readonly BlkifAbi[]) {
    it(`runs a handshake and 200 requests without a verdict (${abi})`, () => {
      const host = createBlkifHost({ abi });
      for (let round = 0; round < 20; round += 1) {
        for (let request = 0; request < 10; request += 1) issueRequest(host, round % 2, 1 + (request % 3));
        host.clock.advanceBy(10);
        expect(serveRequests(host)).toBe(10);
        expect(collectResponses(host)).toHaveLength(10);
        host.policer.auditAll();
      }
      host.clock.advanceBy(2 * (host.wire.ring.deadline?.milliseconds ?? 0));
      host.policer.auditAll();
      expect(host.verdicts).toEqual([]);
      expect(host.policer.monitorOf(connectionName)?.violations).toEqual([]);
      expect(host.policer.statusOf(connectionName)).toBe("policed");
      expect(host.policer.monitorOf(connectionName)?.listOutstandingRequestIds()).toEqual([]);
    });
  }
});
