// Golden fixture 03: typed stubs for a tiny request/response protocol over a ring: a u64 id
// after a verb and a payload, an echoed enum field, an
// ABI key, and published keys of every type (bool, integer, enum, text; required, defaulted,
// optional) grouped by the lifecycle state they are written before.
import { buildProtocol, spanAt, u32, u64, u8 } from "../../../support/ir-builder.js";
import type { IrProtocol } from "../../../../compiler/ir/protocol.js";
import type { IrStubs } from "../../../../compiler/ir/stubs.js";

const records = buildProtocol({
  name: "echo_dev",
  enums: [
    {
      name: "verb",
      width: 1,
      signed: false,
      members: [
        { name: "ping", value: 1 },
        { name: "pong", value: 2 },
      ],
      isFlags: false,
      span: spanAt(1, 2),
    },
  ],
  records: [
    {
      name: "ask",
      role: "message",
      sender: "frontend",
      fields: [
        { name: "verb", type: { kind: "enum", enumName: "verb" } },
        { name: "payload", type: u32 },
        { name: "id", type: u64 },
      ],
    },
    {
      name: "answer",
      role: "message",
      sender: "backend",
      fields: [
        { name: "id", type: u64 },
        { name: "verb", type: { kind: "enum", enumName: "verb" } },
        { name: "result", type: u8 },
      ],
    },
  ],
});

const stubs: IrStubs = {
  channel: "pipe",
  requestRecord: "ask",
  responseRecord: "answer",
  requesterRole: "frontend",
  responderRole: "backend",
  slotLayouts: {
    x86_64: { slotBytes: 16, requestIdOffset: 8, responseIdOffset: 0, idBytes: 8, echoedFields: [{ requestField: "verb", responseField: "verb", requestOffset: 0, responseOffset: 8, width: 1 }] },
    x86_32: { slotBytes: 16, requestIdOffset: 8, responseIdOffset: 0, idBytes: 8, echoedFields: [{ requestField: "verb", responseField: "verb", requestOffset: 0, responseOffset: 8, width: 1 }] },
  },
  maximumRingPageOrder: 1,
  ringPageOrderLimitKey: "max-order",
  ringReferenceKey: "pipe-ref",
  ringPageOrderKey: "pipe-order",
  eventChannelKey: "pipe-port",
  abiSelectorKey: "protocol",
  requesterPublications: [{ state: "Initialised", keys: [{ key: "client-name", type: { kind: "string" }, required: true, span: spanAt(3, 4) }] }],
  responderPublications: [
    {
      state: "InitWait",
      keys: [
        { key: "feature-pong", type: { kind: "bool" }, required: true, defaultValue: false, span: spanAt(5, 6) },
        { key: "max-order", type: { kind: "integer", width: 4, signed: false }, required: true, defaultValue: 0, span: spanAt(7, 8) },
      ],
    },
    {
      state: "Connected",
      keys: [
        { key: "favourite-verb", type: { kind: "enum", enumName: "verb", width: 1, signed: false }, required: true, span: spanAt(9, 10) },
        { key: "offset", type: { kind: "integer", width: 2, signed: true }, required: false, span: spanAt(11, 12) },
      ],
    },
  ],
  span: spanAt(13, 14),
};

export const protocol: IrProtocol = { ...records, stubs };
