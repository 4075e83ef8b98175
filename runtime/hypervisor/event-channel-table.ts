// The event-channel state every thread shares: one SharedArrayBuffer holding, per domain slot,
// a wake sequence word, a paused word and a row per port (state, remote, pending bit, counters). Sending and
// waiting use only Atomics on this buffer, so a notification really crosses threads. The
// control plane (allocation, binding, closing) writes rows only on the hypervisor's thread.

export const PortState = { free: 0, unbound: 1, interdomain: 2 } as const;
export type PortStateCode = (typeof PortState)[keyof typeof PortState];

/** What a send did; the caller turns it into a result and an observation. */
export const SendOutcome = {
  invalidPort: 0,
  droppedUnbound: 1,
  deliveredNewPending: 2,
  coalescedAlreadyPending: 3,
  deniedByPolicy: 4,
} as const;
export type SendOutcomeCode = (typeof SendOutcome)[keyof typeof SendOutcome];

const wordsPerPort = 8;
const Word = {
  state: 0,
  remoteDomainId: 1,
  remoteSlot: 2,
  remotePort: 3,
  pending: 4,
  /** Set by the control plane when the policy forbids sending on this port. */
  sendDenied: 5,
  /** Counts notifications that set the peer's pending bit (not coalesced ones). */
  raisedCount: 6,
} as const;

/** Everything a worker needs to rebuild the table over the same memory. */
export interface EventChannelTableLayout {
  readonly buffer: SharedArrayBuffer;
  readonly domainSlots: number;
  readonly portsPerDomain: number;
}

export class EventChannelTable {
  readonly layout: EventChannelTableLayout;
  readonly domainSlots: number;
  readonly portsPerDomain: number;
  private readonly words: Int32Array;
  private readonly pausedBase: number;
  private readonly portBase: number;

  static create(domainSlots: number, portsPerDomain: number): EventChannelTable {
    if (!Number.isInteger(domainSlots) || domainSlots < 1) throw new RangeError(`need at least one domain slot, not ${domainSlots}`);
    if (!Number.isInteger(portsPerDomain) || portsPerDomain < 2) throw new RangeError(`need at least two ports per domain, not ${portsPerDomain}`);
    const wordCount = 2 * domainSlots + domainSlots * portsPerDomain * wordsPerPort;
    return new EventChannelTable({ buffer: new SharedArrayBuffer(wordCount * 4), domainSlots, portsPerDomain });
  }

  constructor(layout: EventChannelTableLayout) {
    this.layout = layout;
    this.domainSlots = layout.domainSlots;
    this.portsPerDomain = layout.portsPerDomain;
    this.words = new Int32Array(layout.buffer);
    this.pausedBase = layout.domainSlots;
    this.portBase = 2 * layout.domainSlots;
  }

  isValidPort(port: number): boolean {
    return Number.isInteger(port) && port >= 1 && port < this.portsPerDomain;
  }

  private row(slot: number, port: number): number {
    return this.portBase + (slot * this.portsPerDomain + port) * wordsPerPort;
  }

  stateOf(slot: number, port: number): PortStateCode {
    return Atomics.load(this.words, this.row(slot, port) + Word.state) as PortStateCode;
  }

  remoteDomainIdOf(slot: number, port: number): number {
    return Atomics.load(this.words, this.row(slot, port) + Word.remoteDomainId);
  }

  remoteSlotOf(slot: number, port: number): number {
    return Atomics.load(this.words, this.row(slot, port) + Word.remoteSlot);
  }

  remotePortOf(slot: number, port: number): number {
    return Atomics.load(this.words, this.row(slot, port) + Word.remotePort);
  }

  /** Lowest free port of a slot, or undefined when every port is in use. */
  findFreePort(slot: number): number | undefined {
    for (let port = 1; port < this.portsPerDomain; port += 1) if (this.stateOf(slot, port) === PortState.free) return port;
    return undefined;
  }

  /** Control plane: the port waits for `remoteDomainId` to bind to it. */
  writeUnbound(slot: number, port: number, remoteDomainId: number): void {
    const row = this.row(slot, port);
    Atomics.store(this.words, row + Word.remoteDomainId, remoteDomainId);
    Atomics.store(this.words, row + Word.remoteSlot, -1);
    Atomics.store(this.words, row + Word.remotePort, 0);
    Atomics.store(this.words, row + Word.state, PortState.unbound);
  }

  /** Control plane: connects the port to (remoteSlot, remotePort). The state is written last. */
  writeInterdomain(slot: number, port: number, remoteDomainId: number, remoteSlot: number, remotePort: number): void {
    const row = this.row(slot, port);
    Atomics.store(this.words, row + Word.remoteDomainId, remoteDomainId);
    Atomics.store(this.words, row + Word.remoteSlot, remoteSlot);
    Atomics.store(this.words, row + Word.remotePort, remotePort);
    Atomics.store(this.words, row + Word.state, PortState.interdomain);
  }

  /** Control plane: frees the port and forgets its pending bit and counters. */
  writeFree(slot: number, port: number): void {
    const row = this.row(slot, port);
    Atomics.store(this.words, row + Word.state, PortState.free);
    Atomics.store(this.words, row + Word.remoteDomainId, 0);
    Atomics.store(this.words, row + Word.remoteSlot, -1);
    Atomics.store(this.words, row + Word.remotePort, 0);
    Atomics.store(this.words, row + Word.pending, 0);
    Atomics.store(this.words, row + Word.sendDenied, 0);
    Atomics.store(this.words, row + Word.raisedCount, 0);
  }

