// A blkif backend serving an in-memory disk on the generated typed stub (BlkifBackend in
// drivers/blk/generated/blkif.ts): the stub publishes the features from a typed object before
// InitWait, picks the codecs from the frontend's `protocol` key, decodes each request once from
// its private copy and echoes id and operation into the answer. This class executes requests in
// ring order (which also gives barriers their meaning) by mapping each segment's grant, copying
// between the disk and [first_sect, last_sect] of the page, and unmapping before it answers.

import type { DomainContext } from "../../runtime/execution/index.js";
import type { ConnectionProblemListener, ConnectionStore, SplitConnectionBackend, StubExchange } from "../../runtime/connection/index.js";
import type { CodecError, ValidationError } from "../../runtime/gen/v1.js";
import { BlockInfoFlag, BlockOperation, BlockStatus, blockDiscardSecureFlag, blockMaximumRingPageOrder, blockSectorBytes, type BlockAbiName } from "./block-protocol-constants.js";
import type { MemoryDisk } from "./memory-disk.js";
import { BlkifBackend, Operation, isOperation, type Request, type Response, type Status } from "./generated/blkif.js";

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
  /** The generated typed stub underneath. */
  readonly stub: BlkifBackend;
  readonly connection: SplitConnectionBackend<StubExchange<Request, Response>>;
  private executionChain: Promise<unknown> = Promise.resolve();
  private readonly operationCounts = new Float64Array(8);

  constructor(private readonly context: DomainContext, private readonly options: BlockBackendOptions) {
    const disk = options.disk;
    this.stub = new BlkifBackend(context, {
      store: options.store,
      frontendPath: options.frontendPath,
      backendPath: options.backendPath,
      frontendDomainId: options.frontendDomainId,
      keys: {
        featureBarrier: true,
        featureFlushCache: true,
        featureDiscard: !disk.readonly,
        // Every grant is mapped per request and unmapped before the answer.
        featurePersistent: false,
        maxRingPageOrder: Math.min(options.maximumRingPageOrder ?? blockMaximumRingPageOrder, blockMaximumRingPageOrder),
      },
      sessionKeys: () => ({
        sectors: disk.sectorCount,
        info: disk.readonly ? BlockInfoFlag.readonly : 0,
        sectorSize: blockSectorBytes,
        physicalSectorSize: blockSectorBytes,
        discardGranularity: blockSectorBytes,
        discardAlignment: 0,
        discardSecure: true,
      }),
      ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
    });
    this.connection = this.stub.connection;
  }

  /** The ABI of the current (or last) session, as the `protocol` key names it. */
  get abi(): BlockAbiName {
    return `${this.stub.abi}-abi`;
  }

  /** Requests executed per operation code (0..7), for tests and tools. */
  countOf(operation: number): number {
    return this.operationCounts[operation] ?? 0;
  }

  start(): Promise<void> {
    return this.stub.serve({
      serve: (request) => this.enqueue(request),
      refuse: (reason, _abi, requestBytes) => this.refuse(reason, requestBytes),
    });
  }

  stop(): Promise<void> {
    return this.stub.stop();
  }

  /**
   * A request that does not decode: an operation this protocol does not define is "not
   * supported", anything else malformed is an error. The response's operation must be an
   * Operation, so an undefined code is answered as reserved_1, which no request may use either.
   */
  private refuse(reason: CodecError | ValidationError, requestBytes: Uint8Array): Response {
    const unknownOperation = "code" in reason && reason.fieldPath === "operation" && (reason.code === "enum-value-unknown" || reason.code === "discriminant-unknown");
    const requestedOperation = requestBytes[0] ?? Operation.reserved1;
    const operation = isOperation(requestedOperation) ? requestedOperation : Operation.reserved1;
    return { id: 0, operation, status: unknownOperation ? BlockStatus.notSupported : BlockStatus.error };
  }

  /** Requests run one after another in ring order; the decoded request stays valid until each answer. */
  private enqueue(request: Request): Promise<Response> {
    const execution = this.executionChain.then(() => this.execute(request));
    this.executionChain = execution;
    return execution;
  }

  private async execute(request: Request): Promise<Response> {
    this.operationCounts[request.operation & 7]! += 1;
    // The stub writes the request's id and operation into the answer.
    return { id: 0, operation: request.operation, status: await this.perform(request) };
  }

  private async perform(request: Request): Promise<Status> {
    const disk = this.options.disk;
    const variant = request.operationVariant;
    switch (request.operation) {
      case BlockOperation.read:
        return this.transferSegments(request, "read");
      case BlockOperation.write:
      case BlockOperation.writeBarrier:
      case BlockOperation.flushDiskCache:
        // Execution is in ring order and the disk is memory, so a barrier or flush completes
        // once the data of every earlier request is in place: only its own data remains.
        if (variant.read.nrSegments === 0) return request.operation === BlockOperation.write ? BlockStatus.error : BlockStatus.okay;
        if (disk.readonly) return BlockStatus.error;
        return this.transferSegments(request, "write");
      case BlockOperation.discard: {
        const discard = variant.discard;
        if (disk.readonly) return BlockStatus.notSupported;
        if (discard.flag & ~blockDiscardSecureFlag) return BlockStatus.error;
        if (!disk.contains(discard.sectorNumber, discard.nrSectors)) return BlockStatus.error;
        disk.discard(discard.sectorNumber, discard.nrSectors);
        return BlockStatus.okay;
      }
      default:
        // Indirect requests are not offered (no feature-max-indirect-segments).
        return BlockStatus.notSupported;
    }
  }

  private async transferSegments(request: Request, direction: "read" | "write"): Promise<Status> {
    const disk = this.options.disk;
    const body = request.operationVariant.read;
    if (body.nrSegments === 0) return BlockStatus.error;
    let totalSectors = 0;
    for (let index = 0; index < body.nrSegments; index++) {
      const segment = body.seg[index]!;
      totalSectors += segment.lastSect - segment.firstSect + 1;
    }
    if (!disk.contains(body.sectorNumber, totalSectors)) return BlockStatus.error;
    const hypercalls = this.context.hypercalls;
    let sector = body.sectorNumber;
    for (let index = 0; index < body.nrSegments; index++) {
      const segment = body.seg[index]!;
      const count = segment.lastSect - segment.firstSect + 1;
      // A read fills the frontend's page, so it needs a writable mapping; a write only reads it.
      const mapped = await hypercalls.mapGrant(this.options.frontendDomainId, segment.gref, direction === "read");
      if (!mapped.ok) return BlockStatus.error;
      const pageBytes = mapped.view.subarray(segment.firstSect * blockSectorBytes, (segment.lastSect + 1) * blockSectorBytes);
      if (direction === "read") pageBytes.set(disk.sectors(sector, count));
      else disk.sectors(sector, count).set(pageBytes);
      const unmapped = await hypercalls.unmapGrant(mapped.handle);
      if (!unmapped.ok) return BlockStatus.error;
      sector += count;
    }
    return BlockStatus.okay;
  }
}
