// Checks that lowering gives blkif's stubs the numbers and keys the spec states: the request
// id at byte 8 (x86_64) and 4 (x86_32) with the operation echoed, page orders up to 4 capped
// by the backend's max-ring-page-order, the transport keys, and the published keys grouped by
// the state they precede (feature-persistent required before InitWait); that a protocol
// without an exchange, or with ids the runtime cannot read, gets no stubs; and that each
// exchange left without stubs is reported as a PD6006 warning with its reason (netif's rx).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lowerToIr } from "../../compiler/ir/lower.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import type { IrProtocol } from "../../compiler/ir/protocol.js";
import { checkSources } from "../../compiler/pipeline/check.js";

function lowerSpecWithDiagnostics(path: string, text: string): { readonly protocol: IrProtocol; readonly diagnostics: readonly Diagnostic[] } {
  const checked = checkSources([{ path, text }], () => ({ ok: false, reason: "no imports expected" }));
  const model = checked.value.model;
  if (model === undefined) throw new Error(`${path} did not analyze: ${checked.diagnostics.map((diagnostic) => diagnostic.message).join("; ")}`);
  const lowered = lowerToIr(model, checked.value.sources);
  const protocol = lowered.value[0];
  if (protocol === undefined) throw new Error(`${path} declares no protocol`);
  return { protocol, diagnostics: lowered.diagnostics };
}

function lowerSpec(path: string, text: string): IrProtocol {
  return lowerSpecWithDiagnostics(path, text).protocol;
}

/** "code severity: message" of each diagnostic, for compact expectations. */
function summarize(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((diagnostic) => `${diagnostic.code} ${diagnostic.severity}: ${diagnostic.message}`);
}

const blkifPath = "protocols/blkif.proto-desc";

describe("stubs lowered from blkif", () => {
  const stubs = lowerSpec(blkifPath, readFileSync(blkifPath, "utf8")).stubs;

  it("places the correlation id and the echoed operation per layout", () => {
    expect(stubs?.slotLayouts).toEqual({
      x86_64: { slotBytes: 112, requestIdOffset: 8, responseIdOffset: 0, idBytes: 8, echoedFields: [{ requestField: "operation", responseField: "operation", requestOffset: 0, responseOffset: 8, width: 1 }] },
      x86_32: { slotBytes: 108, requestIdOffset: 4, responseIdOffset: 0, idBytes: 8, echoedFields: [{ requestField: "operation", responseField: "operation", requestOffset: 0, responseOffset: 8, width: 1 }] },
    });
  });

  it("takes the ring transport keys, page orders and ABI key from the spec", () => {
    expect(stubs).toMatchObject({
      channel: "io",
      requesterRole: "frontend",
      responderRole: "backend",
      maximumRingPageOrder: 4,
      ringPageOrderLimitKey: "max-ring-page-order",
      ringReferenceKey: "ring-ref",
      ringPageOrderKey: "ring-page-order",
      eventChannelKey: "event-channel",
      abiSelectorKey: "protocol",
    });
  });

  it("groups the published keys by the state they precede; lifecycle keys are required", () => {
    const summary = (publications: NonNullable<typeof stubs>["responderPublications"]) =>
      publications.map((publication) => ({ state: publication.state, keys: publication.keys.map((key) => `${key.key}${key.required ? "" : "?"}`) }));
    expect(summary(stubs!.responderPublications)).toEqual([
      { state: "InitWait", keys: ["feature-barrier", "feature-flush-cache", "feature-discard", "feature-persistent", "max-ring-page-order"] },
      {
        state: "Connected",
        keys: ["sectors", "info", "sector-size", "feature-max-indirect-segments?", "multi-queue-max-queues?", "physical-sector-size?", "discard-granularity?", "discard-alignment?", "discard-secure?"],
      },
    ]);
    // The transport keys (ring-ref, ring-page-order, event-channel) and the ABI key are the runtime's and the stub's own.
    expect(summary(stubs!.requesterPublications)).toEqual([{ state: "Initialised", keys: ["multi-queue-num-queues?", "feature-persistent?"] }]);
    const info = stubs!.responderPublications[1]!.keys.find((key) => key.key === "info");
    expect(info).toMatchObject({ type: { kind: "enum", enumName: "DiskInfo", width: 4 }, defaultValue: 0 });
  });
});

