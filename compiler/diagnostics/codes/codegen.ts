// Diagnostic codes PD6xxx: IR lowering and code generation (name clashes, unsupported constructs).
import { defineDiagnostics } from "../definition.js";

export const codegenDiagnostics = defineDiagnostics({});
