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
