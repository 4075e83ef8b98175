// A blkif frontend on the generated typed stub (BlkifFrontend in drivers/blk/generated/blkif.ts):
// the stub runs the handshake, writes the `protocol` key that chooses the ABI, and correlates
// typed requests with typed responses; this class offers read, write, write-barrier, flush and
// discard as promises. Data travels in pool pages granted to the backend per request
// (writable for reads, read-only for writes) and ended after the answer.

import type { DomainContext } from "../../runtime/execution/index.js";
import { ConnectionRequestFailed, type ConnectionProblemListener, type ConnectionStore, type SplitConnectionFrontend } from "../../runtime/connection/index.js";
import { BlockOperation, BlockStatus, blockMaximumSegmentsPerRequest, blockSectorBytes, blockSectorsPerPage, type BlockAbiName } from "./block-protocol-constants.js";
import { DataPagePool } from "./data-page-pool.js";
import { BlkifFrontend, Operation, SEGMENTS_PER_INDIRECT_FRAME, codecsByAbi, createIndirectFrame, createRequest, type BlkifBackendKeys, type IndirectFrame, type Request, type Response, type Segment } from "./generated/blkif.js";

export interface BlockFrontendOptions {
  readonly store: ConnectionStore;
  readonly frontendPath: string;
  readonly backendPath: string;
  readonly backendDomainId: number;
  /** The ABI this frontend speaks, written as the `protocol` key. */
  readonly abi: BlockAbiName;
  /** Preferred ring page order; the backend's `max-ring-page-order` caps it. */
  readonly ringPageOrder?: number;
  /** Data pages for segments in flight (default 64). */
  readonly dataPageCount?: number;
  readonly inFlightAfterReset?: "reissue" | "fail";
  /**
   * Offer `feature-persistent`: when the backend offers it too, each pool page is granted to the
   * backend once (writable) and stays granted until close(), instead of per request.
   */
  readonly persistentGrants?: boolean;
  readonly onProblem?: ConnectionProblemListener;
}

export interface BlockDeviceProperties {
  readonly sectors: number;
  readonly info: number;
  readonly sectorSize: number;
  readonly barrier: boolean;
  readonly flush: boolean;
  readonly discard: boolean;
}

/** A request the backend answered with a status other than okay. */
export class BlockRequestFailed extends Error {
  constructor(readonly operation: number, readonly status: number) {
    super(`blkif operation ${operation} failed with status ${status}`);
    this.name = "BlockRequestFailed";
  }
}

export const blockMaximumSectorsPerRequest = blockMaximumSegmentsPerRequest * blockSectorsPerPage;

function describeDevice(keys: BlkifBackendKeys): BlockDeviceProperties {
  return {
    sectors: keys.sectors,
    info: keys.info,
    sectorSize: keys.sectorSize,
    barrier: keys.featureBarrier,
    flush: keys.featureFlushCache,
    discard: keys.featureDiscard,
  };
}

/** Segment `page` of a transfer of `sectorCount` sectors: the whole page, or its first sectors for the last one. */
function describeSegment(segment: Segment, grantReference: number, page: number, sectorCount: number): void {
  segment.gref = grantReference;
  segment.firstSect = 0;
  segment.lastSect = Math.min(blockSectorsPerPage, sectorCount - page * blockSectorsPerPage) - 1;
}

export class BlockFrontend {
  /** The generated typed stub underneath. */
  readonly stub: BlkifFrontend;
  readonly connection: SplitConnectionFrontend<Response>;
  private pool: DataPagePool | undefined;
  /** Reused for every request: the stub encodes it before `send` returns. */
  private readonly scratchRequest: Request = createRequest();
  /** Reused to encode the segment descriptors of indirect requests into their frames. */
  private readonly scratchIndirectFrame: IndirectFrame = createIndirectFrame();
  /** Grant references of pool pages granted persistently, by frame. */
  private readonly persistentReferences = new Map<number, number>();

  constructor(private readonly context: DomainContext, private readonly options: BlockFrontendOptions) {
    this.stub = new BlkifFrontend(context, {
      store: options.store,
      frontendPath: options.frontendPath,
      backendPath: options.backendPath,
      backendDomainId: options.backendDomainId,
      abi: options.abi,
      ringPageOrder: options.ringPageOrder ?? 0,
      keys: { featurePersistent: options.persistentGrants === true },
      ...(options.inFlightAfterReset === undefined ? {} : { inFlightAfterReset: options.inFlightAfterReset }),
      ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
    });
    this.connection = this.stub.connection;
  }

  get properties(): BlockDeviceProperties | undefined {
    const keys = this.stub.backendKeys;
    return keys === undefined ? undefined : describeDevice(keys);
  }

  /** Runs the handshake; resolves with the disk's properties once Connected. */
  async connect(): Promise<BlockDeviceProperties> {
    if (this.pool === undefined) {
      const count = this.options.dataPageCount ?? 64;
      const firstFrame = await this.context.hypercalls.allocatePages(count);
      if (firstFrame === undefined) throw new ConnectionRequestFailed({ code: "connection-grant-failed", message: `no ${count} free pages for request data` });
      this.pool = new DataPagePool(firstFrame, count);
    }
    return describeDevice(await this.stub.connect());
  }

