// Diagnostic codes PD6xxx: IR lowering and code generation (name clashes, unsupported constructs).
import { defineDiagnostics } from "../definition.js";

export const codegenDiagnostics = defineDiagnostics({
  PD6001: {
    slug: "generated-name-clash",
    severity: "error",
    summary: "Two declarations of the spec map to the same name in generated TypeScript.",
  },
  PD6002: {
    slug: "generated-name-reserved",
    severity: "error",
    summary: "A declaration's generated name is reserved by TypeScript or by the generated code itself.",
  },
  PD6003: {
    slug: "generated-name-invalid",
    severity: "error",
    summary: "A declaration's name cannot be turned into a TypeScript identifier.",
  },
  PD6004: {
    slug: "codegen-construct-unsupported",
    severity: "error",
    summary: "The spec uses a construct the code generator cannot express yet.",
  },
  PD6005: {
    slug: "generated-file-clash",
    severity: "error",
    summary: "Two protocols would be written to the same generated file.",
  },
  PD6006: {
    slug: "stubs-not-generated",
    severity: "warning",
    summary: "An exchange gets no typed frontend/backend stubs; the message names why, and the rest of the protocol is still generated.",
  },
});
