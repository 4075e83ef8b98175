// Loaded with `node --import` by the CLI tests: any attempt to resolve ts-morph or prettier
// fails loudly, proving that a command path does not load the code generators.
import { register } from "node:module";

const hooks = `
export async function resolve(specifier, context, nextResolve) {
  if (/^(ts-morph|prettier)(\\/|$)/.test(specifier)) throw new Error("forbidden module loaded: " + specifier);
  return nextResolve(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
