// The C-ABI layout engine: given the shape of a struct, message or union, it computes size,
// alignment and every field's offset on one target ABI, making implicit padding explicit.
// It decides only; it never reports diagnostics (the analyzer validates shapes first).
import { layOutScalar, type ScalarTypeName, type TargetAbi } from "./layout-abi.js";

/** What the engine needs to know about a type, independent of the syntax tree. */
export type LayoutTypeShape =
  | { readonly kind: "scalar"; readonly scalar: ScalarTypeName }
  | { readonly kind: "array"; readonly element: LayoutTypeShape; readonly length: number }
  | { readonly kind: "record"; readonly name: string; readonly isUnion: boolean; readonly fields: readonly LayoutFieldShape[] }
  /** Explicit padding written in the spec: `bytes` bytes with alignment 1 (a C `uint8_t pad[n]`). */
  | { readonly kind: "padding"; readonly bytes: number };

export interface LayoutFieldShape {
  readonly name: string;
  readonly type: LayoutTypeShape;
}

/** A field placed at an offset; `nested` is set when the field (or its array element) is a record. */
export interface LaidOutField {
  readonly kind: "field";
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** The C-like spelling of the type, e.g. `u32`, `Segment[11]`. */
  readonly typeText: string;
  readonly isArray: boolean;
  /** For an array, one element's size and the element count; for a single value, its size and 1. */
  readonly elementSize: number;
  readonly elementCount: number;
  readonly nested: RecordLayout | undefined;
}

/** Bytes no field owns: inserted by the ABI (`implicit`) or written in the spec (`explicit`). */
export interface LaidOutPadding {
  readonly kind: "padding";
  /** The spec's field name for explicit padding; for implicit padding a synthetic `(padding)`. */
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly origin: "implicit" | "explicit";
}

export type LayoutEntry = LaidOutField | LaidOutPadding;

export interface RecordLayout {
  readonly name: string;
  readonly abi: TargetAbi;
  readonly isUnion: boolean;
  readonly size: number;
  readonly align: number;
  /** In offset order; for a struct the entries tile [0, size) exactly. Union members all sit at 0. */
  readonly entries: readonly LayoutEntry[];
}

interface TypeLayout {
  readonly size: number;
  readonly align: number;
  readonly typeText: string;
  readonly nested: RecordLayout | undefined;
}

export const implicitPaddingName = "(padding)";

function roundUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/** A per-ABI memo so shared nested records are laid out once and keep one identity. */
export class LayoutEngine {
  private readonly recordCache = new Map<LayoutTypeShape, RecordLayout>();

  constructor(readonly abi: TargetAbi) {}

  layOutRecord(shape: Extract<LayoutTypeShape, { kind: "record" }>): RecordLayout {
    const cached = this.recordCache.get(shape);
    if (cached !== undefined) return cached;
    const layout = shape.isUnion ? this.layOutUnionMembers(shape) : this.layOutStructFields(shape);
    this.recordCache.set(shape, layout);
    return layout;
  }

  private layOutType(shape: LayoutTypeShape): TypeLayout {
    switch (shape.kind) {
      case "scalar": {
        const scalar = layOutScalar(shape.scalar, this.abi);
        return { size: scalar.size, align: scalar.align, typeText: shape.scalar, nested: undefined };
      }
      case "array": {
        const element = this.layOutType(shape.element);
        return { size: element.size * shape.length, align: element.align, typeText: `${element.typeText}[${shape.length}]`, nested: element.nested };
      }
      case "record": {
        const record = this.layOutRecord(shape);
        return { size: record.size, align: record.align, typeText: shape.name, nested: record };
      }
      case "padding":
        return { size: shape.bytes, align: 1, typeText: `pad[${shape.bytes}]`, nested: undefined };
      default: {
        const unreachable: never = shape;
        throw new Error(`unknown layout shape ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private placeField(field: LayoutFieldShape, offset: number): LayoutEntry {
    if (field.type.kind === "padding") {
      return { kind: "padding", name: field.name, offset, size: field.type.bytes, origin: "explicit" };
    }
    const type = this.layOutType(field.type);
    const isArray = field.type.kind === "array";
    const elementCount = field.type.kind === "array" ? field.type.length : 1;
    return {
      kind: "field",
      name: field.name,
      offset,
      size: type.size,
      align: type.align,
      typeText: type.typeText,
      isArray,
      elementSize: elementCount === 0 ? 0 : type.size / elementCount,
      elementCount,
      nested: type.nested,
    };
  }

  private layOutStructFields(shape: Extract<LayoutTypeShape, { kind: "record" }>): RecordLayout {
    const entries: LayoutEntry[] = [];
    let offset = 0;
    let align = 1;
    for (const field of shape.fields) {
      const type = this.layOutType(field.type);
      const aligned = roundUp(offset, type.align);
      if (aligned > offset) entries.push({ kind: "padding", name: implicitPaddingName, offset, size: aligned - offset, origin: "implicit" });
      entries.push(this.placeField(field, aligned));
      offset = aligned + type.size;
      align = Math.max(align, type.align);
    }
    const size = roundUp(offset, align);
    if (size > offset) entries.push({ kind: "padding", name: implicitPaddingName, offset, size: size - offset, origin: "implicit" });
    return Object.freeze({ name: shape.name, abi: this.abi, isUnion: false, size, align, entries: Object.freeze(entries.map((entry) => Object.freeze(entry))) });
  }

  private layOutUnionMembers(shape: Extract<LayoutTypeShape, { kind: "record" }>): RecordLayout {
    const entries: LayoutEntry[] = [];
    let largest = 0;
    let align = 1;
    for (const member of shape.fields) {
      const type = this.layOutType(member.type);
      entries.push(this.placeField(member, 0));
      largest = Math.max(largest, type.size);
      align = Math.max(align, type.align);
    }
    const size = roundUp(largest, align);
    // Bytes past the largest member exist in every union value; they are listed once as tail padding.
    if (size > largest) entries.push({ kind: "padding", name: implicitPaddingName, offset: largest, size: size - largest, origin: "implicit" });
    return Object.freeze({ name: shape.name, abi: this.abi, isUnion: true, size, align, entries: Object.freeze(entries.map((entry) => Object.freeze(entry))) });
  }
}

/** Convenience for one record on one ABI (tests, tools); the analyzer keeps one engine per ABI. */
export function layOutRecord(shape: Extract<LayoutTypeShape, { kind: "record" }>, abi: TargetAbi): RecordLayout {
  return new LayoutEngine(abi).layOutRecord(shape);
}
