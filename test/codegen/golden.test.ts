import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { IrProtocol } from "../../compiler/ir/protocol.js";
import { emitGoldenFixture, goldenFixtureNames } from "./golden-fixtures.js";

// Golden tests: each fixture's input.ts declares an IR protocol; expected.ts beside it is the
// generated module, reviewed like code. `UPDATE_GOLDEN=1` rewrites the expected files.
describe("golden generated modules", () => {
  for (const fixtureName of goldenFixtureNames) {
    it(`${fixtureName} matches expected.ts`, async () => {
      const folder = new URL(`./golden/${fixtureName}/`, import.meta.url);
      const input = (await import(new URL("input.ts", folder).href)) as { protocol: IrProtocol };
      const emitted = await emitGoldenFixture(fixtureName, input.protocol);
      const expectedPath = fileURLToPath(new URL("expected.ts", folder));
      if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(expectedPath, emitted.text);
      expect(emitted.text).toBe(readFileSync(expectedPath, "utf8"));
    });
  }
});
