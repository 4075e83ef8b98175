// An honest blkif connection under the policer: handshake and traffic are never blamed, and
// the monitor sees every request answered exactly once.

import { describe, expect, it } from "vitest";
import { collectResponses, createBlkifHost, issueRequest, serveRequests, connectionName } from "./blkif-host.js";

describe("an honest blkif connection", () => {
  it("runs a handshake and 200 requests without a verdict", () => {
    const host = createBlkifHost();
    for (let round = 0; round < 20; round += 1) {
      for (let request = 0; request < 10; request += 1) issueRequest(host, round % 2, 1 + (request % 3));
      host.clock.advanceBy(10);
      expect(serveRequests(host)).toBe(10);
      expect(collectResponses(host)).toHaveLength(10);
      host.policer.auditAll();
    }
    host.clock.advanceBy(10_000);
    host.policer.auditAll();
    expect(host.verdicts).toEqual([]);
    expect(host.policer.statusOf(connectionName)).toBe("policed");
    expect(host.policer.monitorOf(connectionName)?.listOutstandingRequestIds()).toEqual([]);
  });
});
