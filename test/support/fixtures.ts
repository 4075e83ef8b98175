// Shared helpers for golden fixtures: listing fixture files, comparing against (or, with
// UPDATE_GOLDENS=1, rewriting) expected output beside the input.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const testRoot = fileURLToPath(new URL("../", import.meta.url));

export const updateGoldens = process.env["UPDATE_GOLDENS"] === "1";

export function listFiles(directory: string, extension: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith(extension))
    .sort()
    .map((name) => join(directory, name));
}

/** Returns the golden's content, writing `actual` first when goldens are being updated. */
export function readGolden(path: string, actual: string): string | undefined {
  if (updateGoldens) writeFileSync(path, actual);
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}
