// The one chevrotain lexer for .proto-desc. Full position tracking gives tokens their end
// offsets, from which the parser derives node spans; diagnostics still carry offsets only,
// and compiler/diagnostics/line-map.ts computes lines and columns when rendering.
import { Lexer } from "./chevrotain.js";
import { allTokens } from "./tokens.js";

export const protoDescLexer = new Lexer([...allTokens], {
  positionTracking: "full",
  ensureOptimizations: true,
});
