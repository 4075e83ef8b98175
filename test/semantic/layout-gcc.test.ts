// Differential property test: random well-typed struct and union definitions (with nested
// records, arrays, explicit padding and switch variant parts) are laid out by the layout engine
// and by gcc (x86_64 natively, x86_32 with -m32), and must agree on every size, alignment and
// offset. Each batch is ONE C file compiled to assembly (no linking, no running), because gcc
// is slow on a loaded machine; the numbers are read back from the assembly.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LayoutEngine, type LaidOutSwitch, type LayoutFieldShape, type LayoutMemberShape, type LayoutSwitchShape, type LayoutTypeShape, type RecordShape } from "../../compiler/semantic/layout.js";
import { allScalarTypeNames, type ScalarTypeName, type TargetAbi } from "../../compiler/semantic/layout-abi.js";

const cTypeNames: Readonly<Record<ScalarTypeName, string>> = {
  u8: "unsigned char", u16: "unsigned short", u32: "unsigned int", u64: "unsigned long long",
  i8: "signed char", i16: "short", i32: "int", i64: "long long",
  bool: "_Bool", char: "char", grant: "unsigned int", evtchn: "unsigned int",
};

function gccAvailable(): boolean {
  return spawnSync("gcc", ["--version"], { encoding: "utf8" }).status === 0;
}

/** Whether this gcc can target i386 (`-m32`); only assembly is produced, so no 32-bit libc is needed. */
function gccTargetsI386(): boolean {
  return spawnSync("gcc", ["-m32", "-x", "c", "-S", "-o", "-", "-"], { input: "int probe;\n", encoding: "utf8" }).status === 0;
}

/**
 * Without `-m32`, x86_32 is emulated on x86_64 by typedefs that lower 64-bit integers to
 * 4-byte alignment, which is the only i386 rule that differs for the types the language has.
 */
const emulatedI386Typedefs = [
  "typedef unsigned long long pd_u64 __attribute__((aligned(4)));",
  "typedef long long pd_i64 __attribute__((aligned(4)));",
].join("\n");

const scalarArbitrary: fc.Arbitrary<LayoutTypeShape> = fc.constantFrom(...allScalarTypeNames).map((name) => ({ kind: "scalar", scalar: name }));
const leafArbitrary: fc.Arbitrary<LayoutTypeShape> = fc.oneof(
  { weight: 6, arbitrary: scalarArbitrary },
  { weight: 2, arbitrary: fc.record({ element: scalarArbitrary, length: fc.integer({ min: 1, max: 5 }) }).map(({ element, length }) => ({ kind: "array" as const, element, length })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }).map((bytes) => ({ kind: "padding" as const, bytes })) },
);

const fieldsOf = (types: readonly LayoutTypeShape[], prefix: string): LayoutFieldShape[] => types.map((type, index) => ({ name: `${prefix}${index}`, type }));

/** A trailing switch whose cases hold leaf fields, as blkif's request variants do. */
const switchArbitrary: fc.Arbitrary<LayoutSwitchShape> = fc.array(fc.array(leafArbitrary, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }).map((cases) => ({
  kind: "switch",
  discriminant: "f0",
  cases: cases.map((types, caseIndex) => ({ labels: [String(caseIndex)], isDefault: false, members: fieldsOf(types, `c${caseIndex}_`) })),
}));

function recordOf(fieldType: fc.Arbitrary<LayoutTypeShape>): fc.Arbitrary<RecordShape> {
  return fc.record({ isUnion: fc.boolean(), types: fc.array(fieldType, { minLength: 1, maxLength: 6 }), variantPart: fc.option(switchArbitrary, { freq: 3 }) }).map(({ isUnion, types, variantPart }) => {
    // A union member that is only padding is legal C but pointless; keep unions to real members.
    const union = isUnion && types.every((type) => type.kind !== "padding");
    const members: LayoutMemberShape[] = fieldsOf(types, "f");
    if (!union && variantPart !== null) members.push(variantPart);
    return { kind: "record" as const, name: "", isUnion: union, fields: members };
  });
}

function recordArbitrary(): fc.Arbitrary<RecordShape> {
  const inner = recordOf(leafArbitrary);
  const middle = recordOf(fc.oneof({ weight: 4, arbitrary: leafArbitrary }, { weight: 1, arbitrary: inner }, {
    weight: 1,
    arbitrary: fc.record({ element: inner, length: fc.integer({ min: 1, max: 3 }) }).map(({ element, length }) => ({ kind: "array" as const, element, length })),
  }));
  return recordOf(fc.oneof({ weight: 4, arbitrary: leafArbitrary }, { weight: 1, arbitrary: middle }));
}

interface Probe {
  readonly label: string;
  /** Reads the engine's answer for this probe. */
  readonly read: (engine: LayoutEngine) => number;
}

/**
 * Gives every record a unique C name and emits its definition before its users. A record with a
 * switch becomes one C struct per case (members before the switch + that case) and a union of
 * those structs, which is how Xen's headers spell variant requests.
 */
class CProgramWriter {
  private readonly names = new Map<RecordShape, string>();
  private readonly lines: string[] = [];
  readonly probes: Probe[] = [];

