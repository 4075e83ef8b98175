// Diagnostic codes PD2xxx names/imports/constants/types, 3xxx C-ABI layout and rings, 4xxx lifecycle/exchanges/guarantees, 5xxx resources and policies.
import { defineDiagnostics } from "../definition.js";

export const semanticDiagnostics = defineDiagnostics({});
