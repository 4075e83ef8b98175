// `npm run bench`: runs every bench/*.bench.js module found next to this file (compiled),
// in name order, or only those named on the command line. Each suite prints its own ratios
// against a baseline measured in the same run.
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchSuite } from "./suite.js";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = new Set(process.argv.slice(2));
const files = readdirSync(here)
  .filter((file) => file.endsWith(".bench.js"))
  .filter((file) => wanted.size === 0 || wanted.has(file.replace(/\.bench\.js$/, "")))
  .sort();
for (const file of files) {
  const module = (await import(pathToFileURL(`${here}/${file}`).href)) as { suite: BenchSuite };
  process.stdout.write(`\n## ${module.suite.name}\n`);
  await module.suite.run();
}
