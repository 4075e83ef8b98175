// A blkif backend serving an in-memory disk over a split connection: publishes the features,
// picks the ABI from the frontend's `protocol` key, and executes requests in ring order
// (which also gives barriers their meaning) by mapping each segment's grant, copying between
// the disk and [first_sect, last_sect] of the page, and unmapping before it answers.

import type { DomainContext } from "../../runtime/execution/index.js";
import { SplitConnectionBackend, type ConnectionProblemListener, type ConnectionStore, type PeerKeyReader } from "../../runtime/connection/index.js";
import type { BackendSessionOutcome } from "../../runtime/connection/index.js";
import { BlockInfoFlag, BlockOperation, BlockStatus, blockDiscardSecureFlag, blockSectorBytes, blockNativeAbi, parseBlockAbiName } from "./block-protocol-constants.js";
import { describeBlockConnection, blockMaximumRingPageOrder } from "./block-connection-description.js";
import { blockRingCodecFor, createBlockRequest, type BlockRequest, type BlockResponse, type BlockRingCodec } from "./block-ring-codec.js";
import type { MemoryDisk } from "./memory-disk.js";
import { Operation, isOperation } from "./generated/blkif.js";

export interface BlockBackendOptions {
  readonly store: ConnectionStore;
  readonly frontendPath: string;
  readonly backendPath: string;
  readonly frontendDomainId: number;
  readonly disk: MemoryDisk;
  readonly maximumRingPageOrder?: number;
  readonly onProblem?: ConnectionProblemListener;
}

export class BlockBackend {
  readonly connection: SplitConnectionBackend<BlockResponse>;
  private codec: BlockRingCodec = blockRingCodecFor(blockNativeAbi);
  private readonly request: BlockRequest = createBlockRequest();
  private executionChain: Promise<unknown> = Promise.resolve();
  private readonly operationCounts = new Float64Array(8);

  constructor(private readonly context: DomainContext, private readonly options: BlockBackendOptions) {
    const maximumRingPageOrder = Math.min(options.maximumRingPageOrder ?? blockMaximumRingPageOrder, blockMaximumRingPageOrder);
    this.connection = new SplitConnectionBackend<BlockResponse>(context, {
      description: describeBlockConnection(this.codec),
      store: options.store,
      frontendPath: options.frontendPath,
      backendPath: options.backendPath,
      frontendDomainId: options.frontendDomainId,
      featureKeys: {
        "feature-barrier": "1",
        "feature-flush-cache": "1",
        "feature-discard": options.disk.readonly ? "0" : "1",
        "max-ring-page-order": String(maximumRingPageOrder),
      },
      onFrontendInitialised: (frontend) => this.chooseSession(frontend),
      handleRequest: (privateCopy) => this.enqueue(privateCopy),
      encodeResponse: (slot, response) => {
        const error = this.codec.encodeResponse(response, slot, 0);
        if (error !== undefined) options.onProblem?.({ code: "connection-handler-failed", message: `cannot encode the response: ${error.code} in ${error.field}`, location: String(response.id) });
      },
      ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
    });
  }

  /** The ABI of the current (or last) session. */
  get abi(): string {
    return this.codec.abi;
  }

  /** Requests executed per operation code (0..7), for tests and tools. */
  countOf(operation: number): number {
    return this.operationCounts[operation] ?? 0;
  }

  start(): Promise<void> {
    return this.connection.start();
  }

  stop(): Promise<void> {
    return this.connection.stop();
  }

  private async chooseSession(frontend: PeerKeyReader): Promise<BackendSessionOutcome> {
    const protocolText = await frontend("protocol");
    const abi = parseBlockAbiName(protocolText);
    if (abi === undefined) {
      return { ok: false, problem: { code: "connection-bad-peer-key", message: `protocol ${JSON.stringify(protocolText)} is not x86_64-abi, x86_32-abi or arm-abi`, location: `${this.options.frontendPath}/protocol` } };
    }
    this.codec = blockRingCodecFor(abi);
    const disk = this.options.disk;
    return {
      ok: true,
      description: describeBlockConnection(this.codec),
      keys: {
        sectors: String(disk.sectorCount),
        info: String(disk.readonly ? BlockInfoFlag.readonly : 0),
        "sector-size": String(blockSectorBytes),
        "physical-sector-size": String(blockSectorBytes),
        "discard-granularity": String(blockSectorBytes),
        "discard-alignment": "0",
        "discard-secure": "1",
      },
    };
  }

