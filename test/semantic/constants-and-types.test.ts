// Positive behaviour of the semantic phase that the error fixtures do not show: the values
// constants and enums fold to, the types recorded for expressions, and the resolved lifecycle.
import { describe, expect, it } from "vitest";
import { analyzeSources, inProtocol } from "./support/analyze-sources.js";

describe("constant folding", () => {
  const result = analyzeSources({
    "constants.proto-desc": inProtocol(`
  const FRAME = 1 << 12;
  const SECTORS = FRAME >> SECTOR_SHIFT;
  const SECTOR_SHIFT = 9;
  const MASK = ~0 & 0xFFFF_FFFF;
  const NEGATIVE: i16 = -(1 << 15);
  const TIMEOUT = 2min + 500ms;
  const LAST_U64: u64 = 0xFFFF_FFFF_FFFF_FFFF;
  enum Status : i16 { okay = 0, error = -1, eopnotsupp = error - 1 }
  flags enum Info : u32 { cdrom = 1 << 0, removable = 1 << 1, both = cdrom | removable }
  const STATUS_SPAN = Status.okay - Status.eopnotsupp;`),
  });

  it("folds exactly, in any declaration order, including durations and enum members", () => {
    expect(result.diagnostics).toEqual([]);
    const values = Object.fromEntries(result.model.protocols[0]?.constants.map((constant) => [constant.name, [constant.valueKind, constant.value]]) ?? []);
    expect(values).toEqual({
      FRAME: ["integer", 4096n],
      SECTORS: ["integer", 8n],
      SECTOR_SHIFT: ["integer", 9n],
      MASK: ["integer", 0xffff_ffffn],
      NEGATIVE: ["integer", -32768n],
      TIMEOUT: ["duration", 120_500_000_000n],
      LAST_U64: ["integer", 0xffff_ffff_ffff_ffffn],
      STATUS_SPAN: ["integer", 2n],
    });
    const enums = result.model.protocols[0]?.enums.map((entry) => [entry.name, entry.members.map((member) => [member.name, member.value])]);
    expect(enums).toEqual([
      ["Status", [["okay", 0n], ["error", -1n], ["eopnotsupp", -2n]]],
      ["Info", [["cdrom", 1n], ["removable", 2n], ["both", 3n]]],
    ]);
  });
});

describe("expression types and lifecycle resolution", () => {
  const source = inProtocol(`
  roles frontend, backend;
  enum Operation : u8 { read = 0, write = 1 }
  message Request from frontend {
    operation: Operation;
    nr_segments: u8;
    seg: grant[11] count nr_segments;
    where operation in {read, write} && nr_segments <= 11;
  }
  message Response from backend { operation: Operation; }
  ring io { request Request; response Response; order 0 ..= 0; }
  store frontend { ring-ref: grant for io; }
  store backend { sectors: u64; }
  lifecycle {
    frontend {
      Initialising -> Initialised publishes ring-ref;
      Initialised -> Connected when backend == Connected reads backend.sectors;
      teardown: * -> Closing;
      Closing -> Closed when backend >= Closing;
    }
    backend {
      Initialising -> InitWait;
      InitWait -> Connected when frontend in {Initialised, Connected} publishes sectors;
      teardown: * -> Closing;
      Closing -> Closed;
    }
  }
  guarantee granted_segments by frontend on request: Request {
    forall i in 0 .. request.nr_segments: granted(request.seg[i], backend) until answered(request);
  }`);
  const result = analyzeSources({ "types.proto-desc": source });
  const protocol = result.model.protocols[0];

  it("checks clean and types the where clause, with enum members resolved from context", () => {
    expect(result.diagnostics).toEqual([]);
    const where = protocol?.records[0]?.constraints[0];
    expect(where?.label).toBe("where_1");
    expect(where === undefined ? undefined : result.model.expressionTypes.get(where.condition)).toEqual({ kind: "boolean" });
  });

  it("bounds the quantifier by the count field's array capacity", () => {
    const guarantee = protocol?.guarantees[0];
    expect(guarantee?.qualifiedId).toBe("example.granted_segments");
    // 11 iterations of a body of 8 nodes, plus the condition's own nodes and the event.
    expect(guarantee?.maximumWorkPerEvent).toBeGreaterThan(11 * 5);
    expect(guarantee?.maximumWorkPerEvent).toBeLessThan(11 * 20);
  });

  it("resolves guards to peer-state sets in XenBus order and expands `*`", () => {
    const frontend = protocol?.lifecycle?.roles.find((role) => role.role === "frontend")?.machine;
    const closing = frontend?.transitions.find((transition) => transition.from === "Closing");
    expect(closing?.guard).toEqual({ kind: "peer-state-in", states: ["Closing", "Closed", "Reconfiguring", "Reconfigured"] });
    expect(frontend?.transitions.filter((transition) => transition.to === "Closing").map((transition) => transition.from)).toEqual(["Initialising", "Initialised", "Connected"]);
    expect(protocol?.lifecycle?.exploredJointStates).toBeGreaterThan(4);
  });
});
