#!/usr/bin/env node
// Entry point of the `proto-desc` command: loads the compiled CLI from dist/.
// `npm install` / `npm ci` build dist/ through the `prepare` script.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const mainPath = fileURLToPath(new URL("../dist/compiler/cli/main.js", import.meta.url));
if (!existsSync(mainPath)) {
  process.stderr.write("proto-desc: the compiled CLI is missing (dist/); run `npm install` or `npm run build` first.\n");
  process.exit(2);
}
const { runCli } = await import("../dist/compiler/cli/main.js");
process.exitCode = await runCli(process.argv.slice(2));
