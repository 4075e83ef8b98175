// Reads a compiled policy from a JSON file and loads it into an engine; unreadable files and
// JSON syntax errors become policy problems like any other, never exceptions.
import { readFileSync } from "node:fs";
import { PolicyEngine, type PolicyEngineLoadResult } from "./policy-engine.js";
import { policyProblemCodes } from "./policy-problem.js";

export function readCompiledPolicyFile(path: string): PolicyEngineLoadResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { readonly code?: unknown }).code;
    return { engine: undefined, problems: [{ ...policyProblemCodes.malformed, path: "$", message: `cannot read ${path}: ${typeof code === "string" ? code : "unreadable"}` }] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : "invalid JSON";
    return { engine: undefined, problems: [{ ...policyProblemCodes.malformed, path: "$", message: `${path} is not JSON: ${detail}` }] };
  }
  return PolicyEngine.load(parsed);
}
