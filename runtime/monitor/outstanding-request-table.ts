// The requests a monitor has seen published and not yet seen answered, keyed by 64-bit
// request id in a typed-array open-addressing table (linear probing, backward-shift deletion),
// so inserting, finding and removing allocate nothing and cost O(1) expected.

/** Returned by `find` when the id is not in the table. */
export const absentEntry = -1;

export class OutstandingRequestTable {
  readonly capacity: number;
  private readonly mask: number;
  private readonly used: Uint8Array;
  private readonly idLow: Uint32Array;
  private readonly idHigh: Uint32Array;
  /** The ring index the request was published at. */
  readonly ringIndex: Uint32Array;
  /** Monitor-clock milliseconds at which the monitor first saw the request. */
  readonly publishedAt: Float64Array;
  /** Hash of the slot bytes the responder never writes, taken at publication. */
  readonly slotHash: Uint32Array;
  /** How many grant references the request carries, and where they are kept. */
  readonly grantCount: Uint8Array;
  readonly grantReferences: Uint32Array;
  readonly maximumGrantsPerRequest: number;
  private entryCount = 0;

  constructor(outstandingBound: number, maximumGrantsPerRequest: number) {
    let capacity = 8;
    while (capacity < outstandingBound * 2) capacity *= 2;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.used = new Uint8Array(capacity);
    this.idLow = new Uint32Array(capacity);
    this.idHigh = new Uint32Array(capacity);
    this.ringIndex = new Uint32Array(capacity);
    this.publishedAt = new Float64Array(capacity);
    this.slotHash = new Uint32Array(capacity);
    this.grantCount = new Uint8Array(capacity);
    this.maximumGrantsPerRequest = maximumGrantsPerRequest;
    this.grantReferences = new Uint32Array(capacity * Math.max(1, maximumGrantsPerRequest));
  }

  get size(): number {
    return this.entryCount;
  }

  isUsed(entry: number): boolean {
    return this.used[entry] === 1;
  }

  /** The entry holding the id, or `absentEntry`. */
  find(idLow: number, idHigh: number): number {
    let entry = this.home(idLow, idHigh);
    for (let probes = 0; probes < this.capacity; probes += 1) {
      if (this.used[entry] !== 1) return absentEntry;
      if (this.idLow[entry] === idLow && this.idHigh[entry] === idHigh) return entry;
      entry = (entry + 1) & this.mask;
    }
    return absentEntry;
  }

  /** Inserts a new id (the caller checked it is absent and the table has room); returns its entry. */
  insert(idLow: number, idHigh: number): number {
    let entry = this.home(idLow, idHigh);
    while (this.used[entry] === 1) entry = (entry + 1) & this.mask;
    this.used[entry] = 1;
    this.idLow[entry] = idLow;
    this.idHigh[entry] = idHigh;
    this.grantCount[entry] = 0;
    this.entryCount += 1;
    return entry;
  }

  idLowAt(entry: number): number {
    return this.idLow[entry] ?? 0;
  }

  idHighAt(entry: number): number {
    return this.idHigh[entry] ?? 0;
  }

  /** Removes an entry, shifting later members of its probe run back so lookups stay correct. */
  remove(entry: number): void {
    this.used[entry] = 0;
    this.entryCount -= 1;
    let hole = entry;
    let next = (entry + 1) & this.mask;
    while (this.used[next] === 1) {
      const home = this.home(this.idLow[next] ?? 0, this.idHigh[next] ?? 0);
      // The entry at `next` may move into the hole only if its home is not cyclically in (hole, next].
      const distanceFromHomeToNext = (next - home) & this.mask;
      const distanceFromHoleToNext = (next - hole) & this.mask;
      if (distanceFromHomeToNext >= distanceFromHoleToNext) {
        this.moveEntry(next, hole);
        hole = next;
      }
      next = (next + 1) & this.mask;
    }
  }

  private moveEntry(from: number, to: number): void {
    this.used[to] = 1;
    this.used[from] = 0;
    this.idLow[to] = this.idLow[from] ?? 0;
    this.idHigh[to] = this.idHigh[from] ?? 0;
    this.ringIndex[to] = this.ringIndex[from] ?? 0;
    this.publishedAt[to] = this.publishedAt[from] ?? 0;
    this.slotHash[to] = this.slotHash[from] ?? 0;
    this.grantCount[to] = this.grantCount[from] ?? 0;
    const width = this.maximumGrantsPerRequest;
    this.grantReferences.copyWithin(to * width, from * width, from * width + width);
  }

  private home(idLow: number, idHigh: number): number {
    return (Math.imul(idLow ^ Math.imul(idHigh, 0x85ebca6b), 0x9e3779b1) >>> 16) & this.mask;
  }
}
