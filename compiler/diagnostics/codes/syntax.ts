// Diagnostic codes PD1xxx: lexical structure, syntax, CST to AST lowering.
import { defineDiagnostics } from "../definition.js";

export const syntaxDiagnostics = defineDiagnostics({});
