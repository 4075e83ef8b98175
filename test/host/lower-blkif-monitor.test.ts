// The blkif monitor lowered from the bundled spec: geometry from the layouts, clauses with
// owners and locations on the spec lines that state them, lifecycle from the spec's machines.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lowerBlkifMonitor } from "../../compiler/host/lower-blkif-monitor.js";
import { repositoryRoot } from "../support/run-cli.js";
import { checkSpecFiles } from "./checked-bundled-host.js";

const { program, errors } = checkSpecFiles(["protocols/blkif.proto-desc"]);
const lowered = program.model === undefined ? undefined : lowerBlkifMonitor(program.model, program.sources);
const specLines = readFileSync(join(repositoryRoot, "protocols/blkif.proto-desc"), "utf8").split("\n");

function lineAt(specSpan: string): string {
  const [, line] = specSpan.split(":");
  return specLines[Number(line) - 1] ?? "";
}

describe("lowering blkif's monitor", () => {
  it("takes the ring geometry from the spec's layouts (x86_64, order 0)", () => {
    expect(errors).toEqual([]);
    expect(lowered?.value).toMatchObject({ requestBytes: 112, responseBytes: 16, ringEntries: 32 });
    expect(lowered?.value?.spec.rings[0]).toMatchObject({ slotBytes: 112, entries: 32, requesterRole: "frontend", responderRole: "backend" });
  });

  it("points each guarantee clause at the line that declares it, owned by its role", () => {
    const clauses = new Map(lowered?.value?.spec.clauses.map((clause) => [clause.id, clause]));
    expect(lineAt(clauses.get("blkif.request_index_sane")?.specSpan ?? "")).toMatch(/guarantee request_index_sane by frontend/);
    expect(lineAt(clauses.get("blkif.response_padding_zero")?.specSpan ?? "")).toMatch(/guarantee response_padding_zero by backend/);
    expect(clauses.get("blkif.response_padding_zero")?.ownerRole).toBe("backend");
    expect(lineAt(clauses.get("blkif.io.response_id_known")?.specSpan ?? "")).toMatch(/exchange io/);
    for (const clause of clauses.values()) expect(clause.specSpan).toMatch(/^protocols\/blkif\.proto-desc:\d+:\d+$/);
  });

  it("uses the exchange's deadline and the spec's lifecycle", () => {
    const spec = lowered?.value?.spec;
    expect(spec?.rings[0]?.deadline?.milliseconds).toBe(30_000);
    expect(spec?.lifecycle.transitions).toContainEqual(expect.objectContaining({ role: "backend", from: 1, to: 2, requiredKeys: expect.arrayContaining(["feature-flush-cache", "max-ring-page-order"]) }));
    expect(spec?.lifecycle.transitions).toContainEqual(expect.objectContaining({ role: "frontend", from: 3, to: 4, peerStates: [4] }));
  });

  it("validates responses by their padding and requests by their sectors", () => {
    const ring = lowered?.value?.spec.rings[0];
    const response = new Uint8Array(16);
    expect(ring?.responseValidator?.(response)).toBeNull();
    response[13] = 1;
    expect(ring?.responseValidator?.(response)).toBe("blkif.response_padding_zero");
    const request = new Uint8Array(112);
    request[1] = 1;
    request[24 + 5] = 7;
    expect(ring?.requestValidator?.(request)).toBeNull();
    request[24 + 5] = 8;
    expect(ring?.requestValidator?.(request)).toBe("blkif.segments_within_frame");
  });
});
