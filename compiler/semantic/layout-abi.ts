// The target ABIs a protocol is laid out for, and the size and alignment of every scalar C
// type on each: the only place where per-ABI facts live (see shared/reference/xen-abi.md).

/** x86_64 and arm share one layout; x86_32 aligns 64-bit integers to 4 bytes (i386 SysV). */
export type TargetAbi = "x86_64" | "x86_32" | "arm";

export const allTargetAbis: readonly TargetAbi[] = ["x86_64", "x86_32", "arm"];

/**
 * Scalar C types a field can have. `grant` is a grant_ref_t and `evtchn` an evtchn_port_t,
 * both uint32_t in Xen's public headers; `bool` is a one-byte C `_Bool`; `char` is one byte.
 */
export type ScalarTypeName =
  | "u8" | "u16" | "u32" | "u64"
  | "i8" | "i16" | "i32" | "i64"
  | "bool" | "char" | "grant" | "evtchn";

export const allScalarTypeNames: readonly ScalarTypeName[] = [
  "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "bool", "char", "grant", "evtchn",
];

export interface ScalarLayout {
  readonly size: number;
  readonly align: number;
}

const scalarSizes: Readonly<Record<ScalarTypeName, number>> = {
  u8: 1, u16: 2, u32: 4, u64: 8,
  i8: 1, i16: 2, i32: 4, i64: 8,
  bool: 1, char: 1, grant: 4, evtchn: 4,
};

export function isScalarTypeName(name: string): name is ScalarTypeName {
  return Object.prototype.hasOwnProperty.call(scalarSizes, name);
}

/** Size and alignment of a scalar inside a struct on the given ABI. */
export function layOutScalar(scalar: ScalarTypeName, abi: TargetAbi): ScalarLayout {
  const size = scalarSizes[scalar];
  // The i386 System V ABI aligns 8-byte integers to 4 inside aggregates; that is the only
  // difference between the ABIs Xen's split drivers care about.
  const align = abi === "x86_32" && size === 8 ? 4 : size;
  return { size, align };
}

export function isSignedScalar(scalar: ScalarTypeName): boolean {
  return scalar === "i8" || scalar === "i16" || scalar === "i32" || scalar === "i64";
}

/** Inclusive value range of an integer scalar, as bigints (used for enum values and folding). */
export function scalarValueRange(scalar: ScalarTypeName): { readonly min: bigint; readonly max: bigint } {
  const bits = BigInt(scalarSizes[scalar] * 8);
  if (scalar === "bool") return { min: 0n, max: 1n };
  if (isSignedScalar(scalar)) return { min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n };
  return { min: 0n, max: (1n << bits) - 1n };
}
