// The split-connection layout of blkif for one ABI: slot size and id offsets from the codec,
// the store key names of the ring transport, and the page orders the drivers support.

import type { SplitConnectionDescription } from "../../runtime/connection/index.js";
import type { BlockRingCodec } from "./block-ring-codec.js";

/** Highest ring page order these drivers offer and accept (Xen's blkback allows up to 4). */
export const blockMaximumRingPageOrder = 4;

export function describeBlockConnection(codec: BlockRingCodec): SplitConnectionDescription {
  return {
    slotBytes: codec.slotBytes,
    requestIdOffset: codec.requestIdOffset,
    responseIdOffset: codec.responseIdOffset,
    idBytes: 8,
    maximumRingPageOrder: blockMaximumRingPageOrder,
    ringReferenceKey: "ring-ref",
    ringPageOrderKey: "ring-page-order",
    eventChannelKey: "event-channel",
  };
}
