// Diagnostic codes PD1xxx: lexical structure (PD10xx), syntax (PD11xx), CST to AST lowering
// (PD12xx) and doc-comment placement (PD13xx).
import { defineDiagnostics } from "../definition.js";

export const syntaxDiagnostics = defineDiagnostics({
  PD1001: { slug: "unexpected-character", severity: "error", summary: "A character that cannot start any token." },
  PD1002: { slug: "unterminated-string", severity: "error", summary: "A string literal without its closing quote on the same line." },
  PD1003: { slug: "unterminated-block-comment", severity: "error", summary: "A block comment without its closing '*/'." },
  PD1004: { slug: "invalid-escape", severity: "error", summary: "An escape sequence in a string other than \\\\, \\\", \\n, \\t or \\xHH." },
  PD1005: {
    slug: "invalid-number",
    severity: "error",
    summary: "A number that is not a valid decimal, hexadecimal or binary integer or duration (misplaced '_', bad digit, unknown unit).",
  },
  PD1101: { slug: "expected-token", severity: "error", summary: "A specific token (such as ';' or a name) was required here." },
  PD1102: { slug: "unexpected-token", severity: "error", summary: "No construct of the language starts with this token here." },
  PD1103: { slug: "missing-list-element", severity: "error", summary: "A list that needs at least one element is empty." },
  PD1201: {
    slug: "non-associative-operator-chain",
    severity: "error",
    summary: "Comparisons and ranges do not chain (`a < b < c`); combine them with `&&` or parentheses.",
  },
  PD1202: { slug: "quantifier-needs-range", severity: "error", summary: "A quantifier's domain must be a written-out range `a .. b` or `a ..= b`." },
  PD1203: { slug: "invalid-padding", severity: "error", summary: "Padding is written `pad[N]` with exactly one size and no `count`." },
  PD1204: { slug: "struct-with-sender", severity: "error", summary: "Only a message names its sending role with `from`." },
  PD1205: { slug: "message-without-sender", severity: "error", summary: "A message must name its sending role: `message NAME from ROLE`." },
  PD1206: { slug: "missing-comma", severity: "error", summary: "List elements (enum members, types of a set) must be separated by commas." },
  PD1207: { slug: "duplicate-attribute", severity: "error", summary: "An attribute (such as `optional` or `when`) is given twice in one declaration." },
  PD1208: { slug: "incomplete-stream-direction", severity: "error", summary: "A stream direction must name its `data`, `producer` and `consumer` fields." },
  PD1301: { slug: "detached-doc-comment", severity: "warning", summary: "A `///` doc comment that is not directly before a declaration or member it could document." },
});
