// The monitor's judge of store key clauses (runtime/monitor/store-key-checks.ts) over the
// generated blkif table: it blames the writer of a breaking value, judges a clause left
// undecided when its role enters the state that publishes the key, never blames a role for a key
// its peer has not published, cannot be framed by a peer rewriting an announced key, and starts
// over when a role returns to Initialising or Closed. Also through a whole ConnectionMonitor.

import { describe, expect, it } from "vitest";
import { monitorSpecX86_64, storeKeyClauses } from "../../drivers/blk/generated/blkif.js";
import { ConnectionMonitor, type Violation } from "../../runtime/monitor/index.js";
import { StoreKeyClauseJudge } from "../../runtime/monitor/store-key-checks.js";
import { VirtualClock } from "../../runtime/time/index.js";

const frontend = 0;
const backend = 1;
const initialising = 1;
const initWait = 2;
const initialised = 3;
const connected = 4;
const closed = 6;

function createJudge(): StoreKeyClauseJudge {
  return new StoreKeyClauseJudge(storeKeyClauses, ["frontend", "backend"]);
}

/** Clause id broken by a party's write, or undefined. */
function write(judge: StoreKeyClauseJudge, party: number, key: string, text: string): string | undefined {
  return judge.observeKeyWrite(party, key, text, false)?.clauseId;
}

function enter(judge: StoreKeyClauseJudge, party: number, state: number): string | undefined {
  return judge.observeStateEntered(party, state, false)?.clauseId;
}

describe("store key clause judge", () => {
  it("a constant bound: blamed on the write that breaks it, not on one that keeps it", () => {
    const judge = createJudge();
    expect(write(judge, backend, "max-ring-page-order", "4")).toBeUndefined();
    expect(write(judge, backend, "max-ring-page-order", "5")).toBe("blkif.backend.max-ring-page-order");
    expect(write(judge, backend, "feature-max-indirect-segments", "4097")).toBe("blkif.backend.feature-max-indirect-segments");
  });

  it("a power of two: 1536 and a malformed text break it, 4096 keeps it", () => {
    const judge = createJudge();
    expect(write(judge, backend, "sector-size", "4096")).toBeUndefined();
    expect(write(judge, backend, "sector-size", "1536")).toBe("blkif.backend.sector-size");
    expect(write(judge, backend, "sector-size", "lots")).toBe("blkif.backend.sector-size");
  });

  it("a key against another key of its role: undecided until both are written, judged on the later write", () => {
    const judge = createJudge();
    expect(write(judge, backend, "physical-sector-size", "256")).toBeUndefined();
    expect(write(judge, backend, "sector-size", "512")).toBe("blkif.backend.physical-sector-size");
  });

  it("an undecided clause is judged when its role enters the state that publishes a key it reads", () => {
    const judge = createJudge();
    // one_ring_naming reads ring-ref, which names the ring with event-channel, published for Initialised.
    expect(enter(judge, backend, initWait)).toBeUndefined();
    expect(write(judge, frontend, "event-channel", "5")).toBeUndefined();
    expect(enter(judge, frontend, initialised)).toBe("blkif.frontend.one_ring_naming");
    const honest = createJudge();
    expect(write(honest, frontend, "ring-ref", "8")).toBeUndefined();
    expect(enter(honest, frontend, initialised)).toBeUndefined();
    expect(write(honest, frontend, "ring-page-order", "0")).toBe("blkif.frontend.one_ring_naming");
  });

  it("a frontend key against the backend's offer: blamed on the frontend, with defaults for keys the backend never wrote", () => {
    const judge = createJudge();
    write(judge, backend, "max-ring-page-order", "1");
    enter(judge, backend, initWait);
    expect(write(judge, frontend, "ring-page-order", "1")).toBeUndefined();
    expect(write(judge, frontend, "ring-page-order", "2")).toBe("blkif.frontend.ring-page-order");
    // max-ring-page-order defaults to 0: a frontend asking more of a silent backend broke the clause.
    const silent = createJudge();
    expect(write(silent, frontend, "ring-page-order", "1")).toBe("blkif.frontend.ring-page-order");
  });

  it("never blames a role for a peer key absent without default", () => {
    const judge = createJudge();
    enter(judge, backend, initWait);
    expect(write(judge, frontend, "multi-queue-num-queues", "4")).toBeUndefined();
    // A conjunct that reads no absent key still decides: zero queues is broken whatever the backend offers.
    expect(createJudge().observeKeyWrite(frontend, "multi-queue-num-queues", "0", false)?.clauseId).toBe("blkif.frontend.multi-queue-num-queues");
    // The backend publishing a lower maximum afterwards does not re-judge the frontend's write.
    expect(write(judge, backend, "multi-queue-max-queues", "2")).toBeUndefined();
    write(judge, frontend, "ring-ref", "8");
    expect(enter(judge, frontend, initialised)).toBeUndefined();
  });

  it("a peer that rewrites its announced key cannot frame the writer; a broken offer both ways blames it", () => {
    const judge = createJudge();
    write(judge, backend, "max-ring-page-order", "4");
    enter(judge, backend, initWait);
    // The frontend read 4; the backend lowers it before the frontend's write lands.
    write(judge, backend, "max-ring-page-order", "0");
    expect(write(judge, frontend, "ring-page-order", "2")).toBeUndefined();
    // Above both the announced offer and the current one: blamed.
    expect(write(judge, frontend, "ring-page-order", "5")).toBe("blkif.frontend.ring-page-order");
  });

  it("a toolstack write updates values without blame, and Initialising or Closed starts a new session", () => {
    const judge = createJudge();
    expect(judge.observeKeyWrite(backend, "sector-size", "7", true)).toBeUndefined();
    const namedTwice = createJudge();
    write(namedTwice, frontend, "ring-page-order", "0");
    enter(namedTwice, frontend, closed);
    enter(namedTwice, frontend, initialising);
    // The stale ring-page-order of the last session does not count: naming by ring-ref alone is honest.
    expect(write(namedTwice, frontend, "ring-ref", "9")).toBeUndefined();
    expect(enter(namedTwice, frontend, initialised)).toBeUndefined();
    expect(enter(namedTwice, frontend, connected)).toBeUndefined();
  });
});

