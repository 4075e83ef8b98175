// Every diagnostic code in the registry must be exercised by at least one fixture: an error
// fixture's caret annotation, or (for command-line and file-system codes) a CLI test.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnosticRegistry } from "../../compiler/diagnostics/registry.js";
import { testRoot } from "../support/fixtures.js";

/** Files under test/ that may demonstrate a code: anything in a fixtures folder, and CLI tests. */
function demonstratingFiles(directory: string, insideFixtures: boolean, found: string[]): void {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) {
      demonstratingFiles(path, insideFixtures || name === "fixtures", found);
    } else if (insideFixtures || (directory.endsWith(join("test", "cli")) && name.endsWith(".test.ts"))) {
      found.push(path);
    }
  }
}

describe("diagnostic registry", () => {
  it("has a fixture for every code", () => {
    const files: string[] = [];
    demonstratingFiles(testRoot, false, files);
    const mentioned = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(file, "utf8").matchAll(/PD\d{4}/g)) mentioned.add(match[0]);
    }
    const missing = [...diagnosticRegistry.keys()].filter((code) => !mentioned.has(code)).sort();
    expect(missing, "codes without a fixture").toEqual([]);
  });

  it("has unique kebab-case slugs and one-sentence summaries", () => {
    for (const definition of diagnosticRegistry.values()) {
      expect(definition.slug).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(definition.summary).toMatch(/^[A-Z].*\.$/);
    }
  });
});
