// Golden fixture 02: a block-style protocol with nested structs, a counted array, `where`
// clauses, enums and unions of message variants selected by an enum discriminant (one of them
// signed, with negative member values as case labels).
import type { IrExpression } from "../../../../compiler/ir/expression.js";
import { bool, buildProtocol, grant, i64, spanAt, u16, u32, u64, u8 } from "../../../support/ir-builder.js";

const field = (...path: string[]): IrExpression => ({ kind: "field", path });
const compare = (operator: "<=" | "<" | "==", left: IrExpression, right: IrExpression): IrExpression => ({ kind: "binary", operator, left, right });

export const protocol = buildProtocol({
  name: "block_like",
  version: 2,
  constants: [{ name: "max_segments", value: 11, span: spanAt(1, 2) }],
  enums: [
    {
      name: "op",
      width: 1,
      signed: false,
      members: [
        { name: "read", value: 0 },
        { name: "write", value: 1 },
        { name: "write_barrier", value: 2 },
        { name: "flush_diskcache", value: 3 },
        { name: "discard", value: 5 },
        { name: "indirect", value: 6 },
      ],
      isFlags: false,
      span: spanAt(3, 4),
    },
    {
      name: "status",
      width: 2,
      signed: true,
      members: [
        { name: "okay", value: 0 },
        { name: "error", value: -1 },
        { name: "eopnotsupp", value: -2 },
      ],
      isFlags: false,
      span: spanAt(5, 6),
    },
  ],
  records: [
    {
      name: "segment",
      role: "struct",
      fields: [
        { name: "gref", type: grant },
        { name: "first_sect", type: u8 },
        { name: "last_sect", type: u8 },
      ],
      clauses: [
        { clauseId: "segment.first-sect-le-last-sect", expression: compare("<=", field("first_sect"), field("last_sect")), fieldPath: ["first_sect"], span: spanAt(100, 130) },
        { clauseId: "segment.last-sect-le-7", expression: compare("<=", field("last_sect"), { kind: "integer-literal", value: 7 }), fieldPath: ["last_sect"], span: spanAt(131, 150) },
      ],
    },
    {
      name: "request",
      role: "message",
      sender: "frontend",
      fields: [
        { name: "operation", type: { kind: "enum", enumName: "op" } },
        { name: "nr_segments", type: u8 },
        { name: "handle", type: u16 },
        { name: "id", type: u64 },
        { name: "sector_number", type: u64 },
        { name: "seg", type: { kind: "array", element: { kind: "record", recordName: "segment" }, capacity: 11, countField: "nr_segments" } },
      ],
      clauses: [
        {
          clauseId: "request.nr-segments-bounded",
          expression: compare("<=", field("nr_segments"), { kind: "constant", name: "max_segments", value: 11 }),
          fieldPath: ["nr_segments"],
          span: spanAt(200, 240),
        },
      ],
    },
    {
      name: "response",
      role: "message",
      sender: "backend",
      fields: [
        { name: "id", type: u64 },
        { name: "operation", type: { kind: "enum", enumName: "op" } },
        { name: "status", type: { kind: "enum", enumName: "status" } },
      ],
    },
    {
      name: "command_rw",
      role: "arm",
      fields: [
        { name: "sector", type: u64 },
        { name: "count", type: u32 },
      ],
      clauses: [
        {
          clauseId: "command-rw.count-aligned",
          expression: compare("==", { kind: "binary", operator: "&", left: field("count"), right: { kind: "integer-literal", value: 7 } }, { kind: "integer-literal", value: 0 }),
          fieldPath: ["count"],
          span: spanAt(300, 330),
        },
      ],
    },
    {
      name: "command_discard",
      role: "arm",
      fields: [
        { name: "secure", type: bool },
        { name: "offset", type: i64 },
        { name: "grefs", type: { kind: "array", element: u32, capacity: 4 } },
      ],
    },
    {
      name: "command",
      role: "message",
      sender: "frontend",
      fields: [
        { name: "kind", type: { kind: "enum", enumName: "op" } },
        {
          name: "body",
          type: {
            kind: "union",
            discriminantField: "kind",
            arms: [
              { armName: "rw", discriminantValues: [0, 1], isDefault: false, recordName: "command_rw" },
              { armName: "discard", discriminantValues: [5], isDefault: false, recordName: "command_discard" },
            ],
          },
        },
        { name: "tag", type: u8 },
      ],
    },
    {
      name: "reply_done",
      role: "arm",
      fields: [{ name: "bytes", type: u32 }],
    },
    {
      name: "reply_failed",
      role: "arm",
      fields: [{ name: "reason", type: u16 }],
      clauses: [
        {
          clauseId: "reply-failed.reason-bounded",
          expression: compare("<=", field("reason"), { kind: "constant", name: "max_segments", value: 11 }),
          fieldPath: ["reason"],
          span: spanAt(400, 430),
        },
      ],
    },
    {
      name: "reply",
      role: "message",
      sender: "backend",
      fields: [
        { name: "status", type: { kind: "enum", enumName: "status" } },
        {
          name: "detail",
          type: {
            kind: "union",
            discriminantField: "status",
            arms: [
              { armName: "done", discriminantValues: [0], isDefault: false, recordName: "reply_done" },
              { armName: "failed", discriminantValues: [-1, -2], isDefault: false, recordName: "reply_failed" },
            ],
          },
        },
      ],
    },
  ],
});
