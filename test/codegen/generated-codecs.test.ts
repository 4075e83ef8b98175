import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError } from "../../runtime/gen/v1.js";
import * as blockLike from "./golden/02-block-like/expected.js";
import * as scalars from "./golden/01-scalars/expected.js";

// Property tests over the generated golden modules: decode(encode(x)) = x for every message on
// both ABIs, padding is zeroed whatever the slot held before, random bytes never make a decoder
// throw, and refusals carry the right code, field path and value.

const layoutAbis = ["x86_64", "x86_32"] as const;
const u64Arbitrary = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const i64Arbitrary = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const opArbitrary = fc.constantFrom(...Object.values(blockLike.Op));

const segmentArbitrary = fc.record({ gref: fc.nat({ max: 0xffffffff }), firstSect: fc.nat({ max: 255 }), lastSect: fc.nat({ max: 255 }) });

const requestArbitrary = fc.record({
  operation: opArbitrary,
  handle: fc.nat({ max: 0xffff }),
  id: u64Arbitrary,
  sectorNumber: u64Arbitrary,
  seg: fc.array(segmentArbitrary, { maxLength: 11 }),
});

type RequestInput = typeof requestArbitrary extends fc.Arbitrary<infer T> ? T : never;

function buildRequest(input: RequestInput): blockLike.Request {
  const request = blockLike.createRequest();
  request.operation = input.operation;
  request.handle = input.handle;
  request.id = input.id;
  request.sectorNumber = input.sectorNumber;
  request.nrSegments = input.seg.length;
  input.seg.forEach((segment, index) => Object.assign(request.seg[index]!, segment));
  return request;
}

function liveRequest(request: blockLike.Request): unknown {
  return { ...request, seg: request.seg.slice(0, request.nrSegments).map((segment) => ({ ...segment })) };
}

/** A slot full of 0xA5 so that any byte an encoder forgets to write shows up. */
function dirtySlot(size: number): DataView {
  return new DataView(new Uint8Array(size).fill(0xa5).buffer);
}

function expectPaddingZero(view: DataView, padding: readonly (readonly [number, number])[]): void {
  for (const [offset, length] of padding) {
    for (let index = offset; index < offset + length; index++) expect(view.getUint8(index)).toBe(0);
  }
}

