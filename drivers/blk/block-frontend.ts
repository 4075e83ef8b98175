// A blkif frontend over a split connection: chooses its ABI with the `protocol` key, reads
// the disk's properties when the backend connects, and offers read, write, write-barrier,
// flush and discard as promises. Data travels in pool pages granted to the backend per
// request (writable for reads, read-only for writes) and ended after the answer.

import type { DomainContext } from "../../runtime/execution/index.js";
import { ConnectionRequestFailed, SplitConnectionFrontend, type ConnectionProblemListener, type ConnectionStore, type PeerKeyReader } from "../../runtime/connection/index.js";
import { BlockOperation, BlockStatus, blockMaximumSegmentsPerRequest, blockSectorBytes, blockSectorsPerPage, type BlockAbiName } from "./block-protocol-constants.js";
import { describeBlockConnection } from "./block-connection-description.js";
import { blockRingCodecFor, createBlockRequest, createBlockResponse, type BlockRequest, type BlockResponse, type BlockRingCodec } from "./block-ring-codec.js";
import { DataPagePool } from "./data-page-pool.js";

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

export class BlockFrontend {
  readonly connection: SplitConnectionFrontend<BlockResponse>;
  private readonly codec: BlockRingCodec;
  private pool: DataPagePool | undefined;
  private deviceProperties: BlockDeviceProperties | undefined;
  private readonly encodeScratch: BlockRequest = createBlockRequest();

  constructor(private readonly context: DomainContext, private readonly options: BlockFrontendOptions) {
    this.codec = blockRingCodecFor(options.abi);
    const codec = this.codec;
    this.connection = new SplitConnectionFrontend<BlockResponse>(context, {
      description: describeBlockConnection(codec),
      store: options.store,
      frontendPath: options.frontendPath,
      backendPath: options.backendPath,
      backendDomainId: options.backendDomainId,
      chooseTransport: (backend) => this.chooseTransport(backend),
      onBackendConnected: (backend) => this.readDeviceProperties(backend),
      decodeResponse: (privateCopy) => {
        const response = createBlockResponse();
        const error = codec.decodeResponse(privateCopy, 0, response);
        if (error !== undefined) throw new RangeError(`${error.code} in ${error.field}`);
        return response;
      },
      ...(options.inFlightAfterReset === undefined ? {} : { inFlightAfterReset: options.inFlightAfterReset }),
      ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
    });
  }

  get properties(): BlockDeviceProperties | undefined {
    return this.deviceProperties;
  }

