// Where a scalar field named by a dotted path sits in one layout of a record: directly in it,
// inside a nested struct, or at one common place in every arm of a union (message variants
// repeat a correlation id per arm, and readers that do not decode need one offset for all).
// Stubs and monitor specs both read ids this way; each decides which leaf types it can read.
import type { IrLayoutAbi, IrRecord } from "./protocol.js";

export type IrFieldType = IrRecord["fields"][number]["type"];

export interface IrFieldPlacement<Width extends number> {
  readonly offset: number;
  readonly width: Width;
}

/**
 * The byte offset and width of the field at `path` in `record`'s `abi` layout, or undefined when
 * the path names nothing, a leaf `widthOf` cannot read, or arms that disagree on its place.
 */
export function placeFieldInLayout<Width extends number>(
  recordNamed: (name: string) => IrRecord | undefined,
  widthOf: (type: IrFieldType) => Width | undefined,
  record: IrRecord,
  path: readonly string[],
  abi: IrLayoutAbi,
): IrFieldPlacement<Width> | undefined {
  const [name, ...rest] = path;
  if (name === undefined) return undefined;
  const layout = record.layouts[abi];
  for (const [index, field] of record.fields.entries()) {
    const fieldLayout = layout.fields[index];
    if (fieldLayout === undefined) continue;
    const type = field.type;
    if (field.name === name) {
      if (rest.length === 0) {
        const width = widthOf(type);
        return width === undefined ? undefined : { offset: fieldLayout.offset, width };
      }
      if (type.kind !== "record") return undefined;
      const nested = recordNamed(type.recordName);
      const placed = nested === undefined ? undefined : placeFieldInLayout(recordNamed, widthOf, nested, rest, abi);
      return placed === undefined ? undefined : { offset: fieldLayout.offset + placed.offset, width: placed.width };
    }
    if (type.kind === "union") {
      const placements = type.arms.map((arm) => {
        const armRecord = recordNamed(arm.recordName);
        return armRecord === undefined ? undefined : placeFieldInLayout(recordNamed, widthOf, armRecord, path, abi);
      });
      const first = placements[0];
      if (first !== undefined && placements.every((placement) => placement?.offset === first.offset && placement.width === first.width)) {
        return { offset: fieldLayout.offset + first.offset, width: first.width };
      }
    }
  }
  return undefined;
}
