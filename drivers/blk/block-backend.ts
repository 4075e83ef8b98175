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
import { BlkifBackend, MAX_INDIRECT_SEGMENTS, type BlkifBackendConnectedKeys, Operation, SEGMENTS_PER_INDIRECT_FRAME, codecsByAbi, createIndirectFrame, createSegment, isOperation, type IndirectFrame, type Request, type Segment, type Response, type Status } from "./generated/blkif.js";

export interface BlockBackendOptions {
  readonly store: ConnectionStore;
  readonly frontendPath: string;
  readonly backendPath: string;
  readonly frontendDomainId: number;
  readonly disk: MemoryDisk;
  readonly maximumRingPageOrder?: number;
  /**
   * Segments per indirect request offered as `feature-max-indirect-segments` (default 0: not
   * offered, indirect requests are answered "not supported"); at most 4096 (eight frames).
   */
  readonly maximumIndirectSegments?: number;
  /**
   * Offer `feature-persistent`: when the frontend offers it too, data grants stay mapped
   * (writable) for the whole session instead of being mapped and unmapped per request.
   */
  readonly persistentGrants?: boolean;
  readonly onProblem?: ConnectionProblemListener;
}

/** Persistent mappings kept per session, at most this many (Linux blkback keeps 1056 by default); beyond it grants are mapped per request. */
const maximumPersistentMappings = 1024;

interface PersistentMapping {
  readonly handle: number;
  readonly view: Uint8Array;
}

export class BlockBackend {
  /** The generated typed stub underneath. */
  readonly stub: BlkifBackend;
  readonly connection: SplitConnectionBackend<StubExchange<Request, Response>>;
  private executionChain: Promise<unknown> = Promise.resolve();
  private readonly operationCounts = new Float64Array(8);
  private readonly maximumIndirectSegments: number;
  /** Scratch for one indirect frame and the segments gathered from all frames of one request (requests run one at a time). */
  private readonly indirectFrame: IndirectFrame = createIndirectFrame();
  private readonly indirectSegments: Segment[];
  /** The session's persistent mappings by grant reference; undefined when the session does not use them. */
  private persistentMappings: Map<number, PersistentMapping> | undefined;

  constructor(private readonly context: DomainContext, private readonly options: BlockBackendOptions) {
    const disk = options.disk;
    this.maximumIndirectSegments = Math.max(0, Math.min(options.maximumIndirectSegments ?? 0, MAX_INDIRECT_SEGMENTS));
    this.indirectSegments = Array.from({ length: this.maximumIndirectSegments }, () => createSegment());
    const indirectOffer = this.maximumIndirectSegments > 0 ? { featureMaxIndirectSegments: this.maximumIndirectSegments } : {};
    this.stub = new BlkifBackend(context, {
      store: options.store,
      frontendPath: options.frontendPath,
      backendPath: options.backendPath,
      frontendDomainId: options.frontendDomainId,
      keys: {
        featureBarrier: true,
        featureFlushCache: true,
        featureDiscard: !disk.readonly,
        // Without persistent grants every grant is mapped per request and unmapped before the answer.
        featurePersistent: options.persistentGrants === true,
        maxRingPageOrder: Math.min(options.maximumRingPageOrder ?? blockMaximumRingPageOrder, blockMaximumRingPageOrder),
      },
      sessionKeys: async ({ frontendKeys }) => {
        await this.beginPersistentSession(options.persistentGrants === true && frontendKeys.featurePersistent);
        return this.describeDisk(indirectOffer);
      },
      ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
    });
    this.connection = this.stub.connection;
  }

  private describeDisk(indirectOffer: { readonly featureMaxIndirectSegments?: number }): BlkifBackendConnectedKeys {
    const disk = this.options.disk;
    return {
        sectors: disk.sectorCount,
        info: disk.readonly ? BlockInfoFlag.readonly : 0,
        sectorSize: blockSectorBytes,
        physicalSectorSize: blockSectorBytes,
        discardGranularity: blockSectorBytes,
        discardAlignment: 0,
      discardSecure: true,
      ...indirectOffer,
    };
  }

  /** Mappings persist only within a session: the previous session's are unmapped before a new one starts. */
  private async beginPersistentSession(persistent: boolean): Promise<void> {
    const previous = this.persistentMappings;
    this.persistentMappings = persistent ? new Map() : undefined;
    if (previous === undefined) return;
    for (const mapping of previous.values()) await this.context.hypercalls.unmapGrant(mapping.handle);
  }