  /** Runs the handshake; resolves with the disk's properties once Connected. */
  async connect(): Promise<BlockDeviceProperties> {
    if (this.pool === undefined) {
      const count = this.options.dataPageCount ?? 64;
      const firstFrame = await this.context.hypercalls.allocatePages(count);
      if (firstFrame === undefined) throw new ConnectionRequestFailed({ code: "connection-grant-failed", message: `no ${count} free pages for request data` });
      this.pool = new DataPagePool(firstFrame, count);
    }
    await this.connection.connect();
    if (this.deviceProperties === undefined) throw new ConnectionRequestFailed({ code: "connection-bad-peer-key", message: "the backend connected without readable device properties" });
    return this.deviceProperties;
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  /** Reads `count` sectors (at most 88) starting at `sector`. */
  async read(sector: number, count: number): Promise<Uint8Array> {
    const data = new Uint8Array(count * blockSectorBytes);
    await this.transfer(BlockOperation.read, sector, data);
    return data;
  }

  /** Writes whole sectors (data length a multiple of 512, at most 88 sectors). */
  write(sector: number, data: Uint8Array): Promise<void> {
    return this.transfer(BlockOperation.write, sector, data);
  }

  /** A write that completes only after every earlier request (feature-barrier). */
  writeBarrier(sector: number, data: Uint8Array): Promise<void> {
    return this.transfer(BlockOperation.writeBarrier, sector, data);
  }

  /** Flushes the disk cache (feature-flush-cache); no data. */
  async flush(): Promise<void> {
    const response = await this.connection.request((slot, id) => this.encodeControl(slot, id, BlockOperation.flushDiskCache, 0, 0, 0));
    if (response.status !== BlockStatus.okay) throw new BlockRequestFailed(response.operation, response.status);
  }

  /** Discards sectors (feature-discard); `secure` asks for a secure erase. */
  async discard(sector: number, count: number, secure = false): Promise<void> {
    const response = await this.connection.request((slot, id) => this.encodeControl(slot, id, BlockOperation.discard, sector, count, secure ? 1 : 0));
    if (response.status !== BlockStatus.okay) throw new BlockRequestFailed(response.operation, response.status);
  }

  private encodeControl(slot: Uint8Array, id: number, operation: number, sector: number, count: number, flags: number): void {
    const request = this.encodeScratch;
    request.operation = operation;
    request.id = id;
    request.handle = 0;
    request.sectorNumber = sector;
    request.segmentCount = 0;
    request.discardSectorCount = count;
    request.discardFlags = flags;
    const error = this.codec.encodeRequest(request, slot, 0);
    if (error !== undefined) throw new RangeError(`cannot encode ${error.field}=${error.value}: ${error.code}`);
  }

  private async transfer(operation: number, sector: number, data: Uint8Array): Promise<void> {
    const sectorCount = data.byteLength / blockSectorBytes;
    if (!Number.isInteger(sectorCount) || sectorCount <= 0 || sectorCount > blockMaximumSectorsPerRequest) {
      throw new RangeError(`a block transfer is 1..${blockMaximumSectorsPerRequest} whole sectors, not ${data.byteLength} bytes`);
    }
    if (!Number.isSafeInteger(sector) || sector < 0) throw new RangeError(`sector ${sector} is not a non-negative whole number`);
    const pool = this.pool;
    if (pool === undefined) throw new ConnectionRequestFailed({ code: "connection-closed", message: "connect() first" });
    const pageCount = Math.ceil(sectorCount / blockSectorsPerPage);
    const frames: number[] = [];
    await pool.take(pageCount, frames);
    const hypercalls = this.context.hypercalls;
    const references: number[] = [];
    const isRead = operation === BlockOperation.read;
    try {
      for (let page = 0; page < pageCount; page++) {
        const pageBytes = this.pageBytes(frames[page]!);
        if (!isRead) pageBytes.set(data.subarray(page * 4096, Math.min((page + 1) * 4096, data.byteLength)));
        const granted = await hypercalls.grantAccess(this.options.backendDomainId, frames[page]!, !isRead);
        if (!granted.ok) throw new ConnectionRequestFailed({ code: "connection-grant-failed", message: `granting a data page: ${granted.reason}` });
        references.push(granted.reference);
      }
      const response = await this.connection.request((slot, id) => {
        const request = this.encodeScratch;
        request.operation = operation;
        request.id = id;
        request.handle = 0;
        request.sectorNumber = sector;
        request.segmentCount = pageCount;
        request.discardFlags = 0;
        request.discardSectorCount = 0;
        for (let page = 0; page < pageCount; page++) {
          const segment = request.segments[page]!;
          segment.grantReference = references[page]!;
          segment.firstSector = 0;
          segment.lastSector = Math.min(blockSectorsPerPage, sectorCount - page * blockSectorsPerPage) - 1;
        }
        const error = this.codec.encodeRequest(request, slot, 0);
        if (error !== undefined) throw new RangeError(`cannot encode ${error.field}=${error.value}: ${error.code}`);
      });
      if (response.status !== BlockStatus.okay) throw new BlockRequestFailed(response.operation, response.status);
      if (isRead) {
        for (let page = 0; page < pageCount; page++) {
          const bytes = Math.min(4096, data.byteLength - page * 4096);
          data.set(this.pageBytes(frames[page]!).subarray(0, bytes), page * 4096);
        }
      }
    } finally {
      await this.releasePages(frames, references);
    }
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

  private async chooseTransport(backend: PeerKeyReader): Promise<{ ringPageOrder: number; keys: Record<string, string> }> {
    const advertised = Number((await backend("max-ring-page-order")) ?? "0");
    const maximum = Number.isInteger(advertised) && advertised >= 0 ? advertised : 0;
    return { ringPageOrder: Math.min(this.options.ringPageOrder ?? 0, maximum), keys: { protocol: this.options.abi } };
  }

  private async readDeviceProperties(backend: PeerKeyReader): Promise<void> {
    const sectors = Number(await backend("sectors"));
    const info = Number((await backend("info")) ?? "0");
    const sectorSize = Number((await backend("sector-size")) ?? String(blockSectorBytes));
    this.deviceProperties = {
      sectors: Number.isSafeInteger(sectors) && sectors >= 0 ? sectors : 0,
      info: Number.isInteger(info) ? info : 0,
      sectorSize,
      barrier: (await backend("feature-barrier")) === "1",
      flush: (await backend("feature-flush-cache")) === "1",
      discard: (await backend("feature-discard")) === "1",
    };
  }
}
