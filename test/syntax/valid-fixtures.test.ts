// Valid fixtures: each fixtures/valid/NAME.proto-desc parses without diagnostics and lowers to
// exactly the AST dumped in NAME.ast beside it (`UPDATE_GOLDENS=1` rewrites the dumps). The
// bundled protocol descriptions must parse without any syntax diagnostic too (their semantic
// checks are the semantic phase's tests).
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { dumpAst } from "../../compiler/syntax/dump-ast.js";
import { parse } from "../../compiler/syntax/parse.js";
import { listFiles, readGolden, testRoot } from "../support/fixtures.js";

const fixtureDirectory = join(testRoot, "syntax/fixtures/valid");

describe("valid fixtures", () => {
  const fixtures = listFiles(fixtureDirectory, ".proto-desc");
  it("exist", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
  });
  for (const fixturePath of fixtures) {
    it(basename(fixturePath), () => {
      const text = readFileSync(fixturePath, "utf8");
      const result = parse(basename(fixturePath), text);
      expect(result.diagnostics.map((diagnostic) => `${diagnostic.code} ${diagnostic.message}`)).toEqual([]);
      const dump = dumpAst(result.value);
      const golden = readGolden(fixturePath.replace(/\.proto-desc$/, ".ast"), dump);
      expect(golden, "the expected AST dump exists (run with UPDATE_GOLDENS=1 to create it)").toBeDefined();
      expect(dump).toBe(golden);
    });
  }
});

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
