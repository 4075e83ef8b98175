// A read-only look at a shared ring's header, for parties that are neither end: monitors and
// the policer map ring pages read-only and audit the indices without consuming anything.

import { RingIndexWords } from "./ring-index-words.js";
import { sharedRingHeaderBytes, sharedRingHeaderOffsets } from "./shared-ring-layout.js";

export interface SharedRingHeaderSnapshot {
  readonly requestProducer: number;
  readonly requestEvent: number;
  readonly responseProducer: number;
  readonly responseEvent: number;
}

/** Reads the four header indices (unsigned), atomically each when the memory is shared. */
export function readSharedRingHeader(memory: Uint8Array): SharedRingHeaderSnapshot {
  const indices = new RingIndexWords(memory, sharedRingHeaderBytes);
  return {
    requestProducer: indices.load(sharedRingHeaderOffsets.requestProducer) >>> 0,
    requestEvent: indices.load(sharedRingHeaderOffsets.requestEvent) >>> 0,
    responseProducer: indices.load(sharedRingHeaderOffsets.responseProducer) >>> 0,
    responseEvent: indices.load(sharedRingHeaderOffsets.responseEvent) >>> 0,
  };
}

/**
 * The one index invariant an outside observer can check without either end's private state:
 * published requests never run more than `entryCount` ahead of published responses
 * (u32 arithmetic). Returns a sentence describing the violation, or null.
 */
export function findSharedRingHeaderProblem(header: SharedRingHeaderSnapshot, entryCount: number): string | null {
  const inFlight = (header.requestProducer - header.responseProducer) >>> 0;
  if (inFlight > entryCount) {
    return `req_prod ${header.requestProducer} is ${inFlight} ahead of rsp_prod ${header.responseProducer}, more than the ${entryCount} ring entries`;
  }
  return null;
}
