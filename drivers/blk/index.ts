// Public surface of drivers/blk/: a blkif frontend and a backend serving an in-memory disk.

export * from "./block-protocol-constants.js";
export { blockRingCodecFor, createBlockRequest, createBlockResponse, type BlockRingCodec, type BlockRequest, type BlockResponse, type BlockSegment, type BlockCodecError } from "./block-ring-codec.js";
export { MemoryDisk } from "./memory-disk.js";
export { BlockBackend, type BlockBackendOptions } from "./block-backend.js";
export { BlockFrontend, BlockRequestFailed, blockMaximumSectorsPerRequest, type BlockFrontendOptions, type BlockDeviceProperties } from "./block-frontend.js";