  writeSendDenied(slot: number, port: number, denied: boolean): void {
    Atomics.store(this.words, this.row(slot, port) + Word.sendDenied, denied ? 1 : 0);
  }

  isSendDenied(slot: number, port: number): boolean {
    return Atomics.load(this.words, this.row(slot, port) + Word.sendDenied) !== 0;
  }

  /**
   * Data plane, any thread: notifies the peer of an interdomain port. The peer's pending bit
   * is one bit, so a second send before the peer looked coalesces. Only a 0 -> 1 transition
   * bumps the peer's wake sequence and wakes its waiters.
   */
  send(slot: number, port: number): SendOutcomeCode {
    const row = this.row(slot, port);
    const state = Atomics.load(this.words, row + Word.state);
    if (state === PortState.unbound) return SendOutcome.droppedUnbound;
    if (state !== PortState.interdomain) return SendOutcome.invalidPort;
    if (Atomics.load(this.words, row + Word.sendDenied) !== 0) return SendOutcome.deniedByPolicy;
    const remoteSlot = Atomics.load(this.words, row + Word.remoteSlot);
    const remotePort = Atomics.load(this.words, row + Word.remotePort);
    // The control plane may be closing the channel on another thread right now: a row caught
    // half-rewritten counts as unbound, exactly what the send would have met a moment later.
    if (remoteSlot < 0 || remoteSlot >= this.domainSlots || !this.isValidPort(remotePort)) return SendOutcome.droppedUnbound;
    const remoteRow = this.row(remoteSlot, remotePort);
    if (Atomics.exchange(this.words, remoteRow + Word.pending, 1) !== 0) return SendOutcome.coalescedAlreadyPending;
    Atomics.add(this.words, remoteRow + Word.raisedCount, 1);
    Atomics.add(this.words, remoteSlot, 1);
    Atomics.notify(this.words, remoteSlot);
    return SendOutcome.deliveredNewPending;
  }

  /** Marks a port pending (bind_interdomain does this) and wakes its domain's waiters. */
  raisePending(slot: number, port: number): void {
    const row = this.row(slot, port);
    if (Atomics.exchange(this.words, row + Word.pending, 1) !== 0) return;
    Atomics.add(this.words, row + Word.raisedCount, 1);
    Atomics.add(this.words, slot, 1);
    Atomics.notify(this.words, slot);
  }

  isPending(slot: number, port: number): boolean {
    return Atomics.load(this.words, this.row(slot, port) + Word.pending) !== 0;
  }

  /** Clears the pending bit; true when it was set. Receivers then re-check their rings. */
  consumePending(slot: number, port: number): boolean {
    return Atomics.exchange(this.words, this.row(slot, port) + Word.pending, 0) !== 0;
  }

  /** How many times the port's pending bit went from 0 to 1 (notifications actually raised). */
  raisedCountOf(slot: number, port: number): number {
    return Atomics.load(this.words, this.row(slot, port) + Word.raisedCount);
  }

  /** The slot's wake sequence: read it, check pending bits, then wait for it to change. */
  readWakeSequence(slot: number): number {
    return Atomics.load(this.words, slot);
  }

  /** Wakes a slot's waiters without raising anything (used when a domain is torn down). */
  bumpWakeSequence(slot: number): void {
    Atomics.add(this.words, slot, 1);
    Atomics.notify(this.words, slot);
  }

  /**
   * Blocks the calling thread until the slot's wake sequence differs from `observed` or the
   * timeout passes. Only worker threads may block; the main thread uses waitForChangeAsync.
   */
  waitForChangeBlocking(slot: number, observed: number, timeoutMilliseconds: number): void {
    Atomics.wait(this.words, slot, observed, timeoutMilliseconds);
  }

  /** Resolves when the slot's wake sequence differs from `observed` (Atomics.waitAsync). */
  waitForChangeAsync(slot: number, observed: number, timeoutMilliseconds: number): Promise<void> {
    const result = waitAsync(this.words, slot, observed, timeoutMilliseconds);
    if (!result.async) return Promise.resolve();
    // A pending Atomics.waitAsync does not keep Node's event loop alive: without this timer a
    // worker whose only work is waiting would exit (code 13, unfinished top-level await).
    const keepAlive = setTimeout(() => undefined, timeoutMilliseconds);
    return result.value.then(() => clearTimeout(keepAlive));
  }

  /**
   * Control plane: marks the slot's domain paused or running. Waiters of a paused domain do not
   * take events (they stay pending); unpausing bumps the wake word so that waiters look again.
   */
  writePaused(slot: number, paused: boolean): void {
    Atomics.store(this.words, this.pausedBase + slot, paused ? 1 : 0);
    if (!paused) this.bumpWakeSequence(slot);
  }

  isPaused(slot: number): boolean {
    return Atomics.load(this.words, this.pausedBase + slot) !== 0;
  }

  /** Counts ports of a slot that are not free (for teardown checks). */
  countOpenPorts(slot: number): number {
    let open = 0;
    for (let port = 1; port < this.portsPerDomain; port += 1) if (this.stateOf(slot, port) !== PortState.free) open += 1;
    return open;
  }
}

/** Atomics.waitAsync is in Node 20 but not in the ES2022 library types this project targets. */
type WaitAsyncResult = { readonly async: false; readonly value: "not-equal" | "timed-out" } | { readonly async: true; readonly value: Promise<"ok" | "timed-out"> };
type WaitAsync = (array: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;

function waitAsync(array: Int32Array, index: number, value: number, timeout: number): WaitAsyncResult {
  const implementation = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (implementation === undefined) throw new Error("Atomics.waitAsync is unavailable; Node.js 20 or newer is required");
  return implementation(array, index, value, timeout);
}
