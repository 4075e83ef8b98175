// Preallocated views of every slot of a shared ring, so producing and consuming a message
// copies bytes without creating a view (or anything else) per message.

import { computeSharedRingSlotOffset, type SharedRingGeometry } from "./shared-ring-layout.js";

export function createSharedRingSlotViews(memory: Uint8Array, geometry: SharedRingGeometry): readonly Uint8Array[] {
  const views: Uint8Array[] = [];
  for (let slotIndex = 0; slotIndex < geometry.entryCount; slotIndex++) {
    const offset = memory.byteOffset + computeSharedRingSlotOffset(slotIndex, geometry.slotBytes);
    views.push(new Uint8Array(memory.buffer, offset, geometry.slotBytes));
  }
  return views;
}

/** A message longer than a slot is the caller's mistake, reported whether or not the ring is full. */
export function rejectOversizedMessage(source: Uint8Array, slotBytes: number): void {
  if (source.length > slotBytes) {
    throw new RangeError(`message of ${source.length} bytes does not fit a ${slotBytes}-byte slot`);
  }
}

/** Copies a message into a slot, zero-filling the rest so no stale bytes reach the peer. */
export function fillSharedRingSlot(slot: Uint8Array, source: Uint8Array): void {
  rejectOversizedMessage(source, slot.length);
  slot.set(source);
  if (source.length < slot.length) {
    slot.fill(0, source.length);
  }
}

/** The copy-once step: the slot's bytes are read exactly once, into private memory. */
export function copySharedRingSlotOnce(slot: Uint8Array, privateCopy: Uint8Array): void {
  if (privateCopy.length < slot.length) {
    throw new RangeError(`private copy of ${privateCopy.length} bytes is smaller than the ${slot.length}-byte slot`);
  }
  privateCopy.set(slot);
}
