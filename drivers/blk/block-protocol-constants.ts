// The blkif numbers the block drivers use, under the drivers' names, taken from the generated
// blkif module (drivers/blk/generated/blkif.ts) so that the protocol description stays the one
// source of every number.

import { DiscardFlags, DiskInfo, MAX_RING_PAGE_ORDER, MAX_SEGMENTS_PER_REQUEST, Operation, SECTORS_PER_FRAME, SECTOR_SIZE, Status, selectAbi } from "./generated/blkif.js";

export const BlockOperation = {
  read: Operation.read,
  write: Operation.write,
  writeBarrier: Operation.writeBarrier,
  flushDiskCache: Operation.flushDiskcache,
  discard: Operation.discard,
  indirect: Operation.indirect,
} as const;
export type BlockOperation = (typeof BlockOperation)[keyof typeof BlockOperation];

export const BlockStatus = {
  okay: Status.okay,
  error: Status.error,
  notSupported: Status.eopnotsupp,
} as const;
export type BlockStatus = (typeof BlockStatus)[keyof typeof BlockStatus];

export const blockSectorBytes = SECTOR_SIZE;
export const blockSectorsPerPage = SECTORS_PER_FRAME;
export const blockMaximumSegmentsPerRequest = MAX_SEGMENTS_PER_REQUEST;
export const blockDiscardSecureFlag = DiscardFlags.secure;
export const BlockInfoFlag = DiskInfo;
/** Highest ring page order these drivers offer and accept (Xen's blkback allows up to 4). */
export const blockMaximumRingPageOrder = MAX_RING_PAGE_ORDER;

/** Values of the frontend's `protocol` key; an absent key means the backend's native ABI. */
export type BlockAbiName = "x86_64-abi" | "x86_32-abi" | "arm-abi";
export const blockNativeAbi: BlockAbiName = "x86_64-abi";

export function parseBlockAbiName(value: string | undefined): BlockAbiName | undefined {
  const selected = selectAbi(value, "x86_64");
  return selected === undefined ? undefined : `${selected}-abi`;
}
