// `proto-desc demo` through the real binary: exit 0, a readable timeline with both malicious
// parties caught and blamed, the denied connection, and the same timeline as JSON lines.
import { describe, expect, it } from "vitest";
import { runBinary } from "../support/run-cli.js";

describe("proto-desc demo", () => {
  it("prints the timeline and a summary and exits 0", () => {
    const run = runBinary(["demo"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/malicious-frontend verdict +confirmed: frontend \(domain 1\) blamed for blkif\.slot_unchanged/);
    expect(run.stdout).toMatch(/malicious-backend +verdict +confirmed: backend \(domain 2\) blamed for blkif\.response_id_known/);
    expect(run.stdout).toContain("specs/blkif.proto-desc:46:3");
    expect(run.stdout).toMatch(/denied-connection +denied +sandbox -> driver disk refused by rule type-enforcement/);
    expect(run.stdout).toMatch(/summary: \d+ requests answered, 2 verdicts \(0 against an honest party\), 1 connection denied/);
  });

  it("emits JSON lines with --json", () => {
    const run = runBinary(["demo", "--json"]);
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line["phase"] === "verdict").map((line) => line["blamedRole"])).toEqual(["frontend", "backend"]);
    expect(lines.at(-1)).toMatchObject({ summary: { verdicts: 2, honestPartiesBlamed: 0, deniedConnections: 1 } });
  });

  it("refuses stray arguments with a one-line usage error", () => {
    const run = runBinary(["demo", "extra"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("proto-desc demo: unexpected argument 'extra'\n");
  });
});
