// docs/policing.md's catalogue table is rendered from blkif-attack-catalogue.ts: a test
// re-renders it and compares with the text between the table's marker comments, so the doc
// cannot drift from the attacks that run. UPDATE_GOLDENS=1 rewrites the table in place.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "../support/run-cli.js";
import { updateGoldens } from "../support/fixtures.js";
import { blkifAttackCatalogue, blkifGuaranteesAwaitingClauses, shadowedBlkifClauses } from "./blkif-attack-catalogue.js";

const documentPath = join(repositoryRoot, "docs/policing.md");
const startMarker = "<!-- catalogue-table:start (rendered by test/policer/catalogue-doc.test.ts; UPDATE_GOLDENS=1 to rewrite) -->";
const endMarker = "<!-- catalogue-table:end -->";

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function renderCatalogueTable(): string {
  const lines = ["| clause id | attack | malicious | verdict | blamed | ABIs |", "|---|---|---|---|---|---|"];
  for (const [clauseId, attacks] of Object.entries(blkifAttackCatalogue)) {
    for (const attack of attacks) {
      lines.push(`| \`${clauseId}\` | ${escapeCell(attack.name)} | ${attack.maliciousRole} | ${attack.expectedVerdict} | ${attack.blamedRole} | ${attack.abis.join(", ")} |`);
    }
  }
  lines.push("", "Shadowed clauses (no attack can reach them under their own id; the coverage test plays the attack and requires the shadowing clause):", "");
  for (const [clauseId, shadowed] of Object.entries(shadowedBlkifClauses)) lines.push(`- \`${clauseId}\`, shadowed by \`${shadowed.shadowedBy}\` (${shadowed.attack.name}): ${shadowed.reason}.`);
  lines.push("", "Guarantees of protocols/blkif.proto-desc the generated spec does not carry yet:", "");
  for (const [guaranteeId, reason] of Object.entries(blkifGuaranteesAwaitingClauses)) lines.push(`- \`${guaranteeId}\`: ${reason}.`);
  return lines.join("\n");
}

describe("docs/policing.md catalogue table", () => {
  it("matches the catalogue", () => {
    const document = readFileSync(documentPath, "utf8");
    const start = document.indexOf(startMarker);
    const end = document.indexOf(endMarker);
    expect(start, `docs/policing.md lacks the line ${startMarker}`).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const rendered = `\n${renderCatalogueTable()}\n`;
    if (updateGoldens) writeFileSync(documentPath, document.slice(0, start + startMarker.length) + rendered + document.slice(end));
    const current = updateGoldens ? readFileSync(documentPath, "utf8") : document;
    expect(current.slice(current.indexOf(startMarker) + startMarker.length, current.indexOf(endMarker))).toBe(rendered);
  });
});
