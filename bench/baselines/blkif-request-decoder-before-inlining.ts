// The blkif x86_64 request decoder as the generator wrote it before the decoders were
// inlined (commit f76fd00 of drivers/blk/generated/blkif.ts, copied verbatim apart from the
// names): the codec benchmark measures it beside the current generated code, so the
// improvement is a ratio measured in the same run. Not used outside bench/.
import { CodecError, ValidationError, describeUnsigned64, readUnsigned64 } from "../../runtime/gen/v1.js";
import {
  MAX_SEGMENTS_PER_REQUEST,
  Operation,
  SECTORS_PER_FRAME,
  isDiscardFlags,
  isOperation,
  type Request,
  type RequestIndirect,
  type RequestRead,
} from "../../drivers/blk/generated/blkif.js";

function decodeValidatedRequestReadX86_64(
  view: DataView,
  offset: number,
  into: RequestRead,
): CodecError | ValidationError | undefined {
  if (offset < 0 || offset + 111 > view.byteLength)
    return new CodecError("slot-too-small", "", view.byteLength - offset);
  into.nrSegments = view.getUint8(offset + 0);
  into.handle = view.getUint16(offset + 1, true);
  const raw2 = readUnsigned64(view, offset + 7);
  if (Number.isNaN(raw2)) return new CodecError("u64-above-safe-integer", "id", describeUnsigned64(view, offset + 7));
  into.id = raw2;
  const raw3 = readUnsigned64(view, offset + 15);
  if (Number.isNaN(raw3))
    return new CodecError("u64-above-safe-integer", "sector_number", describeUnsigned64(view, offset + 15));
  into.sectorNumber = raw3;
  const count4 = into.nrSegments;
  if (count4 > 11) return new CodecError("count-exceeds-capacity", "seg", count4);
  const elements5 = into.seg;
  for (let index = 0; index < count4; index++) {
    const base6 = offset + 23 + index * 8;
    const nested7 = elements5[index]!;
    nested7.gref = view.getUint32(base6 + 0, true);
    nested7.firstSect = view.getUint8(base6 + 4);
    nested7.lastSect = view.getUint8(base6 + 5);
    if (!(nested7.firstSect <= nested7.lastSect && nested7.lastSect < SECTORS_PER_FRAME)) {
      return new ValidationError("blkif.Segment.sectors_within_frame", `seg[${index}].first_sect`, nested7.firstSect, {
        file: "protocols/blkif.proto-desc",
        start: 2677,
        end: 2762,
      });
    }
  }
  return undefined;
}

function decodeValidatedRequestIndirectX86_64(
  view: DataView,
  offset: number,
  into: RequestIndirect,
): CodecError | ValidationError | undefined {
  if (offset < 0 || offset + 63 > view.byteLength)
    return new CodecError("slot-too-small", "", view.byteLength - offset);
  const raw0 = view.getUint8(offset + 0);
  if (!isOperation(raw0)) return new CodecError("enum-value-unknown", "indirect_op", raw0);
  into.indirectOp = raw0;
  into.nrSegments = view.getUint16(offset + 1, true);
  const raw2 = readUnsigned64(view, offset + 7);
  if (Number.isNaN(raw2)) return new CodecError("u64-above-safe-integer", "id", describeUnsigned64(view, offset + 7));
  into.id = raw2;
  const raw3 = readUnsigned64(view, offset + 15);
  if (Number.isNaN(raw3))
    return new CodecError("u64-above-safe-integer", "sector_number", describeUnsigned64(view, offset + 15));
  into.sectorNumber = raw3;
  into.handle = view.getUint16(offset + 23, true);
  const count5 = 8;
  const elements6 = into.indirectGrefs;
  for (let index = 0; index < count5; index++) {
    elements6[index] = view.getUint32(offset + 27 + index * 4, true);
  }
  return undefined;
}