describe("a ConnectionMonitor with the generated blkif spec", () => {
  const frontendDirectory = "/local/domain/1/device/vbd/51712";
  const backendDirectory = "/local/domain/2/backend/vbd/1/51712";

  function createMonitor(): { monitor: ConnectionMonitor; violations: Violation[] } {
    const violations: Violation[] = [];
    const ring = new Uint8Array(64 + monitorSpecX86_64.rings[0]!.entries * monitorSpecX86_64.rings[0]!.slotBytes);
    const monitor = new ConnectionMonitor({
      spec: monitorSpecX86_64,
      parties: [
        { role: "frontend", domainId: 1, directory: frontendDirectory },
        { role: "backend", domainId: 2, directory: backendDirectory },
      ],
      ringMemories: [ring],
      clock: new VirtualClock(),
      grants: { isGrantedTo: () => true, isReadOnly: () => false },
      onViolation: (violation) => violations.push(violation),
    });
    return { monitor, violations };
  }

  it("blames the backend for sector-size 7 with the clause's location and the value in the evidence", () => {
    const { monitor, violations } = createMonitor();
    monitor.observeStoreWrite(2, `${backendDirectory}/sector-size`, "7");
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ clauseId: "blkif.backend.sector-size", blamedRole: "backend", specSpan: expect.stringMatching(/^protocols\/blkif\.proto-desc:\d+:\d+$/) });
    expect(violations[0]?.evidence).toMatchObject({ path: `${backendDirectory}/sector-size` });
    expect(violations[0]?.evidence.detail).toContain("sector-size=7");
  });

  it("an honest handshake with every clause's key written yields no violation", () => {
    const { monitor, violations } = createMonitor();
    const writeKey = (domain: number, directory: string, key: string, value: string): void => monitor.observeStoreWrite(domain, `${directory}/${key}`, value);
    for (const [key, value] of [["feature-barrier", "0"], ["feature-flush-cache", "1"], ["feature-discard", "0"], ["feature-persistent", "0"], ["max-ring-page-order", "2"], ["multi-queue-max-queues", "4"]] as const) writeKey(2, backendDirectory, key, value);
    writeKey(2, backendDirectory, "state", String(initWait));
    for (const [key, value] of [["ring-page-order", "2"], ["ring-ref0", "8"], ["ring-ref1", "9"], ["ring-ref2", "10"], ["ring-ref3", "11"], ["event-channel", "5"], ["multi-queue-num-queues", "4"], ["state", String(initialised)]] as const) writeKey(1, frontendDirectory, key, value);
    for (const [key, value] of [["sectors", "2048"], ["info", "0"], ["sector-size", "512"], ["physical-sector-size", "4096"], ["state", String(connected)]] as const) writeKey(2, backendDirectory, key, value);
    writeKey(1, frontendDirectory, "state", String(connected));
    expect(violations).toEqual([]);
  });
});
