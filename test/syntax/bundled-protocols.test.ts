// The bundled protocol descriptions parse without any syntax diagnostic (semantic checks are
// the semantic phase's tests).
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../../compiler/syntax/parse.js";
import { listFiles, testRoot } from "../support/fixtures.js";

describe("bundled protocols", () => {
  const paths = listFiles(join(testRoot, "../protocols"), ".proto-desc");
  it("include blkif, netif, console and a host policy", () => {
    expect(paths.map((path) => basename(path))).toEqual(expect.arrayContaining(["blkif.proto-desc", "netif.proto-desc", "console.proto-desc", "host-policy.proto-desc"]));
  });
  for (const path of paths) {
    it(`${basename(path)} parses cleanly`, () => {
      const result = parse(basename(path), readFileSync(path, "utf8"));
      expect(result.diagnostics.map((diagnostic) => `${diagnostic.code} ${diagnostic.message}`)).toEqual([]);
    });
  }
});
