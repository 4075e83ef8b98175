// Differential property test: random well-typed struct and union definitions are laid out by
// the layout engine and by gcc (x86_64 natively, x86_32 with -m32), and must agree on every
// size, alignment and offset. Each batch is ONE C file compiled to assembly (no linking, no
// running), because gcc is slow on a loaded machine; the numbers are read from the assembly.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LayoutEngine, type LayoutFieldShape, type LayoutTypeShape } from "../../compiler/semantic/layout.js";
import { allScalarTypeNames, type ScalarTypeName, type TargetAbi } from "../../compiler/semantic/layout-abi.js";

type RecordShape = Extract<LayoutTypeShape, { kind: "record" }>;

const cTypeNames: Readonly<Record<ScalarTypeName, string>> = {
  u8: "unsigned char", u16: "unsigned short", u32: "unsigned int", u64: "unsigned long long",
  i8: "signed char", i16: "short", i32: "int", i64: "long long",
  bool: "_Bool", char: "char", grant: "unsigned int", evtchn: "unsigned int",
};

function gccAvailable(): boolean {
  return spawnSync("gcc", ["--version"], { encoding: "utf8" }).status === 0;
}

/** Random record shapes: scalars, arrays, explicit padding and nested records up to depth 2. */
function recordArbitrary(): fc.Arbitrary<RecordShape> {
  const scalar: fc.Arbitrary<LayoutTypeShape> = fc.constantFrom(...allScalarTypeNames).map((name) => ({ kind: "scalar", scalar: name }));
  const leaf: fc.Arbitrary<LayoutTypeShape> = fc.oneof(
    { weight: 6, arbitrary: scalar },
    { weight: 2, arbitrary: fc.record({ element: scalar, length: fc.integer({ min: 1, max: 5 }) }).map(({ element, length }) => ({ kind: "array" as const, element, length })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }).map((bytes) => ({ kind: "padding" as const, bytes })) },
  );
  const recordOf = (fieldType: fc.Arbitrary<LayoutTypeShape>): fc.Arbitrary<RecordShape> =>
    fc.record({ isUnion: fc.boolean(), types: fc.array(fieldType, { minLength: 1, maxLength: 6 }) }).map(({ isUnion, types }) => ({
      kind: "record" as const,
      name: "",
      // A union member that is only padding is legal C but pointless; keep unions to real members.
      isUnion: isUnion && types.every((type) => type.kind !== "padding"),
      fields: types.map((type, index): LayoutFieldShape => ({ name: `f${index}`, type })),
    }));
  const inner = recordOf(leaf);
  const middle = recordOf(fc.oneof({ weight: 4, arbitrary: leaf }, { weight: 1, arbitrary: inner }, {
    weight: 1,
    arbitrary: fc.record({ element: inner, length: fc.integer({ min: 1, max: 3 }) }).map(({ element, length }) => ({ kind: "array" as const, element, length })),
  }));
  return recordOf(fc.oneof({ weight: 4, arbitrary: leaf }, { weight: 1, arbitrary: middle }));
}

/** Gives every record in the tree a unique C name and emits its definition before its users. */
class CProgramWriter {
  private readonly names = new Map<RecordShape, string>();
  private readonly lines: string[] = [];
  readonly probes: { readonly label: string; readonly record: RecordShape; readonly what: "size" | "align" | number }[] = [];

  nameRecord(record: RecordShape): string {
    const existing = this.names.get(record);
    if (existing !== undefined) return existing;
    for (const field of record.fields) this.nameNested(field.type);
    const name = `r${this.names.size}`;
    this.names.set(record, name);
    const keyword = record.isUnion ? "union" : "struct";
    const members = record.fields.map((field) => `  ${this.declare(field.type, field.name)};`);
    this.lines.push(`${keyword} ${name} {`, ...members, "};");
    this.probe(`${name}_size`, record, "size", `sizeof(${keyword} ${name})`);
    this.probe(`${name}_align`, record, "align", `_Alignof(${keyword} ${name})`);
    record.fields.forEach((field, index) => this.probe(`${name}_off${index}`, record, index, `__builtin_offsetof(${keyword} ${name}, ${field.name})`));
    return name;
  }

