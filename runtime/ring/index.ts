// The public surface of runtime/ring/: Xen request/response shared rings and byte-stream
// rings over plain byte views of page memory (shared or not).

export { RingStatus, describeRingStatus, isRingFault } from "./ring-status.js";
export { distanceForwardU32, isNotificationRequired } from "./ring-index-arithmetic.js";
export { isSharedMemory } from "./ring-index-words.js";
export {
  consoleRingLayout,
  consoleRingFieldOffsets,
  xenstoreRingLayout,
  xenstoreRingFieldOffsets,
  findByteStreamLayoutProblem,
  type ByteStreamDirectionLayout,
  type ByteStreamRingLayout,
} from "./byte-stream-ring-layout.js";
export { ByteStreamRingEndpoint, type ByteStreamRingSide } from "./byte-stream-ring.js";
export {
  sharedRingPageBytes,
  sharedRingHeaderBytes,
  sharedRingHeaderOffsets,
  computeSharedRingBytes,
  computeSharedRingEntryCount,
  computeSharedRingSlotOffset,
  describeSharedRingGeometry,
  type SharedRingGeometry,
} from "./shared-ring-layout.js";
export { SharedRingFrontend, initializeSharedRingHeader } from "./shared-ring-frontend.js";
export { SharedRingBackend } from "./shared-ring-backend.js";
export { readSharedRingHeader, findSharedRingHeaderProblem, type SharedRingHeaderSnapshot } from "./shared-ring-header.js";
