// Checks that lowering turns blkif's lifecycle, exchange and ring guarantees into monitor
// obligations with the clause ids, blamed roles, numbers and locations the spec states.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeSpanLocation } from "../../compiler/ir/lower-monitor.js";
import { lowerToIr } from "../../compiler/ir/lower.js";
import type { IrMonitorObligation } from "../../compiler/ir/monitor.js";
import { checkSources } from "../../compiler/pipeline/check.js";

const blkifPath = "protocols/blkif.proto-desc";
const blkifText = readFileSync(blkifPath, "utf8");

function lowerObligations(path: string, text: string, protocolName: string): readonly IrMonitorObligation[] {
  const checked = checkSources([{ path, text }], () => ({ ok: false, reason: "no imports expected" }));
  const model = checked.value.model;
  if (model === undefined) throw new Error(`${path} did not analyze: ${checked.diagnostics.map((diagnostic) => `${diagnostic.code} ${diagnostic.message}`).join("; ")}`);
  const lowered = lowerToIr(model, checked.value.sources);
  return lowered.value.find((protocol) => protocol.name === protocolName)?.monitor?.obligations ?? [];
}

function lowerBlkifObligations(): readonly IrMonitorObligation[] {
  return lowerObligations(blkifPath, blkifText, "blkif");
}

function lineOf(needle: string): number {
  const index = blkifText.indexOf(needle);
  return blkifText.slice(0, index).split("\n").length;
}

describe("monitor obligations lowered from blkif", () => {
  const obligations = lowerBlkifObligations();

  it("lowers the lifecycle with peer-state guards and the keys each state needs", () => {
    const lifecycle = obligations.find((obligation) => obligation.kind === "lifecycle");
    if (lifecycle?.kind !== "lifecycle") throw new Error("no lifecycle obligation");
    expect(lifecycle.clauseId).toBe("blkif.lifecycle");
    expect(lifecycle.initialState).toBe(1);
    expect(lifecycle.closedState).toBe(6);
    const backendConnect = lifecycle.transitions.find((transition) => transition.role === "backend" && transition.from === 2 && transition.to === 4);
    expect(backendConnect?.peerStates).toEqual([3, 4]);
    expect(backendConnect?.requiredKeys).toEqual(["sectors", "info", "sector-size"]);
    const frontendConnect = lifecycle.transitions.find((transition) => transition.role === "frontend" && transition.from === 3 && transition.to === 4);
    expect(frontendConnect?.peerStates).toEqual([4]);
    // `teardown: * -> Closing` expands to every state but Closing and Closed.
    const frontendTeardowns = lifecycle.transitions.filter((transition) => transition.role === "frontend" && transition.to === 5).map((transition) => transition.from);
    expect(frontendTeardowns).toEqual([1, 3, 4]);
    expect(lifecycle.transitions.some((transition) => transition.role === "frontend" && transition.from === 1 && transition.to === 4)).toBe(false);
  });

  it("reads the states data may flow in from `data when` and the grant clause from its guarantee", () => {
    const lifecycle = obligations.find((obligation) => obligation.kind === "lifecycle");
    if (lifecycle?.kind !== "lifecycle") throw new Error("no lifecycle obligation");
    expect(lifecycle.dataStates).toEqual([
      { role: "frontend", states: [4] },
      { role: "backend", states: [4] },
    ]);
    const grants = obligations.filter((obligation) => obligation.kind === "grant");
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({
      clauseId: "blkif.segments_granted_until_unmapped",
      channel: "io",
      requestRecord: "Request",
      grantFieldPath: ["seg", "[]", "gref"],
      granterRole: "frontend",
      unmapBeforeResponse: true,
      writableWhen: { kind: "binary", operator: "==", left: { kind: "field", path: ["operation"] }, right: { kind: "enum-member", enumName: "Operation", memberName: "read", value: 0 } },
      unmappedClause: { clauseId: "blkif.unmapped_before_response", ownerRole: "backend" },
    });
  });

  it("lowers the persistent-grants disjunct of unmapped_before_response to an exemption of both ends' keys", () => {
    const grant = obligations.find((obligation) => obligation.kind === "grant");
    if (grant?.kind !== "grant") throw new Error("no grant obligation");
    expect(grant.unmappedClause?.exemptions).toEqual([
      [
        { role: "frontend", key: "feature-persistent", expected: true, valueWhenAbsent: false },
        { role: "backend", key: "feature-persistent", expected: true, valueWhenAbsent: false },
      ],
    ]);
    expect(grant.unmappedClause?.location).toBe(`protocols/blkif.proto-desc:${lineOf("guarantee unmapped_before_response")}:13`);
  });

  it("turns padding_is_zero(response) into a padding obligation blamed on the backend", () => {
    expect(obligations.filter((obligation) => obligation.kind === "padding-zero")).toMatchObject([{ clauseId: "blkif.response_padding_zero", recordName: "Response", blamedRole: "backend" }]);
  });

  it("correlates requests and responses by id with the ring's geometry from xen-abi.md", () => {
    const correlation = obligations.find((obligation) => obligation.kind === "correlation");
    if (correlation?.kind !== "correlation") throw new Error("no correlation obligation");
    expect(correlation).toMatchObject({
      clauseId: "blkif.io",
      channel: "io",
      requestRecord: "Request",
      responseRecord: "Response",
      requestIdField: ["id"],
      responseIdField: ["id"],
      outstandingBound: 32,
      requesterRole: "frontend",
      responderRole: "backend",
      slotBytes: { x86_64: 112, x86_32: 108 },
      entries: { x86_64: 32, x86_32: 32 },
    });
    expect(correlation.slotUnchanged).toMatchObject({ clauseId: "blkif.request_stable_until_consumed", ownerRole: "frontend" });
    expect(correlation.location).toBe(`${blkifPath}:${lineOf("exchange io:")}:3`);
  });

  it("blames the producer of each ring direction and names the stated invariant", () => {
    const indices = obligations.filter((obligation) => obligation.kind === "ring-index");
    expect(indices.map((obligation) => obligation.kind === "ring-index" && [obligation.direction, obligation.producerRole, obligation.clauseId])).toEqual([
      ["requests", "frontend", "blkif.request_index_sane"],
      ["responses", "backend", "blkif.io.response_index"],
    ]);
    expect(indices[0]?.location).toBe(`${blkifPath}:${lineOf("guarantee request_index_sane")}:${"guarantee ".length + 3}`);
  });

  it("lowers the handshake deadline, the progress window, both notify budgets and both store quotas with their locations", () => {
    const pick = (kind: string) => obligations.filter((obligation) => obligation.kind === kind).map((obligation) => ({ ...obligation, span: undefined }));
    expect(pick("handshake-deadline")).toEqual([
      { kind: "handshake-deadline", clauseId: "blkif.handshake_in_time", location: `protocols/blkif.proto-desc:${lineOf("handshake_in_time:")}:5`, state: 4, milliseconds: 30_000, span: undefined },
    ]);
    expect(pick("progress")).toEqual([
      { kind: "progress", clauseId: "blkif.io.progress", location: `protocols/blkif.proto-desc:${lineOf("progress within")}:5`, channel: "io", milliseconds: 10_000, blamedRole: "backend", span: undefined },
    ]);
    expect(pick("event-budget").map((budget) => budget.kind === "event-budget" && [budget.clauseId, budget.role, budget.maximumEvents, budget.windowMilliseconds])).toEqual([
      ["blkif.frontend_event_rate", "frontend", 100_000, 1000],
      ["blkif.backend_event_rate", "backend", 100_000, 1000],
    ]);
    expect(pick("store-quota").map((quota) => quota.kind === "store-quota" && [quota.clauseId, quota.role, quota.location])).toEqual([
      ["blkif.frontend_store_quota", "frontend", `protocols/blkif.proto-desc:${lineOf("guarantee frontend_store_quota")}:13`],
      ["blkif.backend_store_quota", "backend", `protocols/blkif.proto-desc:${lineOf("guarantee backend_store_quota")}:13`],
    ]);
  });

  it("turns the exchange deadline into a deadline blamed on the backend, named by its guarantee", () => {
    const deadline = obligations.find((obligation) => obligation.kind === "deadline");
    expect(deadline).toMatchObject({ kind: "deadline", clauseId: "blkif.answers_in_time", channel: "io", milliseconds: 30_000, blamedRole: "backend" });
  });
});

