// The blkif numbers the block drivers need (operations, statuses, limits, store values), from
// reference/xen-abi.md §2. Interim: the generated blkif module will export the same constants,
// and the drivers switch to it once it is checked in under drivers/blk/generated/.

export const BlockOperation = {
  read: 0,
  write: 1,
  writeBarrier: 2,
  flushDiskCache: 3,
  discard: 5,
  indirect: 6,
} as const;
export type BlockOperation = (typeof BlockOperation)[keyof typeof BlockOperation];

export const BlockStatus = {
  okay: 0,
  error: -1,
  notSupported: -2,
} as const;
export type BlockStatus = (typeof BlockStatus)[keyof typeof BlockStatus];

export const blockSectorBytes = 512;
export const blockSectorsPerPage = 8;
export const blockMaximumSegmentsPerRequest = 11;
export const blockDiscardSecureFlag = 1;

export const BlockInfoFlag = { cdrom: 0x1, removable: 0x2, readonly: 0x4 } as const;

/** Values of the frontend's `protocol` key; an absent key means the backend's native ABI. */
export type BlockAbiName = "x86_64-abi" | "x86_32-abi" | "arm-abi";
export const blockNativeAbi: BlockAbiName = "x86_64-abi";

export function parseBlockAbiName(value: string | undefined): BlockAbiName | undefined {
  if (value === undefined) return blockNativeAbi;
  return value === "x86_64-abi" || value === "x86_32-abi" || value === "arm-abi" ? value : undefined;
}
