// An in-memory disk of 512-byte sectors: the storage behind the block backend, and the
// reference the end-to-end tests compare with.

import { blockSectorBytes } from "./block-protocol-constants.js";

export class MemoryDisk {
  readonly bytes: Uint8Array;

  constructor(readonly sectorCount: number, readonly readonly = false) {
    if (!Number.isInteger(sectorCount) || sectorCount <= 0) throw new RangeError(`a disk needs a positive whole number of sectors, not ${sectorCount}`);
    this.bytes = new Uint8Array(sectorCount * blockSectorBytes);
  }

  /** True when sectors [first, first + count) all exist. */
  contains(firstSector: number, count: number): boolean {
    return Number.isSafeInteger(firstSector) && firstSector >= 0 && count >= 0 && firstSector + count <= this.sectorCount;
  }

  /** The bytes of sectors [first, first + count), shared with the disk (no copy). */
  sectors(firstSector: number, count: number): Uint8Array {
    return this.bytes.subarray(firstSector * blockSectorBytes, (firstSector + count) * blockSectorBytes);
  }

  discard(firstSector: number, count: number): void {
    this.sectors(firstSector, count).fill(0);
  }
}
