// Builds IR protocols for tests by hand: records are declared with ABI-neutral fields and
// their per-ABI C layouts are computed here (x86_32 aligns 8-byte integers to 4), so fixtures
// do not depend on the semantic analyzer.
import type {
  IrAbi,
  IrConstant,
  IrEnum,
  IrField,
  IrFieldLayout,
  IrFieldType,
  IrLayoutAbi,
  IrPaddingRange,
  IrProtocol,
  IrRecord,
  IrRecordLayout,
  IrSpan,
  IrValidationClause,
} from "../../compiler/ir/protocol.js";

export const fixtureSpan: IrSpan = { file: "fixture.proto-desc", start: 0, end: 1 };

export function spanAt(start: number, end: number): IrSpan {
  return { file: "fixture.proto-desc", start, end };
}

export interface RecordDeclaration {
  readonly name: string;
  readonly role: IrRecord["role"];
  readonly sender?: string;
  readonly fields: readonly { readonly name: string; readonly type: IrFieldType }[];
  readonly clauses?: readonly IrValidationClause[];
}

export const standardAbis: readonly IrAbi[] = [
  { name: "x86_64", protocolKeyValue: "x86_64-abi", layout: "x86_64" },
  { name: "x86_32", protocolKeyValue: "x86_32-abi", layout: "x86_32" },
  { name: "arm", protocolKeyValue: "arm-abi", layout: "x86_64" },
];

interface SizeAndAlignment {
  readonly size: number;
  readonly alignment: number;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

export function buildProtocol(declaration: {
  readonly name: string;
  readonly version?: number;
  readonly abis?: readonly IrAbi[];
  readonly constants?: readonly IrConstant[];
  readonly enums?: readonly IrEnum[];
  readonly records: readonly RecordDeclaration[];
}): IrProtocol {
  const enums = declaration.enums ?? [];
  const built = new Map<string, IrRecord>();
  const measure = (type: IrFieldType, abi: IrLayoutAbi): SizeAndAlignment => {
    switch (type.kind) {
      case "integer":
        return { size: type.width, alignment: type.width === 8 && abi === "x86_32" ? 4 : type.width };
      case "bool":
        return { size: 1, alignment: 1 };
      case "resource":
        return { size: 4, alignment: 4 };
      case "enum": {
        const enumeration = enums.find((candidate) => candidate.name === type.enumName);
        if (enumeration === undefined) throw new Error(`unknown enum ${type.enumName}`);
        return measure({ kind: "integer", width: enumeration.width, signed: enumeration.signed }, abi);
      }
      case "record": {
        const layout = built.get(type.recordName)?.layouts[abi];
        if (layout === undefined) throw new Error(`record ${type.recordName} must be declared first`);
        return { size: layout.size, alignment: layout.alignment };
      }
      case "array": {
        const element = measure(type.element, abi);
        return { size: element.size * type.capacity, alignment: element.alignment };
      }
      case "union": {
        const arms = type.arms.map((arm) => measure({ kind: "record", recordName: arm.recordName }, abi));
        const alignment = Math.max(1, ...arms.map((arm) => arm.alignment));
        return { size: alignUp(Math.max(0, ...arms.map((arm) => arm.size)), alignment), alignment };
      }
    }
  };
  for (const record of declaration.records) {
    const layoutFor = (abi: IrLayoutAbi): IrRecordLayout => {
      let offset = 0;
      let alignment = 1;
      const fields: IrFieldLayout[] = [];
      const padding: IrPaddingRange[] = [];
      for (const field of record.fields) {
        const measured = measure(field.type, abi);
        const aligned = alignUp(offset, measured.alignment);
        if (aligned > offset) padding.push({ offset, length: aligned - offset });
        const stride = field.type.kind === "array" ? measure(field.type.element, abi).size : undefined;
        fields.push(stride === undefined ? { offset: aligned, size: measured.size } : { offset: aligned, size: measured.size, stride });
        offset = aligned + measured.size;
        alignment = Math.max(alignment, measured.alignment);
      }
      const size = alignUp(offset, alignment);
      if (size > offset) padding.push({ offset, length: size - offset });
      return { size, alignment, fields, padding };
    };
    const fields: IrField[] = record.fields.map((field, index) => ({ name: field.name, type: field.type, span: spanAt(index * 10, index * 10 + 5) }));
    const irRecord: IrRecord = {
      name: record.name,
      role: record.role,
      ...(record.sender === undefined ? {} : { sender: record.sender }),
      fields,
      layouts: { x86_64: layoutFor("x86_64"), x86_32: layoutFor("x86_32") },
      clauses: record.clauses ?? [],
      contextualClauses: [],
      span: fixtureSpan,
    };
    built.set(record.name, irRecord);
  }
  return {
    name: declaration.name,
    version: declaration.version ?? 1,
    roles: ["frontend", "backend"],
    abis: declaration.abis ?? standardAbis,
    constants: declaration.constants ?? [],
    enums,
    records: [...built.values()],
    span: fixtureSpan,
  };
}

export const u8 = { kind: "integer", width: 1, signed: false } as const;
export const i8 = { kind: "integer", width: 1, signed: true } as const;
export const u16 = { kind: "integer", width: 2, signed: false } as const;
export const i16 = { kind: "integer", width: 2, signed: true } as const;
export const u32 = { kind: "integer", width: 4, signed: false } as const;
export const i32 = { kind: "integer", width: 4, signed: true } as const;
export const u64 = { kind: "integer", width: 8, signed: false } as const;
export const i64 = { kind: "integer", width: 8, signed: true } as const;
export const bool = { kind: "bool" } as const;
export const grant = { kind: "resource", resource: "grant" } as const;
export const evtchn = { kind: "resource", resource: "evtchn" } as const;
