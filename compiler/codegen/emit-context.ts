// The context every emitter takes first: the protocol being emitted, lookups by name, and the
// runtime imports collected while writing.
import type { IrEnum, IrLayoutAbi, IrProtocol, IrRecord } from "../ir/protocol.js";
import { RuntimeImports } from "./runtime-imports.js";

export interface EmitContext {
  readonly protocol: IrProtocol;
  readonly imports: RuntimeImports;
  /** The distinct layouts the protocol's ABIs use, in a fixed order (x86_64 first). */
  readonly layoutAbis: readonly IrLayoutAbi[];
  record(name: string): IrRecord;
  enumeration(name: string): IrEnum;
}

export function createEmitContext(protocol: IrProtocol): EmitContext {
  const records = new Map(protocol.records.map((record) => [record.name, record]));
  const enums = new Map(protocol.enums.map((enumeration) => [enumeration.name, enumeration]));
  const usedLayouts = new Set(protocol.abis.map((abi) => abi.layout));
  const layoutAbis = (["x86_64", "x86_32"] as const).filter((abi) => usedLayouts.has(abi));
  return {
    protocol,
    imports: new RuntimeImports(),
    layoutAbis,
    record(name) {
      const record = records.get(name);
      // The IR is produced by lowering, which resolves every reference; a miss is a compiler bug.
      if (record === undefined) throw new Error(`IR refers to unknown record '${name}'`);
      return record;
    },
    enumeration(name) {
      const enumeration = enums.get(name);
      if (enumeration === undefined) throw new Error(`IR refers to unknown enum '${name}'`);
      return enumeration;
    },
  };
}

/** The enum member name to print for a value of an enum, so generated code reads `Op.read`, not `0`. */
export function enumMemberNameForValue(enumeration: IrEnum, value: number): string | undefined {
  return enumeration.members.find((member) => member.value === value)?.name;
}