export function decodeValidatedRequestBeforeInlining(
  view: DataView,
  offset: number,
  into: Request,
): CodecError | ValidationError | undefined {
  if (offset < 0 || offset + 112 > view.byteLength)
    return new CodecError("slot-too-small", "", view.byteLength - offset);
  const raw0 = view.getUint8(offset + 0);
  if (!isOperation(raw0)) return new CodecError("enum-value-unknown", "operation", raw0);
  into.operation = raw0;
  switch (into.operation) {
    case Operation.read:
    case Operation.write:
    case Operation.writeBarrier:
    case Operation.flushDiskcache: {
      into.operationVariant.arm = "read";
      {
        const error = decodeValidatedRequestReadX86_64(view, offset + 1, into.operationVariant.read);
        if (error !== undefined) return error.withPathPrefix("operation_variant.read");
      }
      break;
    }
    case Operation.discard: {
      into.operationVariant.arm = "discard";
      {
        const base1 = offset + 1;
        const nested2 = into.operationVariant.discard;
        const raw3 = view.getUint8(base1 + 0);
        if (!isDiscardFlags(raw3)) return new CodecError("enum-value-unknown", "operation_variant.discard.flag", raw3);
        nested2.flag = raw3;
        nested2.handle = view.getUint16(base1 + 1, true);
        const raw5 = readUnsigned64(view, base1 + 7);
        if (Number.isNaN(raw5))
          return new CodecError(
            "u64-above-safe-integer",
            "operation_variant.discard.id",
            describeUnsigned64(view, base1 + 7),
          );
        nested2.id = raw5;
        const raw6 = readUnsigned64(view, base1 + 15);
        if (Number.isNaN(raw6))
          return new CodecError(
            "u64-above-safe-integer",
            "operation_variant.discard.sector_number",
            describeUnsigned64(view, base1 + 15),
          );
        nested2.sectorNumber = raw6;
        const raw7 = readUnsigned64(view, base1 + 23);
        if (Number.isNaN(raw7))
          return new CodecError(
            "u64-above-safe-integer",
            "operation_variant.discard.nr_sectors",
            describeUnsigned64(view, base1 + 23),
          );
        nested2.nrSectors = raw7;
      }
      break;
    }
    case Operation.indirect: {
      into.operationVariant.arm = "indirect";
      {
        const error = decodeValidatedRequestIndirectX86_64(view, offset + 1, into.operationVariant.indirect);
        if (error !== undefined) return error.withPathPrefix("operation_variant.indirect");
      }
      break;
    }
    default:
      return new CodecError("discriminant-unknown", "operation", into.operation);
  }
  if (!(
    !(
      into.operation === Operation.read ||
      into.operation === Operation.write ||
      into.operation === Operation.writeBarrier ||
      into.operation === Operation.flushDiskcache
    ) || into.operationVariant.read.nrSegments <= MAX_SEGMENTS_PER_REQUEST
  )) {
    return new ValidationError(
      "blkif.Request.segment_count",
      "operation_variant.read.nr_segments",
      into.operationVariant.read.nrSegments,
      { file: "protocols/blkif.proto-desc", start: 3796, end: 3857 },
    );
  }
  if (!(
    !(
      into.operation === Operation.read ||
      into.operation === Operation.write ||
      into.operation === Operation.writeBarrier ||
      into.operation === Operation.flushDiskcache
    ) ||
    into.operation === Operation.flushDiskcache ||
    into.operationVariant.read.nrSegments >= 1
  )) {
    return new ValidationError("blkif.Request.data_needs_segments", "operation", into.operation, {
      file: "protocols/blkif.proto-desc",
      start: 3960,
      end: 4036,
    });
  }
  if (!(!(into.operation === Operation.discard) || into.operationVariant.discard.nrSectors >= 1)) {
    return new ValidationError(
      "blkif.Request.discard_not_empty",
      "operation_variant.discard.nr_sectors",
      into.operationVariant.discard.nrSectors,
      { file: "protocols/blkif.proto-desc", start: 4193, end: 4234 },
    );
  }
  if (!(
    !(into.operation === Operation.indirect) ||
    into.operationVariant.indirect.indirectOp === Operation.read ||
    into.operationVariant.indirect.indirectOp === Operation.write
  )) {
    return new ValidationError(
      "blkif.Request.indirect_operation",
      "operation_variant.indirect.indirect_op",
      into.operationVariant.indirect.indirectOp,
      { file: "protocols/blkif.proto-desc", start: 5036, end: 5091 },
    );
  }
  return undefined;
}
