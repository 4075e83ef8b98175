// Golden fixture 01: one struct holding every scalar kind, a fixed array and padding.
import { bool, buildProtocol, evtchn, grant, i16, i32, i64, i8, u16, u32, u64, u8 } from "../../../support/ir-builder.js";

export const protocol = buildProtocol({
  name: "scalars",
  enums: [
    {
      name: "colour",
      width: 2,
      signed: false,
      members: [
        { name: "red", value: 1 },
        { name: "green", value: 2 },
        { name: "deep_blue", value: 40000 },
      ],
      isFlags: false,
      span: { file: "fixture.proto-desc", start: 0, end: 1 },
    },
  ],
  records: [
    {
      name: "every_scalar",
      role: "message",
      sender: "frontend",
      fields: [
        { name: "small", type: u8 },
        { name: "signed_small", type: i8 },
        { name: "medium", type: u16 },
        { name: "signed_medium", type: i16 },
        { name: "flag", type: bool },
        { name: "large", type: u32 },
        { name: "signed_large", type: i32 },
        { name: "huge", type: u64 },
        { name: "signed_huge", type: i64 },
        { name: "colour", type: { kind: "enum", enumName: "colour" } },
        { name: "page", type: grant },
        { name: "port", type: evtchn },
        { name: "history", type: { kind: "array", element: u16, capacity: 3 } },
      ],
    },
  ],
});
