// Keeps the monitor-workers benchmark honest: the same two-worker exchange, a few hundred
// messages, must answer every request once and in order with both party monitors checking every
// message and blaming nobody; a tampered response and a tampered request must be blamed on the
// party that sent them. Needs dist/ (npx tsc -p .): the domains run compiled programs.

import { describe, expect, it } from "vitest";
import { runTwoWorkerBlkifExchange } from "../../bench/support/two-worker-blkif-exchange.js";

const phases = [
  { monitored: true, work: "codec", messages: 300 },
  { monitored: false, work: "ring", messages: 100 },
  { monitored: true, work: "ring", messages: 200 },
] as const;

describe("two-worker blkif exchange", () => {
  it("answers every request once and in order, and both monitors check every message without blame", async () => {
    const result = await runTwoWorkerBlkifExchange({ phases, window: 8 });
    expect(result.frontendThreadId).not.toBe(result.backendThreadId);
    for (const side of [result.frontend, result.backend]) {
      expect(side.messagesHandled).toBe(600);
      expect(side.phaseMilliseconds).toHaveLength(3);
      expect(side.peerMessagesChecked).toBe(500);
      expect(side.ownMessagesRecorded).toBe(500);
      expect(side.outstandingAtEnd).toBe(0);
      expect(side.refusedMessages).toBe(0);
      expect(side.violations).toEqual([]);
    }
    expect(result.frontend.outOfOrderResponses).toBe(0);
  });

  it("the frontend's monitor blames the backend for a response with non-zero padding", async () => {
    const result = await runTwoWorkerBlkifExchange({ phases, window: 8, tamperResponseAt: 123 });
    expect(result.frontend.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([["blkif.response_padding_zero", "backend"]]);
    expect(result.frontend.refusedMessages).toBe(1);
    expect(result.backend.violations).toEqual([]);
    expect(result.frontend.messagesHandled).toBe(600);
  });

  it("the backend's monitor blames the frontend for a read without segments, and refuses to serve it", async () => {
    const result = await runTwoWorkerBlkifExchange({ phases, window: 8, tamperRequestAt: 57 });
    expect(result.backend.violations.map((violation) => [violation.clauseId, violation.blamedRole])).toEqual([["blkif.Request.data_needs_segments", "frontend"]]);
    expect(result.backend.refusedMessages).toBe(1);
    expect(result.frontend.violations).toEqual([]);
    expect(result.frontend.messagesHandled).toBe(600);
  });
});
