// Every example in docs/language.md parses exactly as the text around it says: blocks tagged
// `proto-desc` are whole files, `proto-desc members` are protocol members, `proto-desc
// expression` is one expression. An example that stops parsing fails this test.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnosticRegistry } from "../../compiler/diagnostics/registry.js";
import { parse } from "../../compiler/syntax/parse.js";
import { softKeywordSpellings } from "../../grammar/tokens.js";
import { testRoot } from "../support/fixtures.js";

const documentPath = join(testRoot, "../docs/language.md");
const document = readFileSync(documentPath, "utf8");

interface Example {
  readonly line: number;
  readonly tag: string;
  readonly text: string;
}

function extractExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  const pattern = /^```proto-desc( members| expression)?\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(pattern)) {
    const line = markdown.slice(0, match.index).split("\n").length;
    examples.push({ line, tag: (match[1] ?? "").trim(), text: match[2] ?? "" });
  }
  return examples;
}

function wrap(example: Example): string {
  if (example.tag === "members") return `protocol example version 1 {\n${example.text}}\n`;
  if (example.tag === "expression") return `protocol example version 1 { const EXAMPLE = ${example.text.trim()}; }\n`;
  return example.text;
}

describe("docs/language.md examples", () => {
  const examples = extractExamples(document);
  it("are there (one per section at least)", () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
  });
  it("cover blkif, netif and console", () => {
    const allText = examples.map((example) => example.text).join("\n");
    expect(allText).toMatch(/packet \w+ on \w+ request/);
    expect(allText).toMatch(/stream \w+ on \w+/);
    expect(allText).toMatch(/guarantee \w+ by frontend/);
  });
  for (const example of examples) {
    it(`line ${example.line} (${example.tag === "" ? "file" : example.tag}) parses cleanly`, () => {
      const result = parse(`language.md:${example.line}`, wrap(example));
      expect(result.diagnostics.map((diagnostic) => `${diagnostic.code} ${diagnostic.message}`)).toEqual([]);
      expect(result.value.declarations.length).toBeGreaterThan(0);
    });
  }
  it("does not mistag an example (every proto-desc fence is one of the three tags)", () => {
    const fences = [...document.matchAll(/^```proto-desc(.*)$/gm)].map((match) => (match[1] ?? "").trim());
    for (const tag of fences) expect(["", "members", "expression"]).toContain(tag);
  });

  it("lists exactly the lexer's soft keywords in §1.2", () => {
    const paragraph = /Words with a meaning in the language — ([\s\S]*?) — are \*\*soft keywords\*\*/.exec(document)?.[1] ?? "";
    const listed = [...paragraph.matchAll(/`([a-z]+)`/g)].map((match) => match[1]);
    expect([...listed].sort()).toEqual([...softKeywordSpellings].sort());
  });

  it("lists every PD1xxx code of the registry in §12", () => {
    const section = document.slice(document.indexOf("## 12. Diagnostics"));
    const syntaxCodes = [...diagnosticRegistry.keys()].filter((code) => code.startsWith("PD1"));
    for (const code of syntaxCodes) expect(section, `${code} is documented`).toContain(`| ${code} | ${diagnosticRegistry.get(code)?.slug ?? ""} |`);
  });
});
