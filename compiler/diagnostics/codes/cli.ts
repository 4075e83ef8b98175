// Diagnostic codes PD9xxx: command line, file system and input encoding.
import { defineDiagnostics } from "../definition.js";

export const cliDiagnostics = defineDiagnostics({});
