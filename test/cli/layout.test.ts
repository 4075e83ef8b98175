// `proto-desc layout` through the real binary: JSON and table output for both ABIs, and the
// exit codes for specifications with errors and for bad arguments.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { LayoutReport } from "../../compiler/semantic/layout-report.js";
import { runBinary } from "../support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "proto-desc-layout-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function recordOf(report: LayoutReport, protocolName: string, recordName: string) {
  return report.protocols.find((protocol) => protocol.name === protocolName)?.records.find((record) => record.name === recordName);
}

describe("proto-desc layout", () => {
  it("prints blkif's x86_32 layout as JSON (stable shape)", () => {
    const run = runBinary(["layout", "protocols/blkif.proto-desc", "--abi", "x86_32", "--format", "json"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as LayoutReport;
    expect(report).toMatchObject({ format: "proto-desc-layout", version: 1, abi: "x86_32" });
    expect(recordOf(report, "blkif", "Response")).toEqual({
      name: "Response",
      kind: "message",
      sender: "backend",
      size: 12,
      align: 4,
      entries: [
        { kind: "field", name: "id", offset: 0, size: 8, align: 4, type: "u64" },
        { kind: "field", name: "operation", offset: 8, size: 1, align: 1, type: "Operation" },
        { kind: "padding", name: "(padding)", offset: 9, size: 1, origin: "implicit" },
        { kind: "field", name: "status", offset: 10, size: 2, align: 2, type: "Status" },
      ],
    });
    expect(recordOf(report, "blkif", "Request")?.size).toBe(108);
    const ring = report.protocols[0]?.rings.find((candidate) => candidate.name === "io");
    expect(ring?.slotSize).toBe(108);
    expect(ring?.orders.map((order) => order.entries)).toEqual([32, 64, 128, 256, 512]);
  });

  it("prints a table by default for x86_64, with implicit padding and switch cases", () => {
    const run = runBinary(["layout", "protocols/blkif.proto-desc"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("protocol blkif (x86_64)");
    expect(run.stdout).toContain("message Request from frontend: size 112, align 8");
    expect(run.stdout).toMatch(/^\s+8\s+8\s+id: u64$/m);
    expect(run.stdout).toContain("case discard (variant size 32, align 8)");
    expect(run.stdout).toContain("ring io: slot 112 bytes");
    expect(run.stdout).toContain("page order 0: 4096 bytes, 32 entries");
  });

  it("exits 1 with the diagnostics when the specification has errors", () => {
    const broken = join(scratch, "broken.proto-desc");
    writeFileSync(broken, "protocol broken version 1 {\n  roles frontend, backend;\n  struct S { a: Missing; }\n}\n");
    const run = runBinary(["layout", broken]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("PD2001");
    expect(run.stderr).toContain("unknown type 'Missing'");
  });

  it("exits 2 with a one-line message for a bad ABI or a missing file", () => {
    const badAbi = runBinary(["layout", "protocols/blkif.proto-desc", "--abi", "sparc"]);
    expect(badAbi.status).toBe(2);
    expect(badAbi.stderr).toBe("proto-desc layout: option '--abi' must be one of x86_64, x86_32, arm (got 'sparc')\n");
    const missing = runBinary(["layout", join(scratch, "nope.proto-desc")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
  });
});