const minimalSpec = (idType: string, exchange: boolean): string => `
protocol tiny version 1 {
  roles frontend, backend;
  message Ask from frontend { id: ${idType}; value: u32; }
  message Tell from backend { id: ${idType}; value: u32; }
  ring io { request Ask; response Tell; order 0 ..= 0; }
  store frontend { ring-ref: grant for io; event-channel: evtchn for io; }
  ${exchange ? "exchange io: Ask -> Tell { correlate response.id == request.id; }" : ""}
}
`;

describe("protocols without stubs", () => {
  it("a ring without an exchange gets no stubs", () => {
    expect(lowerSpec("tiny.proto-desc", minimalSpec("u32", false)).stubs).toBeUndefined();
  });

  it("an exchange with a one-byte id gets no stubs (the runtime reads 2, 4 or 8 bytes)", () => {
    expect(lowerSpec("tiny.proto-desc", minimalSpec("u8", true)).stubs).toBeUndefined();
  });

  it("an exchange with a u32 id gets stubs with a 4-byte id and the default transport key names", () => {
    expect(lowerSpec("tiny.proto-desc", minimalSpec("u32", true)).stubs).toMatchObject({
      slotLayouts: { x86_64: { slotBytes: 8, requestIdOffset: 0, responseIdOffset: 0, idBytes: 4, echoedFields: [] } },
      ringReferenceKey: "ring-ref",
      eventChannelKey: "event-channel",
      abiSelectorKey: undefined,
      maximumRingPageOrder: 0,
    });
  });

  it("a ring without an exchange is not warned about: there is nothing to carry", () => {
    expect(lowerSpecWithDiagnostics("tiny.proto-desc", minimalSpec("u32", false)).diagnostics).toEqual([]);
  });

  it("an exchange that gets stubs is not warned about", () => {
    expect(lowerSpecWithDiagnostics("tiny.proto-desc", minimalSpec("u64", true)).diagnostics).toEqual([]);
  });

  it("a one-byte id is warned about at the exchange, naming the protocol, the exchange and the reason", () => {
    const text = minimalSpec("u8", true);
    const { diagnostics } = lowerSpecWithDiagnostics("tiny.proto-desc", text);
    expect(summarize(diagnostics)).toEqual([
      "PD6006 warning: exchange io of protocol tiny gets no typed stubs: its correlation id 'id' is 1 byte wide, and the split-connection runtime reads ids of 2, 4 or 8 bytes",
    ]);
    const span = diagnostics[0]!.span;
    expect(span.file).toBe("tiny.proto-desc");
    expect(text.slice(span.start, span.end)).toMatch(/^exchange io: Ask -> Tell \{/);
  });

  it("an exchange without a correlation is warned about: no id matches a response to its request", () => {
    const text = minimalSpec("u32", true).replace("{ correlate response.id == request.id; }", "{ exactly once; }");
    const checked = checkSources([{ path: "tiny.proto-desc", text }], () => ({ ok: false, reason: "no imports expected" }));
    expect(summarize(checked.diagnostics), "the spec itself is valid").toEqual([]);
    const { protocol, diagnostics } = lowerSpecWithDiagnostics("tiny.proto-desc", text);
    expect(protocol.stubs).toBeUndefined();
    expect(summarize(diagnostics)).toEqual([
      "PD6006 warning: exchange io of protocol tiny gets no typed stubs: it has no `correlate` clause, so there is no id to match a response to its request",
    ]);
  });
});

describe("netif: the tx exchange gets stubs, the rx exchange a warning", () => {
  const netifPath = "protocols/netif.proto-desc";
  const { protocol, diagnostics } = lowerSpecWithDiagnostics(netifPath, readFileSync(netifPath, "utf8"));

  it("carries tx with its 2-byte id at offset 8 of the request and 0 of the response", () => {
    expect(protocol.stubs).toMatchObject({ channel: "tx", requestRecord: "TxRequest", responseRecord: "TxResponse", slotLayouts: { x86_64: { requestIdOffset: 8, responseIdOffset: 0, idBytes: 2 } } });
  });

  it("warns that rx gets no stubs because the runtime drives one ring per connection", () => {
    expect(summarize(diagnostics)).toEqual([
      "PD6006 warning: exchange rx of protocol netif gets no typed stubs: the split-connection runtime drives one ring per connection, and the stubs carry exchange tx",
    ]);
  });
});