  /** Whether both ends offered `feature-persistent` in the current session. */
  get usesPersistentGrants(): boolean {
    return this.options.persistentGrants === true && this.stub.backendKeys?.featurePersistent === true;
  }

  /** Pool pages granted persistently so far. */
  get persistentGrantCount(): number {
    return this.persistentReferences.size;
  }

  /** Orderly teardown; persistent grants end once the backend has let go of them. */
  async close(): Promise<void> {
    await this.stub.close();
    const hypercalls = this.context.hypercalls;
    for (const reference of this.persistentReferences.values()) {
      // A backend that still maps the page keeps it until it unmaps (XSA-396): end access lazily.
      const ended = await hypercalls.endAccess(reference);
      if (!ended.ok) await hypercalls.endAccessDeferred(reference);
    }
    this.persistentReferences.clear();
  }

  /**
   * Sectors one read or write may carry: 88 in a direct request, or 8 per indirect segment
   * when the backend offers `feature-max-indirect-segments` (larger transfers go indirect).
   */
  get maximumSectorsPerTransfer(): number {
    const indirectSegments = this.stub.backendKeys?.featureMaxIndirectSegments ?? 0;
    return Math.max(blockMaximumSectorsPerRequest, indirectSegments * blockSectorsPerPage);
  }

  /** Reads `count` sectors (at most `maximumSectorsPerTransfer`) starting at `sector`. */
  async read(sector: number, count: number): Promise<Uint8Array> {
    const data = new Uint8Array(count * blockSectorBytes);
    await this.transfer(BlockOperation.read, sector, data);
    return data;
  }

  /** Writes whole sectors (data length a multiple of 512, at most `maximumSectorsPerTransfer`). */
  write(sector: number, data: Uint8Array): Promise<void> {
    return this.transfer(BlockOperation.write, sector, data);
  }

  /** A write that completes only after every earlier request (feature-barrier). */
  writeBarrier(sector: number, data: Uint8Array): Promise<void> {
    return this.transfer(BlockOperation.writeBarrier, sector, data);
  }

  /** Flushes the disk cache (feature-flush-cache); no data. */
  async flush(): Promise<void> {
    const request = this.prepareSegmentRequest(Operation.flushDiskcache, 0, 0);
    const response = await this.stub.send(request);
    if (response.status !== BlockStatus.okay) throw new BlockRequestFailed(response.operation, response.status);
  }

  /** Discards sectors (feature-discard); `secure` asks for a secure erase. */
  async discard(sector: number, count: number, secure = false): Promise<void> {
    const request = this.scratchRequest;
    request.operation = Operation.discard;
    request.operationVariant.arm = "discard";
    const discard = request.operationVariant.discard;
    discard.flag = secure ? 1 : 0;
    discard.handle = 0;
    discard.id = 0;
    discard.sectorNumber = sector;
    discard.nrSectors = count;
    const response = await this.stub.send(request);
    if (response.status !== BlockStatus.okay) throw new BlockRequestFailed(response.operation, response.status);
  }

  /** Fills the scratch request's segment arm (read, write, barrier, flush) without segments. */
  private prepareSegmentRequest(operation: Operation, sector: number, segmentCount: number): Request {
    const request = this.scratchRequest;
    request.operation = operation;
    request.operationVariant.arm = "read";
    const body = request.operationVariant.read;
    body.nrSegments = segmentCount;
    body.handle = 0;
    body.id = 0;
    body.sectorNumber = sector;
    return request;
  }

  private async transfer(operation: Operation, sector: number, data: Uint8Array): Promise<void> {
    const sectorCount = data.byteLength / blockSectorBytes;
    // Only reads and writes may go indirect (the spec's `indirect_operation`).
    const maximumSectors = operation === Operation.read || operation === Operation.write ? this.maximumSectorsPerTransfer : blockMaximumSectorsPerRequest;
    if (!Number.isInteger(sectorCount) || sectorCount <= 0 || sectorCount > maximumSectors) {
      throw new RangeError(`a block transfer is 1..${maximumSectors} whole sectors, not ${data.byteLength} bytes`);
    }
    if (!Number.isSafeInteger(sector) || sector < 0) throw new RangeError(`sector ${sector} is not a non-negative whole number`);
    const pool = this.pool;
    if (pool === undefined) throw new ConnectionRequestFailed({ code: "connection-closed", message: "connect() first" });
    const pageCount = Math.ceil(sectorCount / blockSectorsPerPage);
    const indirect = pageCount > blockMaximumSegmentsPerRequest;
    const descriptorFrameCount = indirect ? Math.ceil(pageCount / SEGMENTS_PER_INDIRECT_FRAME) : 0;
    const frames: number[] = [];
    await pool.take(pageCount + descriptorFrameCount, frames);
    const hypercalls = this.context.hypercalls;
    const references: number[] = [];
    const isRead = operation === BlockOperation.read;
    const persistent = this.usesPersistentGrants;
    try {
      for (let page = 0; page < pageCount; page++) {
        const pageBytes = this.pageBytes(frames[page]!);
        if (!isRead) pageBytes.set(data.subarray(page * 4096, Math.min((page + 1) * 4096, data.byteLength)));
        references.push(persistent ? await this.grantPersistently(frames[page]!) : await this.grantForRequest(frames[page]!, !isRead));
      }
      const request = indirect
        ? await this.prepareIndirectRequest(operation, sector, sectorCount, frames, references, persistent)
        : this.prepareSegmentRequest(operation, sector, pageCount);
      if (!indirect) {
        const segments = request.operationVariant.read.seg;
        for (let page = 0; page < pageCount; page++) describeSegment(segments[page]!, references[page]!, page, sectorCount);
      }
      const response = await this.stub.send(request);
      if (response.status !== BlockStatus.okay) throw new BlockRequestFailed(response.operation, response.status);
      if (isRead) {
        for (let page = 0; page < pageCount; page++) {
          const bytes = Math.min(4096, data.byteLength - page * 4096);
          data.set(this.pageBytes(frames[page]!).subarray(0, bytes), page * 4096);
        }
      }
    } finally {
      if (persistent) for (const frame of frames) this.pool!.give(frame);
      else await this.releasePages(frames, references);
    }
  }