  private nameNested(type: LayoutTypeShape): void {
    if (type.kind === "record") this.nameRecord(type);
    if (type.kind === "array") this.nameNested(type.element);
  }

  private declare(type: LayoutTypeShape, declarator: string): string {
    switch (type.kind) {
      case "scalar": return `${cTypeNames[type.scalar]} ${declarator}`;
      case "padding": return `unsigned char ${declarator}[${type.bytes}]`;
      case "array": return this.declare(type.element, `${declarator}[${type.length}]`);
      case "record": return `${type.isUnion ? "union" : "struct"} ${this.nameRecord(type)} ${declarator}`;
    }
  }

  private probe(label: string, record: RecordShape, what: "size" | "align" | number, expression: string): void {
    this.probes.push({ label, record, what });
    this.lines.push(`unsigned int ${label} = ${expression};`);
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

function compileToNumbers(cSource: string, abi: TargetAbi, directory: string): Map<string, number> {
  const sourcePath = join(directory, `layout-${abi}.c`);
  writeFileSync(sourcePath, cSource);
  const flags = abi === "x86_32" ? ["-m32"] : [];
  const result = spawnSync("gcc", [...flags, "-std=c11", "-S", "-o", "-", sourcePath], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`gcc failed for ${abi}: ${result.stderr}`);
  const numbers = new Map<string, number>();
  // Non-zero values are emitted as `.long N`; zero-valued globals go to .bss as `.zero 4`.
  const pattern = /^(r\d+_\w+):\s*\n\s*(?:\.long\s+(\d+)|\.zero\s+4)/gm;
  for (const match of result.stdout.matchAll(pattern)) numbers.set(match[1] ?? "", Number(match[2] ?? "0"));
  return numbers;
}

function engineNumber(engine: LayoutEngine, record: RecordShape, what: "size" | "align" | number): number {
  const layout = engine.layOutRecord(record);
  if (what === "size") return layout.size;
  if (what === "align") return layout.align;
  const name = record.fields[what]?.name;
  const entry = layout.entries.find((candidate) => candidate.name === name);
  return entry?.offset ?? -1;
}

const hasGcc = gccAvailable();

describe.skipIf(!hasGcc)("layout engine agrees with gcc on random records", () => {
  it.each<TargetAbi>(["x86_64", "x86_32"])("on %s (one gcc call for the whole batch)", (abi) => {
    const samples = fc.sample(recordArbitrary(), { seed: abi === "x86_64" ? 20261128 : 1128, numRuns: 150 });
    const writer = new CProgramWriter();
    for (const sample of samples) writer.nameRecord(sample);
    const directory = mkdtempSync(join(tmpdir(), "proto-desc-layout-"));
    try {
      const fromGcc = compileToNumbers(writer.text(), abi, directory);
      const engine = new LayoutEngine(abi);
      const mismatches: string[] = [];
      for (const probe of writer.probes) {
        const expected = fromGcc.get(probe.label);
        const actual = engineNumber(engine, probe.record, probe.what);
        if (expected !== actual) mismatches.push(`${probe.label}: gcc ${String(expected)}, engine ${actual}`);
      }
      expect(writer.probes.length).toBeGreaterThan(samples.length * 3);
      expect(mismatches, `C source:\n${writer.text()}`).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe.runIf(!hasGcc)("layout engine agrees with gcc", () => {
  it.skip("skipped: gcc is not installed on this machine, so the differential layout test cannot run", () => {});
});

describe("layout engine invariants on random records", () => {
  it("struct entries tile [0, size) exactly and every field is aligned", () => {
    fc.assert(
      fc.property(recordArbitrary(), fc.constantFrom<TargetAbi>("x86_64", "x86_32", "arm"), (record, abi) => {
        const layout = new LayoutEngine(abi).layOutRecord(record);
        expect(layout.size % layout.align).toBe(0);
        if (layout.isUnion) return;
        let cursor = 0;
        for (const entry of layout.entries) {
          expect(entry.offset).toBe(cursor);
          if (entry.kind === "field") expect(entry.offset % entry.align).toBe(0);
          cursor += entry.size;
        }
        expect(cursor).toBe(layout.size);
      }),
      { numRuns: 200 },
    );
  });
});