  /** Persistent mappings of the current session (0 when it maps per request). */
  get persistentMappingCount(): number {
    return this.persistentMappings?.size ?? 0;
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

  async stop(): Promise<void> {
    await this.stub.stop();
    await this.beginPersistentSession(false);
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
        return this.transferSegments(variant.read.sectorNumber, variant.read.seg, variant.read.nrSegments, "read");
      case BlockOperation.write:
      case BlockOperation.writeBarrier:
      case BlockOperation.flushDiskCache:
        // Execution is in ring order and the disk is memory, so a barrier or flush completes
        // once the data of every earlier request is in place: only its own data remains.
        if (variant.read.nrSegments === 0) return request.operation === BlockOperation.write ? BlockStatus.error : BlockStatus.okay;
        if (disk.readonly) return BlockStatus.error;
        return this.transferSegments(variant.read.sectorNumber, variant.read.seg, variant.read.nrSegments, "write");
      case BlockOperation.indirect:
        return this.performIndirect(request);
      case BlockOperation.discard: {
        const discard = variant.discard;
        if (disk.readonly) return BlockStatus.notSupported;
        if (discard.flag & ~blockDiscardSecureFlag) return BlockStatus.error;
        if (!disk.contains(discard.sectorNumber, discard.nrSectors)) return BlockStatus.error;
        disk.discard(discard.sectorNumber, discard.nrSectors);
        return BlockStatus.okay;
      }
      default:
        return BlockStatus.notSupported;
    }
  }

  /**
   * An indirect read or write (only when offered): the segments live in frames the frontend
   * granted read-only, each an array of 512 segment descriptors; every frame is mapped, decoded
   * and validated with the generated codec (first_sect <= last_sect < 8) and unmapped before
   * any data moves. A count above the offer is the contextual clause `indirect_segment_count`.
   */
  private async performIndirect(request: Request): Promise<Status> {
    if (this.maximumIndirectSegments === 0) return BlockStatus.notSupported;
    const body = request.operationVariant.indirect;
    if (body.indirectOp !== Operation.read && body.indirectOp !== Operation.write) return BlockStatus.error;
    if (body.nrSegments < 1 || body.nrSegments > this.maximumIndirectSegments) return BlockStatus.error;
    if (body.indirectOp === Operation.write && this.options.disk.readonly) return BlockStatus.error;
    const hypercalls = this.context.hypercalls;
    const codec = codecsByAbi[this.stub.abi].IndirectFrame;
    const perFrame = SEGMENTS_PER_INDIRECT_FRAME;
    const frameCount = Math.ceil(body.nrSegments / perFrame);
    for (let frame = 0; frame < frameCount; frame++) {
      const mapped = await hypercalls.mapGrant(this.options.frontendDomainId, body.indirectGrefs[frame]!, false);
      if (!mapped.ok) return BlockStatus.error;
      const error = codec.decodeValidated(new DataView(mapped.view.buffer, mapped.view.byteOffset, mapped.view.byteLength), 0, this.indirectFrame);
      const unmapped = await hypercalls.unmapGrant(mapped.handle);
      if (error !== undefined || !unmapped.ok) return BlockStatus.error;
      const count = Math.min(perFrame, body.nrSegments - frame * perFrame);
      for (let index = 0; index < count; index++) {
        const source = this.indirectFrame.segments[index]!;
        const target = this.indirectSegments[frame * perFrame + index]!;
        target.gref = source.gref;
        target.firstSect = source.firstSect;
        target.lastSect = source.lastSect;
      }
    }
    return this.transferSegments(body.sectorNumber, this.indirectSegments, body.nrSegments, body.indirectOp === Operation.read ? "read" : "write");
  }

  /**
   * The session's persistent mapping of `grant`, made (writable: persistent pages serve reads
   * and writes) on first use; undefined when the session maps per request or the cache is full.
   */
  private async findPersistentMapping(grant: number): Promise<PersistentMapping | "refused" | undefined> {
    const mappings = this.persistentMappings;
    if (mappings === undefined) return undefined;
    const known = mappings.get(grant);
    if (known !== undefined) return known;
    if (mappings.size >= maximumPersistentMappings) return undefined;
    const mapped = await this.context.hypercalls.mapGrant(this.options.frontendDomainId, grant, true);
    if (!mapped.ok) return "refused";
    const mapping = { handle: mapped.handle, view: mapped.view };
    mappings.set(grant, mapping);
    return mapping;
  }

  private async transferSegments(sectorNumber: number, segments: readonly Segment[], segmentCount: number, direction: "read" | "write"): Promise<Status> {
    const disk = this.options.disk;
    if (segmentCount === 0) return BlockStatus.error;
    let totalSectors = 0;
    for (let index = 0; index < segmentCount; index++) {
      const segment = segments[index]!;
      totalSectors += segment.lastSect - segment.firstSect + 1;
    }
    if (!disk.contains(sectorNumber, totalSectors)) return BlockStatus.error;
    const hypercalls = this.context.hypercalls;
    let sector = sectorNumber;
    for (let index = 0; index < segmentCount; index++) {
      const segment = segments[index]!;
      const count = segment.lastSect - segment.firstSect + 1;
      const persistent = await this.findPersistentMapping(segment.gref);
      if (persistent === "refused") return BlockStatus.error;
      if (persistent !== undefined) {
        const pageBytes = persistent.view.subarray(segment.firstSect * blockSectorBytes, (segment.lastSect + 1) * blockSectorBytes);
        if (direction === "read") pageBytes.set(disk.sectors(sector, count));
        else disk.sectors(sector, count).set(pageBytes);
        sector += count;
        continue;
      }
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