  nameRecord(record: RecordShape): string {
    const existing = this.names.get(record);
    if (existing !== undefined) return existing;
    for (const member of record.fields) this.nameNestedIn(member);
    const name = `r${this.names.size}`;
    const variantPart = record.fields.find((member): member is LayoutSwitchShape => member.kind === "switch");
    const plainFields = record.fields.filter((member): member is LayoutFieldShape => member.kind !== "switch");
    const keyword = record.isUnion ? "union" : "struct";
    if (variantPart === undefined) {
      this.names.set(record, `${keyword} ${name}`);
      this.lines.push(`${keyword} ${name} {`, ...plainFields.map((field) => `  ${this.declare(field.type, field.name)};`), "};");
      plainFields.forEach((field, index) => this.probe(`${name}_off${index}`, `__builtin_offsetof(${keyword} ${name}, ${field.name})`, (engine) => fieldOffset(engine, record, field.name)));
    } else {
      this.names.set(record, `union ${name}`);
      variantPart.cases.forEach((entry, caseIndex) => {
        const caseFields = entry.members.filter((member): member is LayoutFieldShape => member.kind !== "switch");
        const variantName = `${name}_v${caseIndex}`;
        this.lines.push(`struct ${variantName} {`, ...[...plainFields, ...caseFields].map((field) => `  ${this.declare(field.type, field.name)};`), "};");
        this.probe(`${variantName}_size`, `sizeof(struct ${variantName})`, (engine) => caseOf(engine, record, caseIndex)?.variantSize ?? -1);
        this.probe(`${variantName}_align`, `_Alignof(struct ${variantName})`, (engine) => caseOf(engine, record, caseIndex)?.variantAlign ?? -1);
        plainFields.forEach((field, index) => this.probe(`${variantName}_off${index}`, `__builtin_offsetof(struct ${variantName}, ${field.name})`, (engine) => fieldOffset(engine, record, field.name)));
        caseFields.forEach((field, index) => this.probe(`${variantName}_case_off${index}`, `__builtin_offsetof(struct ${variantName}, ${field.name})`, (engine) => caseFieldOffset(engine, record, caseIndex, field.name)));
      });
      this.lines.push(`union ${name} {`, ...variantPart.cases.map((_, caseIndex) => `  struct ${name}_v${caseIndex} v${caseIndex};`), "};");
    }
    const spelled = this.names.get(record) ?? "";
    this.probe(`${name}_size`, `sizeof(${spelled})`, (engine) => engine.layOutRecord(record).size);
    this.probe(`${name}_align`, `_Alignof(${spelled})`, (engine) => engine.layOutRecord(record).align);
    return spelled;
  }

  private nameNestedIn(member: LayoutMemberShape): void {
    if (member.kind === "switch") {
      for (const entry of member.cases) entry.members.forEach((inner) => this.nameNestedIn(inner));
      return;
    }
    let type = member.type;
    while (type.kind === "array") type = type.element;
    if (type.kind === "record") this.nameRecord(type);
  }

  private declare(type: LayoutTypeShape, declarator: string): string {
    switch (type.kind) {
      case "scalar": return `${cTypeNames[type.scalar]} ${declarator}`;
      case "padding": return `unsigned char ${declarator}[${type.bytes}]`;
      case "array": return this.declare(type.element, `${declarator}[${type.length}]`);
      case "record": return `${this.nameRecord(type)} ${declarator}`;
    }
  }

  private probe(label: string, expression: string, read: (engine: LayoutEngine) => number): void {
    this.probes.push({ label, read });
    this.lines.push(`unsigned int ${label} = ${expression};`);
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

function fieldOffset(engine: LayoutEngine, record: RecordShape, name: string): number {
  return engine.layOutRecord(record).entries.find((entry) => entry.name === name)?.offset ?? -1;
}

function caseOf(engine: LayoutEngine, record: RecordShape, caseIndex: number) {
  const laidOut = engine.layOutRecord(record).entries.find((entry): entry is LaidOutSwitch => entry.kind === "switch");
  return laidOut?.cases[caseIndex];
}

function caseFieldOffset(engine: LayoutEngine, record: RecordShape, caseIndex: number, name: string): number {
  return caseOf(engine, record, caseIndex)?.entries.find((entry) => entry.name === name)?.offset ?? -1;
}

function compileToNumbers(cSource: string, abi: TargetAbi, directory: string): Map<string, number> {
  const sourcePath = join(directory, `layout-${abi}.c`);
  const emulate = abi === "x86_32" && !hasI386Target;
  const source = emulate
    ? `${emulatedI386Typedefs}\n${cSource.replaceAll("unsigned long long ", "pd_u64 ").replaceAll("long long ", "pd_i64 ")}`
    : cSource;
  writeFileSync(sourcePath, source);
  const flags = abi === "x86_32" && !emulate ? ["-m32"] : [];
  const result = spawnSync("gcc", [...flags, "-std=c11", "-S", "-o", "-", sourcePath], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`gcc failed for ${abi}: ${result.stderr}`);
  const numbers = new Map<string, number>();
  // Non-zero values are emitted as `.long N`; zero-valued globals go to .bss as `.zero 4`.
  const pattern = /^(r\w+):\s*\n\s*(?:\.long\s+(\d+)|\.zero\s+4)/gm;
  for (const match of result.stdout.matchAll(pattern)) numbers.set(match[1] ?? "", Number(match[2] ?? "0"));
  return numbers;
}

const hasGcc = gccAvailable();
const hasI386Target = hasGcc && gccTargetsI386();

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
        const actual = probe.read(engine);
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