describe("unmap exemptions lowered from a spec's own keys", () => {
  // Two exemptions (either one waives the unmap), a negated key, and a key whose default is true.
  const text = `protocol keep version 1 {
  roles frontend, backend;
  struct Segment { gref: grant; }
  message Request from frontend { id: u64; nr: u8; seg: Segment[4] count nr; }
  message Response from backend { id: u64; status: i16; }
  ring io { request Request; response Response; order 0 ..= 0; }
  exchange io: Request -> Response { correlate response.id == request.id; }
  store frontend { feature-keep: bool = false; legacy-unmap: bool = true; }
  store backend { feature-keep: bool = false; always-keep: bool optional; }
  guarantee lent by frontend on request: Request {
    (forall i in 0 .. request.nr: granted(request.seg[i].gref, backend)) until answered(request) && unmapped_all(request);
  }
  guarantee unmapped_first by backend on request: Request {
    (frontend.feature-keep && backend.feature-keep && !frontend.legacy-unmap) || backend.always-keep || unmapped_all(request);
  }
}`;

  it("keeps every disjunct as one exemption, each a conjunction with negations and declared defaults", () => {
    const grant = lowerObligations("keep.proto-desc", text, "keep").find((obligation) => obligation.kind === "grant");
    if (grant?.kind !== "grant") throw new Error("no grant obligation");
    expect(grant.unmappedClause).toMatchObject({ clauseId: "keep.unmapped_first", ownerRole: "backend" });
    expect(grant.unmappedClause?.exemptions).toEqual([
      [
        { role: "frontend", key: "feature-keep", expected: true, valueWhenAbsent: false },
        { role: "backend", key: "feature-keep", expected: true, valueWhenAbsent: false },
        { role: "frontend", key: "legacy-unmap", expected: false, valueWhenAbsent: true },
      ],
      [{ role: "backend", key: "always-keep", expected: true, valueWhenAbsent: false }],
    ]);
  });

  it("has no exemption when the invariant is `unmapped_all(request)` alone", () => {
    const plain = text.replace(/\(frontend\.feature-keep[^|]*\|\| backend\.always-keep \|\| /, "");
    expect(plain).toContain("{\n    unmapped_all(request);");
    const grant = lowerObligations("plain.proto-desc", plain, "keep").find((obligation) => obligation.kind === "grant");
    expect(grant?.kind === "grant" ? grant.unmappedClause?.exemptions : undefined).toEqual([]);
  });
});

describe("describeSpanLocation", () => {
  it("counts lines and columns from 1 and says so when the text is unknown", () => {
    const sources = new Map([["a.proto-desc", "ab\ncd\nef"]]);
    expect(describeSpanLocation({ file: "a.proto-desc", start: 4, end: 5 }, sources)).toBe("a.proto-desc:2:2");
    expect(describeSpanLocation({ file: "a.proto-desc", start: 0, end: 1 }, sources)).toBe("a.proto-desc:1:1");
    expect(describeSpanLocation({ file: "b.proto-desc", start: 0, end: 1 }, sources)).toBe("b.proto-desc:?:?");
  });
});
