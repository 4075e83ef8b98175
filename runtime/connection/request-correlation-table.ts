// The frontend's table of outstanding requests, preallocated per ring entry: typed arrays for
// the expected ids, issue order and the encoded request bytes (kept for re-issue after a
// reconnect), one settle function per entry, and a free-list stack. No Map, no per-message
// allocation. An id is `generation * capacity + entry` reduced to the id width, so a stale or
// duplicated response id never matches a live entry.

export interface OutstandingRequestSettlers<TResponse> {
  resolve(response: TResponse): void;
  reject(reason: Error): void;
}

export class RequestCorrelationTable<TResponse> {
  readonly capacity: number;
  /** Encoded request bytes of entry e live at [e * slotBytes, (e + 1) * slotBytes). */
  readonly requestBytes: Uint8Array;
  private readonly requestViews: Uint8Array[];
  private readonly expectedIds: Float64Array;
  private readonly issueSequence: Float64Array;
  private readonly generations: Uint32Array;
  private readonly freeEntries: Int32Array;
  private freeCount: number;
  private readonly settlers: Array<OutstandingRequestSettlers<TResponse> | undefined>;
  private readonly idModulus: number;
  private nextIssueSequence = 0;

  constructor(capacity: number, readonly slotBytes: number, idBytes: 2 | 4 | 8) {
    if (!Number.isInteger(capacity) || capacity <= 0 || (capacity & (capacity - 1)) !== 0) throw new RangeError(`table capacity ${capacity} is not a power of two`);
    this.capacity = capacity;
    this.idModulus = idBytes === 2 ? 0x1_0000 : idBytes === 4 ? 0x1_0000_0000 : 2 ** 53;
    if (capacity > this.idModulus) throw new RangeError(`table capacity ${capacity} exceeds the id space`);
    this.requestBytes = new Uint8Array(capacity * slotBytes);
    this.requestViews = Array.from({ length: capacity }, (_, entry) => this.requestBytes.subarray(entry * slotBytes, (entry + 1) * slotBytes));
    this.expectedIds = new Float64Array(capacity).fill(-1);
    this.issueSequence = new Float64Array(capacity);
    this.generations = new Uint32Array(capacity);
    this.freeEntries = new Int32Array(capacity);
    for (let entry = 0; entry < capacity; entry++) this.freeEntries[entry] = capacity - 1 - entry;
    this.freeCount = capacity;
    this.settlers = new Array<OutstandingRequestSettlers<TResponse> | undefined>(capacity).fill(undefined);
  }

  get outstandingCount(): number {
    return this.capacity - this.freeCount;
  }

  /** Takes a free entry and gives it a fresh id; -1 when all entries are outstanding. */
  allocate(settlers: OutstandingRequestSettlers<TResponse>): number {
    if (this.freeCount === 0) return -1;
    const entry = this.freeEntries[--this.freeCount]!;
    const generation = (this.generations[entry]! + 1) >>> 0;
    this.generations[entry] = generation;
    this.expectedIds[entry] = (generation * this.capacity + entry) % this.idModulus;
    this.issueSequence[entry] = this.nextIssueSequence++;
    this.settlers[entry] = settlers;
    return entry;
  }

  idOf(entry: number): number {
    return this.expectedIds[entry]!;
  }

  requestView(entry: number): Uint8Array {
    return this.requestViews[entry]!;
  }

  /** The outstanding entry a response id answers, or -1 for an unknown, stale or duplicate id. */
  findEntry(id: number): number {
    if (id < 0) return -1;
    const entry = id % this.capacity;
    return this.expectedIds[entry] === id ? entry : -1;
  }

  /** Frees the entry and resolves its promise. */
  settle(entry: number, response: TResponse): void {
    const settlers = this.release(entry);
    settlers?.resolve(response);
  }

  /** Frees the entry and rejects its promise. */
  fail(entry: number, reason: Error): void {
    const settlers = this.release(entry);
    settlers?.reject(reason);
  }

  /** Outstanding entries, oldest issue first (for re-issue or failing after a reset). Allocates; reconnects only. */
  listOutstandingInIssueOrder(): number[] {
    const entries: number[] = [];
    for (let entry = 0; entry < this.capacity; entry++) if (this.expectedIds[entry]! >= 0) entries.push(entry);
    return entries.sort((left, right) => this.issueSequence[left]! - this.issueSequence[right]!);
  }

  private release(entry: number): OutstandingRequestSettlers<TResponse> | undefined {
    const settlers = this.settlers[entry];
    this.settlers[entry] = undefined;
    this.expectedIds[entry] = -1;
    this.freeEntries[this.freeCount++] = entry;
    return settlers;
  }
}
