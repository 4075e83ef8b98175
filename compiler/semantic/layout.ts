// The C-ABI layout engine: given the shape of a struct, message or union, it computes size,
// alignment and every field's offset on one target ABI, making implicit padding explicit.
// It decides only; it never reports diagnostics (the analyzer validates shapes first).
import { layOutScalar, type ScalarTypeName, type TargetAbi } from "./layout-abi.js";

/** What the engine needs to know about a type, independent of the syntax tree. */
export type LayoutTypeShape =
  /** `displayName` names an enum whose base type this is, for reports. */
  | { readonly kind: "scalar"; readonly scalar: ScalarTypeName; readonly displayName?: string }
  | { readonly kind: "array"; readonly element: LayoutTypeShape; readonly length: number }
  | RecordShape
  /**
   * Explicit padding written in the spec: `bytes` bytes with alignment 1 (a C `uint8_t pad[n]`).
   * `onlyOnAbis` limits it to some ABIs, as Xen's headers do with `#ifdef` (blkif's x86_32
   * indirect request ends in a u64 pad that x86_64 lacks); absent means every ABI.
   */
  | { readonly kind: "padding"; readonly bytes: number; readonly onlyOnAbis?: readonly TargetAbi[] };

/**
 * A struct (members placed one after another) or a C union (every member at offset 0).
 * A struct may contain switches: variant parts selected by a discriminant field.
 */
export interface RecordShape {
  readonly kind: "record";
  readonly name: string;
  readonly isUnion: boolean;
  readonly fields: readonly LayoutMemberShape[];
}

export interface LayoutFieldShape {
  readonly kind?: "field";
  readonly name: string;
  readonly type: LayoutTypeShape;
}

/**
 * A variant part. Each case's members continue the record's layout at the current offset, as
 * if they were written inline (so each case plus the members before it is exactly the C struct
 * Xen defines for that variant, e.g. blkif_request_discard); members after the switch start at
 * the end of the longest case.
 */
export interface LayoutSwitchShape {
  readonly kind: "switch";
  readonly discriminant: string;
  readonly cases: readonly LayoutCaseShape[];
}

export interface LayoutCaseShape {
  /** The case labels as written (enum member names or numbers); empty for `default`. */
  readonly labels: readonly string[];
  readonly isDefault: boolean;
  readonly members: readonly LayoutMemberShape[];
}

export type LayoutMemberShape = LayoutFieldShape | LayoutSwitchShape;

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

/** A switch occupies [offset, offset + size): the extent of its longest case. */
export interface LaidOutSwitch {
  readonly kind: "switch";
  readonly name: string;
  readonly discriminant: string;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  readonly cases: readonly LaidOutCase[];
}

export interface LaidOutCase {
  readonly labels: readonly string[];
  readonly isDefault: boolean;
  /** Entries of this case, absolute offsets, tiling [switch offset, switch end) with padding. */
  readonly entries: readonly LayoutEntry[];
  /** End of this case's last member (before padding up to the switch end). */
  readonly end: number;
  /**
   * Size and alignment of the standalone C struct formed by the members before the switch and
   * this case: what Xen's headers call e.g. blkif_request_discard.
   */
  readonly variantSize: number;
  readonly variantAlign: number;
}

export type LayoutEntry = LaidOutField | LaidOutPadding | LaidOutSwitch;

export interface RecordLayout {
  readonly name: string;
  readonly abi: TargetAbi;
  readonly isUnion: boolean;
  readonly size: number;
  readonly align: number;
  /** In offset order; for a struct the entries tile [0, size) exactly. Union members all sit at 0. */
  readonly entries: readonly LayoutEntry[];
}

export interface TypeLayout {
  readonly size: number;
  readonly align: number;
  readonly typeText: string;
  readonly nested: RecordLayout | undefined;
}

export const implicitPaddingName = "(padding)";

function roundUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

interface MemberRun {
  readonly entries: LayoutEntry[];
  readonly end: number;
  readonly align: number;
}

/** A per-ABI memo so shared nested records are laid out once and keep one identity. */
export class LayoutEngine {
  private readonly recordCache = new Map<RecordShape, RecordLayout>();

  constructor(readonly abi: TargetAbi) {}

  layOutRecord(shape: RecordShape): RecordLayout {
    const cached = this.recordCache.get(shape);
    if (cached !== undefined) return cached;
    const layout = shape.isUnion ? this.layOutUnionMembers(shape) : this.layOutStructMembers(shape);
    this.recordCache.set(shape, layout);
    return layout;
  }