describe("generated codecs: round trips", () => {
  for (const abi of layoutAbis) {
    const codecs = blockLike.codecsByAbi[abi];

    it(`request survives encode then decode (${abi}) and unused segments are zeroed`, () => {
      fc.assert(
        fc.property(requestArbitrary, (input) => {
          const request = buildRequest(input);
          const view = dirtySlot(codecs.Request.size);
          expect(codecs.Request.encode(request, view, 0)).toBeUndefined();
          expectPaddingZero(view, blockLike.layoutTables[abi].request.padding);
          const segmentsEnd = blockLike.layoutTables[abi].request.fields.seg.offset + 8 * 11;
          for (let index = blockLike.layoutTables[abi].request.fields.seg.offset + 8 * request.nrSegments; index < segmentsEnd; index++) {
            expect(view.getUint8(index)).toBe(0);
          }
          const decoded = codecs.Request.create();
          expect(codecs.Request.decode(view, 0, decoded)).toBeUndefined();
          expect(liveRequest(decoded)).toEqual(liveRequest(request));
        }),
        { numRuns: 300 },
      );
    });

    it(`response survives encode then decode (${abi}) with padding zeroed`, () => {
      fc.assert(
        fc.property(u64Arbitrary, opArbitrary, fc.constantFrom(...Object.values(blockLike.Status)), (id, operation, status) => {
          const response = blockLike.createResponse();
          Object.assign(response, { id, operation, status });
          const view = dirtySlot(codecs.Response.size);
          expect(codecs.Response.encode(response, view, 0)).toBeUndefined();
          expectPaddingZero(view, blockLike.layoutTables[abi].response.padding);
          const decoded = codecs.Response.create();
          expect(codecs.Response.decode(view, 0, decoded)).toBeUndefined();
          expect(decoded).toEqual(response);
        }),
        { numRuns: 200 },
      );
    });

    it(`command variants survive encode then decode (${abi}) with the unused union tail zeroed`, () => {
      const commandArbitrary = fc.oneof(
        fc.record({ arm: fc.constant("rw" as const), kind: fc.constantFrom(blockLike.Op.read, blockLike.Op.write), sector: u64Arbitrary, count: fc.nat({ max: 0xffffffff }) }),
        fc.record({
          arm: fc.constant("discard" as const),
          kind: fc.constant(blockLike.Op.discard),
          secure: fc.boolean(),
          offset: i64Arbitrary,
          grefs: fc.array(fc.nat({ max: 0xffffffff }), { minLength: 4, maxLength: 4 }),
        }),
      );
      fc.assert(
        fc.property(commandArbitrary, fc.nat({ max: 255 }), (input, tag) => {
          const command = blockLike.createCommand();
          command.kind = input.kind;
          command.tag = tag;
          command.body.arm = input.arm;
          if (input.arm === "rw") Object.assign(command.body.rw, { sector: input.sector, count: input.count });
          else {
            command.body.discard.secure = input.secure;
            command.body.discard.offset = input.offset;
            input.grefs.forEach((gref, index) => (command.body.discard.grefs[index] = gref));
          }
          const view = dirtySlot(codecs.Command.size);
          expect(codecs.Command.encode(command, view, 0)).toBeUndefined();
          expectPaddingZero(view, blockLike.layoutTables[abi].command.padding);
          const body = blockLike.layoutTables[abi].command.fields.body;
          const armSize = input.arm === "rw" ? codecs.CommandRw.size : codecs.CommandDiscard.size;
          expectPaddingZero(view, [[body.offset + armSize, body.size - armSize]]);
          const decoded = blockLike.createCommand();
          expect(codecs.Command.decode(view, 0, decoded)).toBeUndefined();
          expect(decoded.kind).toBe(command.kind);
          expect(decoded.tag).toBe(command.tag);
          expect(decoded.body.arm).toBe(input.arm);
          if (input.arm === "rw") expect(decoded.body.rw).toEqual(command.body.rw);
          else expect(decoded.body.discard).toEqual(command.body.discard);
        }),
        { numRuns: 300 },
      );
    });

    it(`a union selected by negative enum values decodes into the arm its case labels name (${abi})`, () => {
      const replyArbitrary = fc.oneof(
        fc.record({ arm: fc.constant("done" as const), status: fc.constant(blockLike.Status.okay), value: fc.nat({ max: 0xffffffff }) }),
        fc.record({ arm: fc.constant("failed" as const), status: fc.constantFrom(blockLike.Status.error, blockLike.Status.eopnotsupp), value: fc.nat({ max: 0xffff }) }),
      );
      fc.assert(
        fc.property(replyArbitrary, (input) => {
          const reply = blockLike.createReply();
          reply.status = input.status;
          reply.detail.arm = input.arm;
          if (input.arm === "done") reply.detail.done.bytes = input.value;
          else reply.detail.failed.reason = input.value;
          const view = dirtySlot(codecs.Reply.size);
          expect(codecs.Reply.encode(reply, view, 0)).toBeUndefined();
          const decoded = blockLike.createReply();
          // A stale arm in the target must be replaced by the one the status selects.
          decoded.detail.arm = input.arm === "done" ? "failed" : "done";
          expect(codecs.Reply.decode(view, 0, decoded)).toBeUndefined();
          expect(decoded.status).toBe(input.status);
          expect(decoded.detail.arm).toBe(input.arm);
          const validated = blockLike.createReply();
          const refusal = codecs.Reply.decodeValidated(view, 0, validated);
          expect(validated.status).toBe(input.status);
          expect(validated.detail.arm).toBe(input.arm);
          if (input.arm === "done") {
            expect(decoded.detail.done.bytes).toBe(input.value);
            expect(refusal).toBeUndefined();
          } else if (input.value <= blockLike.MAX_SEGMENTS) {
            expect(decoded.detail.failed.reason).toBe(input.value);
            expect(refusal).toBeUndefined();
          } else {
            expect(refusal).toMatchObject({ clauseId: "reply-failed.reason-bounded", fieldPath: "detail.failed.reason", value: input.value });
          }
        }),
        { numRuns: 300 },
      );
    });

    it(`every scalar kind survives encode then decode (${abi})`, () => {
      const scalarCodecs = scalars.codecsByAbi[abi];
      fc.assert(
        fc.property(
          fc.record({
            small: fc.nat({ max: 0xff }),
            signedSmall: fc.integer({ min: -128, max: 127 }),
            medium: fc.nat({ max: 0xffff }),
            signedMedium: fc.integer({ min: -32768, max: 32767 }),
            flag: fc.boolean(),
            large: fc.nat({ max: 0xffffffff }),
            signedLarge: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
            huge: u64Arbitrary,
            signedHuge: i64Arbitrary,
            colour: fc.constantFrom(...Object.values(scalars.Colour)),
            page: fc.nat({ max: 0xffffffff }),
            port: fc.nat({ max: 0xffffffff }),
            history: fc.array(fc.nat({ max: 0xffff }), { minLength: 3, maxLength: 3 }),
          }),
          (input) => {
            const value = scalars.createEveryScalar();
            Object.assign(value, { ...input, history: value.history });
            input.history.forEach((entry, index) => (value.history[index] = entry));
            const view = dirtySlot(scalarCodecs.EveryScalar.size);
            expect(scalarCodecs.EveryScalar.encode(value, view, 0)).toBeUndefined();
            expectPaddingZero(view, scalars.layoutTables[abi].every_scalar.padding);
            const decoded = scalars.createEveryScalar();
            expect(scalarCodecs.EveryScalar.decode(view, 0, decoded)).toBeUndefined();
            expect(decoded).toEqual(value);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe("generated codecs: hostile bytes", () => {
  const allCodecs = [
    ...layoutAbis.flatMap((abi) => Object.entries(blockLike.codecsByAbi[abi]).map(([name, codec]) => ({ name: `${abi} ${name}`, codec }))),
    ...layoutAbis.flatMap((abi) => Object.entries(scalars.codecsByAbi[abi]).map(([name, codec]) => ({ name: `${abi} ${name}`, codec }))),
  ];

  it("random bytes at random offsets never make a decoder throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), fc.integer({ min: -4, max: 170 }), (bytes, offset) => {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (const { codec } of allCodecs) {
          const into = codec.create() as never;
          const result = codec.decode(view, offset, into);
          expect(result === undefined || result instanceof CodecError).toBe(true);
          if (result === undefined) expect(() => codec.validate(into)).not.toThrow();
        }
      }),
      { numRuns: 400 },
    );
  });

  it("decodeValidated accepts exactly what decode then validate accept, with the same value", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 112, maxLength: 112 }), fc.nat({ max: 11 }), fc.constantFrom(...Object.values(blockLike.Op)), (bytes, count, operation) => {
        bytes[0] = operation;
        bytes[1] = count;
        bytes[13] = bytes[13]! & 0x1f;
        bytes[12] = 0;
        bytes[14] = 0;
        bytes[15] = 0;
        bytes[21] = bytes[21]! & 0x1f;
        bytes[22] = 0;
        bytes[23] = 0;
        const view = new DataView(bytes.buffer);
        for (const abi of layoutAbis) {
          const codecs = blockLike.codecsByAbi[abi];
          const twoPass = codecs.Request.create();
          const decodeError = codecs.Request.decode(view, 0, twoPass);
          const separate = decodeError ?? codecs.Request.validate(twoPass);
          const onePass = codecs.Request.create();
          const fused = codecs.Request.decodeValidated(view, 0, onePass);
          expect(fused === undefined).toBe(separate === undefined);
          if (fused === undefined) expect(liveRequest(onePass)).toEqual(liveRequest(twoPass));
          else expect(fused.constructor).toBe(separate?.constructor);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("reports a u64 above 2^53 with its exact value instead of rounding it", () => {
    const view = new DataView(new ArrayBuffer(112));
    view.setBigUint64(8, 2n ** 60n + 1n, true);
    const error = blockLike.decodeRequestX86_64(view, 0, blockLike.createRequest());
    expect(error).toMatchObject({ code: "u64-above-safe-integer", fieldPath: "id", value: "1152921504606846977" });
  });

  it("refuses a live count above the capacity, an unknown enum value and a short slot", () => {
    const view = new DataView(new ArrayBuffer(112));
    view.setUint8(1, 12);
    expect(blockLike.decodeRequestX86_64(view, 0, blockLike.createRequest())).toMatchObject({ code: "count-exceeds-capacity", fieldPath: "seg", value: 12 });
    view.setUint8(0, 4);
    expect(blockLike.decodeRequestX86_64(view, 0, blockLike.createRequest())).toMatchObject({ code: "enum-value-unknown", fieldPath: "operation", value: 4 });
    expect(blockLike.decodeRequestX86_64(new DataView(new ArrayBuffer(111)), 0, blockLike.createRequest())).toMatchObject({ code: "slot-too-small" });
  });

  it("refuses a bool byte other than 0 or 1 with the nested field path", () => {
    const view = new DataView(new ArrayBuffer(48));
    view.setUint8(0, blockLike.Op.discard);
    view.setUint8(8, 2);
    expect(blockLike.decodeCommandX86_64(view, 0, blockLike.createCommand())).toMatchObject({ code: "bool-not-zero-or-one", fieldPath: "body.discard.secure", value: 2 });
  });

  it("refuses a discriminant no arm handles, and an encoder refuses an arm that contradicts it", () => {
    const view = new DataView(new ArrayBuffer(48));
    view.setUint8(0, blockLike.Op.indirect);
    expect(blockLike.decodeCommandX86_64(view, 0, blockLike.createCommand())).toMatchObject({ code: "discriminant-unknown", fieldPath: "kind", value: 6 });
    const command = blockLike.createCommand();
    command.kind = blockLike.Op.discard;
    expect(blockLike.encodeCommandX86_64(command, view, 0)).toMatchObject({ code: "discriminant-mismatch", fieldPath: "kind" });
  });

  it("refuses to encode values outside a field's range", () => {
    const view = new DataView(new ArrayBuffer(112));
    const request = blockLike.createRequest();
    request.handle = 0x10000;
    expect(blockLike.encodeRequestX86_64(request, view, 0)).toMatchObject({ code: "integer-out-of-range", fieldPath: "handle" });
    request.handle = 0;
    request.id = 2 ** 53;
    expect(blockLike.encodeRequestX86_64(request, view, 0)).toMatchObject({ code: "integer-out-of-range", fieldPath: "id" });
    request.id = 0;
    request.nrSegments = 1;
    request.seg[0]!.firstSect = 1.5;
    expect(blockLike.encodeRequestX86_64(request, view, 0)).toMatchObject({ code: "integer-out-of-range", fieldPath: "seg[0].first_sect" });
  });
});

describe("generated validators", () => {
  it("names the clause, the element path, the value and the spec span of the first failed clause", () => {
    const request = blockLike.createRequest();
    request.nrSegments = 3;
    request.seg[2]!.firstSect = 5;
    request.seg[2]!.lastSect = 3;
    expect(blockLike.validateRequest(request)).toMatchObject({
      clauseId: "segment.first-sect-le-last-sect",
      fieldPath: "seg[2].first_sect",
      value: 5,
      specSpan: { file: "fixture.proto-desc", start: 100, end: 130 },
    });
    request.seg[2]!.firstSect = 0;
    request.seg[2]!.lastSect = 8;
    expect(blockLike.validateRequest(request)).toMatchObject({ clauseId: "segment.last-sect-le-7", fieldPath: "seg[2].last_sect", value: 8 });
    request.seg[2]!.lastSect = 7;
    expect(blockLike.validateRequest(request)).toBeUndefined();
  });

  it("checks only live elements and the live union arm", () => {
    const request = blockLike.createRequest();
    request.seg[5]!.firstSect = 9;
    request.nrSegments = 5;
    expect(blockLike.validateRequest(request)).toBeUndefined();
    const command = blockLike.createCommand();
    command.body.rw.count = 3;
    expect(blockLike.validateCommand(command)).toMatchObject({ clauseId: "command-rw.count-aligned", fieldPath: "body.rw.count", value: 3 });
    command.kind = blockLike.Op.discard;
    command.body.arm = "discard";
    expect(blockLike.validateCommand(command)).toBeUndefined();
  });

  it("checks a record-level clause with a named constant", () => {
    const request = blockLike.createRequest();
    request.nrSegments = 12;
    expect(blockLike.validateRequest(request)).toMatchObject({ clauseId: "request.nr-segments-bounded", fieldPath: "nr_segments", value: 12 });
  });
});

describe("ABI selection from the protocol key", () => {
  it("maps the announced ABI, falls back to the native one and refuses unknown values", () => {
    expect(blockLike.selectAbi("x86_32-abi", "x86_64")).toBe("x86_32");
    expect(blockLike.selectAbi("arm-abi", "x86_64")).toBe("arm");
    expect(blockLike.selectAbi(undefined, "x86_32")).toBe("x86_32");
    expect(blockLike.selectAbi("sparc-abi", "x86_64")).toBeUndefined();
    expect(blockLike.codecsByAbi.arm).toBe(blockLike.codecsByAbi.x86_64);
  });
});
