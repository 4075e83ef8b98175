// The semantic model is separate from the syntax tree and immutable: analysis writes nothing
// onto AST nodes (it runs on a deeply frozen AST, which must come out unchanged), every object
// reachable from the model is frozen, its maps refuse changes, and its types are readonly.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyze } from "../../compiler/semantic/analyze.js";
import { FrozenMap, isSyntaxNode } from "../../compiler/semantic/freeze-model.js";
import type { SemanticModel } from "../../compiler/semantic/model.js";
import type { SourceFileAst } from "../../compiler/syntax/ast.js";
import { parse } from "../../compiler/syntax/parse.js";
import { repositoryRoot } from "../support/run-cli.js";

function deepFreeze<T>(value: T, seen = new Set<object>()): T {
  if (typeof value !== "object" || value === null || seen.has(value)) return value;
  seen.add(value);
  for (const entry of Object.values(value)) deepFreeze(entry, seen);
  return Object.freeze(value);
}

function snapshot(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) => (typeof entry === "bigint" ? `${entry}n` : entry));
}

function parseBundled(): SourceFileAst[] {
  return ["blkif", "netif", "console", "xenstore", "host-policy"].map((name) => {
    const file = `protocols/${name}.proto-desc`;
    return parse(file, readFileSync(`${repositoryRoot}${file}`, "utf8")).value;
  });
}

/** Every non-AST object reachable from the model, with a path for failure messages. */
function collectModelObjects(value: unknown, path: string, found: { readonly path: string; readonly value: object }[], seen: Set<object>): void {
  if (typeof value !== "object" || value === null || seen.has(value) || isSyntaxNode(value)) return;
  seen.add(value);
  found.push({ path, value });
  if (value instanceof Map) {
    for (const [key, entry] of value) collectModelObjects(entry, `${path}[${typeof key === "string" ? key : "node"}]`, found, seen);
    return;
  }
  for (const [key, entry] of Object.entries(value)) collectModelObjects(entry, `${path}.${key}`, found, seen);
}

describe("semantic model and syntax tree separation", () => {
  const asts = parseBundled();
  const before = snapshot(asts);
  for (const ast of asts) deepFreeze(ast);
  const result = analyze(asts);

  it("analyses a deeply frozen AST without writing to it, and leaves it unchanged", () => {
    expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
    expect(snapshot(asts)).toBe(before);
  });

  it("freezes every object reachable from the model", () => {
    const objects: { readonly path: string; readonly value: object }[] = [];
    collectModelObjects(result.value, "model", objects, new Set());
    expect(objects.length).toBeGreaterThan(500);
    const unfrozen = objects.filter((entry) => !Object.isFrozen(entry.value)).map((entry) => entry.path);
    expect(unfrozen).toEqual([]);
    const maps = objects.filter((entry) => entry.value instanceof Map);
    expect(maps.length).toBeGreaterThan(10);
    expect(maps.every((entry) => entry.value instanceof FrozenMap)).toBe(true);
  });

  it("refuses changes at run time", () => {
    const model: SemanticModel = result.value;
    const blkif = model.protocols.find((protocol) => protocol.name === "blkif");
    expect(blkif).toBeDefined();
    expect(() => {
      (blkif as { name: string }).name = "changed";
    }).toThrow(TypeError);
    expect(() => (blkif?.records as unknown[]).push(undefined)).toThrow(TypeError);
    const layouts = blkif?.records[0]?.layouts as Map<string, unknown>;
    expect(() => layouts.set("x86_64", undefined)).toThrow(TypeError);
    expect(() => layouts.clear()).toThrow(TypeError);
    expect(() => (model.expressionTypes as Map<unknown, unknown>).delete(undefined)).toThrow(TypeError);
  });

  it("is readonly at the type level", () => {
    const model: SemanticModel = result.value;
    const first = model.protocols[0];
    if (first === undefined) return;
    // @ts-expect-error -- model properties are readonly
    const assignName = () => { first.name = "x"; };
    // @ts-expect-error -- model arrays are readonly
    const pushRecord = () => first.records.push(first.records[0]!);
    // @ts-expect-error -- model maps are ReadonlyMap
    const setLayout = () => first.records[0]?.layouts.set("x86_64", first.records[0].layouts.get("x86_64")!);
    expect([assignName, pushRecord, setLayout].every((entry) => typeof entry === "function")).toBe(true);
  });

  it("keeps AST nodes by identity: the model points at syntax, never copies it", () => {
    const blkif = result.value.protocols.find((protocol) => protocol.name === "blkif");
    const constraint = blkif?.records.find((record) => record.name === "Segment")?.constraints[0];
    const structDeclaration = asts[0]?.declarations[0];
    expect(constraint).toBeDefined();
    expect(structDeclaration?.kind).toBe("ProtocolDeclaration");
    expect(result.value.expressionTypes.get(constraint!.condition)).toEqual({ kind: "boolean" });
  });
});
