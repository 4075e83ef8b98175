// Fixed-width bit sets over policy indices (types, colours), stored in Uint32Array words so
// that type-enforcement and Chinese-wall checks are a few word ANDs with no allocation.

export type TypeBitset = Uint32Array;

export function createTypeBitset(bitCount: number): TypeBitset {
  return new Uint32Array(Math.max(1, Math.ceil(bitCount / 32)));
}

export function setBit(bitset: TypeBitset, index: number): void {
  const word = index >>> 5;
  bitset[word] = (bitset[word] ?? 0) | (1 << (index & 31));
}

export function clearBit(bitset: TypeBitset, index: number): void {
  const word = index >>> 5;
  bitset[word] = (bitset[word] ?? 0) & ~(1 << (index & 31));
}

export function hasBit(bitset: TypeBitset, index: number): boolean {
  return ((bitset[index >>> 5] ?? 0) & (1 << (index & 31))) !== 0;
}

/** The lowest index present in both sets, or -1 when they are disjoint. */
export function firstCommonBit(left: TypeBitset, right: TypeBitset): number {
  const words = Math.min(left.length, right.length);
  for (let word = 0; word < words; word++) {
    const common = (left[word] ?? 0) & (right[word] ?? 0);
    if (common !== 0) return word * 32 + (31 - Math.clz32(common & -common));
  }
  return -1;
}

/** Calls `visit` for each index present, lowest first; used only at load and on deny paths. */
export function forEachBit(bitset: TypeBitset, visit: (index: number) => void): void {
  for (let word = 0; word < bitset.length; word++) {
    let bits = bitset[word] ?? 0;
    while (bits !== 0) {
      const lowest = bits & -bits;
      visit(word * 32 + (31 - Math.clz32(lowest)));
      bits ^= lowest;
    }
  }
}

export function isEmptyBitset(bitset: TypeBitset): boolean {
  for (let word = 0; word < bitset.length; word++) if ((bitset[word] ?? 0) !== 0) return false;
  return true;
}
