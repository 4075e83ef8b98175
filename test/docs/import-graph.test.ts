// Holds ARCHITECTURE.md's layering invariants over the real source tree: relative imports
// (type-only ones included) form no cycle, and the runtime imports nothing from the compiler or
// the grammar, so generated code and drivers can ship the runtime alone.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));
const sourceFolders = ["grammar", "compiler", "runtime", "drivers", "bench"];

function listTypeScriptFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every source file (repository-relative) with the repository files its relative imports and re-exports name. */
function readImportGraph(): Map<string, string[]> {
  const files = sourceFolders.flatMap((folder) => listTypeScriptFiles(join(repositoryRoot, folder)));
  const known = new Set(files.map((file) => relative(repositoryRoot, file)));
  const graph = new Map<string, string[]>();
  const specifierPattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+)"/g;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const targets: string[] = [];
    for (const match of text.matchAll(specifierPattern)) {
      const target = relative(repositoryRoot, normalize(join(dirname(file), match[1]!.replace(/\.js$/, ".ts"))));
      if (known.has(target)) targets.push(target);
    }
    graph.set(relative(repositoryRoot, file), targets);
  }
  return graph;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const order = new Map<string, number>();
  const lowest = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    order.set(file, order.size);
    lowest.set(file, order.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!order.has(target)) {
        visit(target);
        lowest.set(file, Math.min(lowest.get(file)!, lowest.get(target)!));
      } else if (onStack.has(target)) {
        lowest.set(file, Math.min(lowest.get(file)!, order.get(target)!));
      }
    }
    if (lowest.get(file) !== order.get(file)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!order.has(file)) visit(file);
  return cycles;
}

describe("the import graph", () => {
  const graph = readImportGraph();

  it("reads the whole source tree", () => {
    expect(graph.size).toBeGreaterThan(200);
    expect(graph.get("runtime/store/store.ts")).toContain("runtime/store/connection-state.ts");
  });

  it("has no cycle, type-only imports included", () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it("finds a cycle when there is one (the check itself works)", () => {
    const withCycle = new Map(graph);
    withCycle.set("runtime/store/connection-state.ts", [...(graph.get("runtime/store/connection-state.ts") ?? []), "runtime/store/store.ts"]);
    expect(findCycles(withCycle)).toEqual([["runtime/store/connection-state.ts", "runtime/store/store.ts"]]);
  });

  it("keeps the runtime free of compiler and grammar imports", () => {
    const offending = [...graph]
      .filter(([file]) => file.startsWith("runtime/"))
      .flatMap(([file, targets]) => targets.filter((target) => target.startsWith("compiler/") || target.startsWith("grammar/")).map((target) => `${file} -> ${target}`));
    expect(offending).toEqual([]);
  });
});