  /** Grants one page to the backend; `readonly` for pages the backend only reads (write data, indirect descriptors). */
  private async grantForRequest(frame: number, readonly: boolean): Promise<number> {
    const granted = await this.context.hypercalls.grantAccess(this.options.backendDomainId, frame, readonly);
    if (!granted.ok) throw new ConnectionRequestFailed({ code: "connection-grant-failed", message: `granting a page: ${granted.reason}` });
    return granted.reference;
  }

  /** A pool page's persistent grant, made writable on first use because the page later serves reads and writes alike. */
  private async grantPersistently(frame: number): Promise<number> {
    const known = this.persistentReferences.get(frame);
    if (known !== undefined) return known;
    const reference = await this.grantForRequest(frame, false);
    this.persistentReferences.set(frame, reference);
    return reference;
  }

  /**
   * Builds an indirect request: the segment descriptors of every data page (frames
   * 0..pageCount-1, already granted) are encoded with the generated IndirectFrame codec into the
   * descriptor frames that follow them in `frames`, which are granted read-only; their grant
   * references go into `references` after the data pages' so they are ended with them.
   */
  private async prepareIndirectRequest(operation: Operation, sector: number, sectorCount: number, frames: readonly number[], references: number[], persistent: boolean): Promise<Request> {
    const pageCount = Math.ceil(sectorCount / blockSectorsPerPage);
    const codec = codecsByAbi[this.stub.abi].IndirectFrame;
    const descriptor = this.scratchIndirectFrame;
    const request = this.scratchRequest;
    request.operation = Operation.indirect;
    request.operationVariant.arm = "indirect";
    const body = request.operationVariant.indirect;
    body.indirectOp = operation;
    body.nrSegments = pageCount;
    body.id = 0;
    body.sectorNumber = sector;
    body.handle = 0;
    body.indirectGrefs.fill(0);
    for (let frame = 0; pageCount > frame * SEGMENTS_PER_INDIRECT_FRAME; frame++) {
      const first = frame * SEGMENTS_PER_INDIRECT_FRAME;
      for (let index = 0; index < SEGMENTS_PER_INDIRECT_FRAME; index++) {
        const segment = descriptor.segments[index]!;
        if (first + index < pageCount) describeSegment(segment, references[first + index]!, first + index, sectorCount);
        else describeSegment(segment, 0, 0, blockSectorsPerPage);
      }
      const frameNumber = frames[pageCount + frame]!;
      const bytes = this.pageBytes(frameNumber);
      const error = codec.encode(descriptor, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
      if (error !== undefined) throw new RangeError(`cannot encode indirect segments: ${error.code} at ${error.fieldPath}`);
      const reference = persistent ? await this.grantPersistently(frameNumber) : await this.grantForRequest(frameNumber, true);
      references.push(reference);
      body.indirectGrefs[frame] = reference;
    }
    return request;
  }

  /**
   * Ends each grant; a page the backend still maps (it broke the unmap-before-respond rule, or
   * it was reset while mapping) is left to the hypervisor's deferred end and never reused.
   */
  private async releasePages(frames: readonly number[], references: readonly number[]): Promise<void> {
    const pool = this.pool!;
    const hypercalls = this.context.hypercalls;
    for (let page = 0; page < frames.length; page++) {
      const reference = references[page];
      if (reference === undefined) {
        pool.give(frames[page]!);
        continue;
      }
      const ended = await hypercalls.endAccess(reference);
      if (ended.ok) {
        pool.give(frames[page]!);
      } else {
        await hypercalls.endAccessDeferred(reference);
        this.options.onProblem?.({ code: "connection-grant-failed", message: `the backend still maps grant ${reference} after answering`, location: String(reference) });
      }
    }
  }

  private pageBytes(frame: number): Uint8Array {
    return this.context.memory.subarray(frame * 4096, (frame + 1) * 4096);
  }
}