  /** Size and alignment of any type shape on this ABI. */
  layOutType(shape: LayoutTypeShape): TypeLayout {
    switch (shape.kind) {
      case "scalar": {
        const scalar = layOutScalar(shape.scalar, this.abi);
        return { size: scalar.size, align: scalar.align, typeText: shape.displayName ?? shape.scalar, nested: undefined };
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

  private placeField(field: LayoutFieldShape, offset: number): LaidOutField | LaidOutPadding {
    if (field.type.kind === "padding") {
      return Object.freeze({ kind: "padding", name: field.name, offset, size: field.type.bytes, origin: "explicit" });
    }
    const type = this.layOutType(field.type);
    const elementCount = field.type.kind === "array" ? field.type.length : 1;
    return Object.freeze({
      kind: "field",
      name: field.name,
      offset,
      size: type.size,
      align: type.align,
      typeText: type.typeText,
      isArray: field.type.kind === "array",
      elementSize: elementCount === 0 ? 0 : type.size / elementCount,
      elementCount,
      nested: type.nested,
    });
  }

  /** Lays out members one after another from `start`; returns the entries, the end and the alignment. */
  private layOutMemberRun(members: readonly LayoutMemberShape[], start: number, prefixAlign: number): MemberRun {
    const entries: LayoutEntry[] = [];
    let offset = start;
    let align = 1;
    for (const member of members) {
      if (member.kind === "switch") {
        const laidOut = this.layOutSwitch(member, offset, Math.max(prefixAlign, align));
        entries.push(laidOut);
        offset = laidOut.offset + laidOut.size;
        align = Math.max(align, laidOut.align);
        continue;
      }
      if (member.type.kind === "padding" && member.type.onlyOnAbis !== undefined && !member.type.onlyOnAbis.includes(this.abi)) continue;
      const type = this.layOutType(member.type);
      const aligned = roundUp(offset, type.align);
      if (aligned > offset) entries.push(implicitPadding(offset, aligned - offset));
      entries.push(this.placeField(member, aligned));
      offset = aligned + type.size;
      align = Math.max(align, type.align);
    }
    return { entries, end: offset, align };
  }

  private layOutSwitch(shape: LayoutSwitchShape, offset: number, alignBefore: number): LaidOutSwitch {
    const runs = shape.cases.map((entry) => this.layOutMemberRun(entry.members, offset, alignBefore));
    const switchEnd = Math.max(offset, ...runs.map((run) => run.end));
    const switchAlign = Math.max(1, ...runs.map((run) => run.align));
    const cases = shape.cases.map((entry, index): LaidOutCase => {
      const run = runs[index] ?? { entries: [], end: offset, align: 1 };
      const entries = [...run.entries];
      if (switchEnd > run.end) entries.push(implicitPadding(run.end, switchEnd - run.end));
      const variantAlign = Math.max(alignBefore, run.align);
      return Object.freeze({
        labels: Object.freeze([...entry.labels]),
        isDefault: entry.isDefault,
        entries: Object.freeze(entries),
        end: run.end,
        variantSize: roundUp(run.end, variantAlign),
        variantAlign,
      });
    });
    return Object.freeze({
      kind: "switch",
      name: `switch ${shape.discriminant}`,
      discriminant: shape.discriminant,
      offset,
      size: switchEnd - offset,
      align: switchAlign,
      cases: Object.freeze(cases),
    });
  }

  private layOutStructMembers(shape: RecordShape): RecordLayout {
    const run = this.layOutMemberRun(shape.fields, 0, 1);
    const entries = [...run.entries];
    const size = roundUp(run.end, run.align);
    if (size > run.end) entries.push(implicitPadding(run.end, size - run.end));
    return Object.freeze({ name: shape.name, abi: this.abi, isUnion: false, size, align: run.align, entries: Object.freeze(entries) });
  }

  private layOutUnionMembers(shape: RecordShape): RecordLayout {
    const entries: LayoutEntry[] = [];
    let largest = 0;
    let align = 1;
    for (const member of shape.fields) {
      if (member.kind === "switch") continue;
      const type = this.layOutType(member.type);
      entries.push(this.placeField(member, 0));
      largest = Math.max(largest, type.size);
      align = Math.max(align, type.align);
    }
    const size = roundUp(largest, align);
    // Bytes past the largest member exist in every union value; they are listed once as tail padding.
    if (size > largest) entries.push(implicitPadding(largest, size - largest));
    return Object.freeze({ name: shape.name, abi: this.abi, isUnion: true, size, align, entries: Object.freeze(entries) });
  }
}

function implicitPadding(offset: number, size: number): LaidOutPadding {
  return Object.freeze({ kind: "padding", name: implicitPaddingName, offset, size, origin: "implicit" });
}

/** Convenience for one record on one ABI (tests, tools); the analyzer keeps one engine per ABI. */
export function layOutRecord(shape: RecordShape, abi: TargetAbi): RecordLayout {
  return new LayoutEngine(abi).layOutRecord(shape);
}
