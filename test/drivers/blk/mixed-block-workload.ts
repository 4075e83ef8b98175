// A reproducible mix of block requests checked against a reference disk, shared by the
// in-process end-to-end tests and the worker-thread frontend program.

import { type BlockFrontend, MemoryDisk, blockSectorBytes } from "../../../drivers/blk/index.js";
import { SeededRandom } from "../../../runtime/time/index.js";

export interface MixedWorkloadCounts {
  reads: number;
  writes: number;
  flushes: number;
  discards: number;
  mismatches: number;
}

export function randomSectorData(random: SeededRandom, sectors: number): Uint8Array {
  const data = new Uint8Array(sectors * blockSectorBytes);
  for (let index = 0; index < data.length; index += 4) {
    const word = random.nextUint32();
    data[index] = word & 0xff;
    data[index + 1] = (word >>> 8) & 0xff;
    data[index + 2] = (word >>> 16) & 0xff;
    data[index + 3] = word >>> 24;
  }
  return data;
}

/**
 * Issues `total` random requests, `window` at a time. Like a file system, it never has two
 * requests in flight on the same sectors (a block device does not order concurrent requests),
 * so the reference disk can be updated at issue time and each read's expectation taken then.
 */
export async function runMixedBlockWorkload(
  frontend: BlockFrontend,
  options: { readonly total: number; readonly window: number; readonly seed: number; readonly diskSectors: number },
  settle: <T>(promise: Promise<T>) => Promise<T>,
): Promise<MixedWorkloadCounts> {
  const { total, window, diskSectors } = options;
  const random = new SeededRandom(options.seed);
  const reference = new MemoryDisk(diskSectors);
  const counts = { reads: 0, writes: 0, flushes: 0, discards: 0, mismatches: 0 };
  let issued = 0;
  while (issued < total) {
    const batch: Array<Promise<void>> = [];
    const busySectors = new Uint8Array(diskSectors);
    for (let slot = 0; slot < window && issued < total; slot++, issued++) {
      const kind = random.nextBelow(100);
      const sectors = 1 + random.nextBelow(24);
      let sector = random.nextBelow(diskSectors - sectors);
      while (busySectors.subarray(sector, sector + sectors).includes(1)) sector = random.nextBelow(diskSectors - sectors);
      busySectors.fill(1, sector, sector + sectors);
      if (kind < 45) {
        const expected = reference.sectors(sector, sectors).slice();
        counts.reads++;
        batch.push(frontend.read(sector, sectors).then((data) => {
          if (!equalBytes(data, expected)) counts.mismatches++;
        }));
      } else if (kind < 90) {
        const data = randomSectorData(random, sectors);
        reference.sectors(sector, sectors).set(data);
        counts.writes++;
        batch.push(kind < 87 ? frontend.write(sector, data) : frontend.writeBarrier(sector, data));
      } else if (kind < 97) {
        counts.flushes++;
        batch.push(frontend.flush());
      } else {
        counts.discards++;
        reference.discard(sector, sectors);
        batch.push(frontend.discard(sector, sectors));
      }
    }
    await settle(Promise.all(batch));
  }
  return counts;
}

export function equalBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}