  /** Requests run one after another in ring order; the private copy stays valid until each answer. */
  private enqueue(privateCopy: Uint8Array): Promise<BlockResponse> {
    const execution = this.executionChain.then(() => this.execute(privateCopy));
    this.executionChain = execution;
    return execution;
  }

  private async execute(privateCopy: Uint8Array): Promise<BlockResponse> {
    const request = this.request;
    const decodeError = this.codec.decodeRequest(privateCopy, 0, request);
    const id = Math.max(request.id, 0);
    if (decodeError !== undefined) {
      // An operation this protocol does not define is "not supported"; anything else malformed is an error.
      const unknownOperation = decodeError.field === "operation" && (decodeError.code === "enum-value-unknown" || decodeError.code === "discriminant-unknown");
      // The response's operation field is an Operation: an undefined code cannot be echoed, so
      // the answer names reserved_1, which no request may use either.
      const operation = isOperation(request.operation) ? request.operation : Operation.reserved1;
      return { id, operation, status: unknownOperation ? BlockStatus.notSupported : BlockStatus.error };
    }
    this.operationCounts[request.operation & 7]! += 1;
    return { id, operation: request.operation, status: await this.perform(request) };
  }

  private async perform(request: BlockRequest): Promise<number> {
    const disk = this.options.disk;
    switch (request.operation) {
      case BlockOperation.read:
        return this.transferSegments(request, "read");
      case BlockOperation.write:
      case BlockOperation.writeBarrier:
      case BlockOperation.flushDiskCache:
        // Execution is in ring order and the disk is memory, so a barrier or flush completes
        // once the data of every earlier request is in place: only its own data remains.
        if (request.segmentCount === 0) return request.operation === BlockOperation.write ? BlockStatus.error : BlockStatus.okay;
        if (disk.readonly) return BlockStatus.error;
        return this.transferSegments(request, "write");
      case BlockOperation.discard:
        if (disk.readonly) return BlockStatus.notSupported;
        if (request.discardFlags & ~blockDiscardSecureFlag) return BlockStatus.error;
        if (!disk.contains(request.sectorNumber, request.discardSectorCount)) return BlockStatus.error;
        disk.discard(request.sectorNumber, request.discardSectorCount);
        return BlockStatus.okay;
      default:
        // Indirect requests are not offered (no feature-max-indirect-segments).
        return BlockStatus.notSupported;
    }
  }

  private async transferSegments(request: BlockRequest, direction: "read" | "write"): Promise<number> {
    const disk = this.options.disk;
    if (request.segmentCount === 0) return BlockStatus.error;
    let totalSectors = 0;
    for (let index = 0; index < request.segmentCount; index++) {
      const segment = request.segments[index]!;
      totalSectors += segment.lastSector - segment.firstSector + 1;
    }
    if (!disk.contains(request.sectorNumber, totalSectors)) return BlockStatus.error;
    const hypercalls = this.context.hypercalls;
    let sector = request.sectorNumber;
    for (let index = 0; index < request.segmentCount; index++) {
      const segment = request.segments[index]!;
      const count = segment.lastSector - segment.firstSector + 1;
      // A read fills the frontend's page, so it needs a writable mapping; a write only reads it.
      const mapped = await hypercalls.mapGrant(this.options.frontendDomainId, segment.grantReference, direction === "read");
      if (!mapped.ok) return BlockStatus.error;
      const pageBytes = mapped.view.subarray(segment.firstSector * blockSectorBytes, (segment.lastSector + 1) * blockSectorBytes);
      if (direction === "read") pageBytes.set(disk.sectors(sector, count));
      else disk.sectors(sector, count).set(pageBytes);
      const unmapped = await hypercalls.unmapGrant(mapped.handle);
      if (!unmapped.ok) return BlockStatus.error;
      sector += count;
    }
    return BlockStatus.okay;
  }
}
