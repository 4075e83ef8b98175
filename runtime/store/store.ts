// xenstore++'s core: the committed tree, connections executing xs_wire requests with Xen's
// semantics (permissions, watches, transactions, quotas, domain lifecycle) and the journal
// that makes every acknowledged change survive a crash. Transports and the in-process client
// both drive it through StoreConnection.handle.

import type { StoreConnection, StoreConnectionOptions, StoreConnectionSink, StoreMessage } from "./connection.js";
import { planDomainRelease } from "./domain-release.js";
import { JournalFile, StoreJournalError } from "./journal/journal-file.js";
import type { JournalRecovery } from "./journal/journal-file.js";
import { applyMutation } from "./mutations.js";
import type { StoreMutation } from "./mutations.js";
import { NodeTree, restoreNodeTree } from "./node-tree.js";
import { isNodeOperation, planNodeOperation } from "./node-operations.js";
import type { OperationCaller, StoreChange } from "./node-operations.js";
import { StoreAccess, computeAccess } from "./permissions.js";
import type { StorePermissionList } from "./permissions.js";
import { resolveStoreQuotas } from "./quotas.js";
import type { StoreQuotas } from "./quotas.js";
import { formatDomainPath, isSpecialPath, presentPathTo, resolveWatchPath } from "./store-paths.js";
import { TransactionOverlay } from "./transaction-overlay.js";
import { WatchRegistry } from "./watch-registry.js";
import type { StoreWatch } from "./watch-registry.js";
import { decodeArgumentList, decodeSingleArgument, encodeWireText, okReplyPayload } from "./wire-arguments.js";
import { XsMessageType, xsErrorNames, xsPayloadMaxBytes } from "./wire-types.js";
import type { XsErrorName } from "./wire-types.js";

export interface XenStoreOptions {
  /** Directory of the journal and snapshot; without it the store lives in memory only. */
  readonly journalDirectory?: string;
  /** Overrides of Xen's default quotas for unprivileged domains. */
  readonly quotas?: Partial<StoreQuotas>;
  /** A snapshot replaces the journal after this many records (default 1000). */
  readonly snapshotEveryRecords?: number;
  /** fsync every journal record: survives power loss, at a large cost in write rate. */
  readonly flushJournalToDisk?: boolean;
}

/** Arguments of an INTRODUCE request, passed to transports that attach the domain's ring. */
export interface DomainIntroduction {
  readonly domainId: number;
  readonly ringFrame: bigint;
  readonly eventChannelPort: number;
}

export const specialWatchPaths = { introduceDomain: "@introduceDomain", releaseDomain: "@releaseDomain" } as const;

const defaultSnapshotEveryRecords = 1000;
const maximumDomainId = 0xffff;
// Special paths have permissions like nodes; Xen gives them to domain 0 and nobody else.
const specialPathPermissions: StorePermissionList = [{ domainId: 0, access: "n" }];

const errorPayloads = new Map<XsErrorName, Uint8Array>(xsErrorNames.map((name) => [name, encodeWireText(`${name}\0`)]));

interface OpenTransaction {
  readonly id: number;
  readonly overlay: TransactionOverlay;
  readonly mutations: StoreMutation[];
  readonly changes: StoreChange[];
}

type RequestOutcome = { readonly ok: true; readonly payload: Uint8Array } | { readonly ok: false; readonly error: XsErrorName };

export class XenStore {
  private tree: NodeTree;
  private readonly quotas: StoreQuotas;
  private readonly watches = new WatchRegistry<StoreConnectionState>();
  private readonly watchCounts = new Map<number, number>();
  private readonly connections = new Set<StoreConnectionState>();
  private readonly introductionListeners = new Set<(introduction: DomainIntroduction) => void>();
  private readonly releaseListeners = new Set<(domainId: number) => void>();
  private nextTransactionId = 1;
  private closed = false;

  private constructor(
    tree: NodeTree,
    quotas: StoreQuotas,
    private readonly journal: JournalFile | undefined,
    private readonly snapshotEveryRecords: number,
    /** What opening the journal found; undefined for an in-memory store. */
    readonly recovery: JournalRecovery | undefined,
  ) {
    this.tree = tree;
    this.quotas = quotas;
  }

  /**
   * Opens a store, recovering its state from `journalDirectory` when given.
   * Throws StoreJournalError (with a one-line message) when the journal cannot be used.
   */
  static open(options: XenStoreOptions = {}): XenStore {
    const quotas = resolveStoreQuotas(options.quotas);
    const snapshotEveryRecords = Math.max(1, options.snapshotEveryRecords ?? defaultSnapshotEveryRecords);
    if (options.journalDirectory === undefined) return new XenStore(new NodeTree(), quotas, undefined, snapshotEveryRecords, undefined);
    const { journal, recovery } = JournalFile.open(options.journalDirectory, { flushToDisk: options.flushJournalToDisk ?? false });
    const snapshot = recovery.snapshot;
    const tree = snapshot === undefined ? new NodeTree() : restoreNodeTree(snapshot.nodes, snapshot.introducedDomains, snapshot.generation);
    if (tree.read("/") === undefined) {
      journal.close();
      throw new StoreJournalError(`the store snapshot in ${options.journalDirectory} has no root node`);
    }
    for (const record of recovery.records) for (const mutation of record.mutations) applyMutation(tree, mutation);
    return new XenStore(tree, quotas, journal, snapshotEveryRecords, recovery);
  }

  /** The quotas in force for unprivileged domains. */
  get effectiveQuotas(): StoreQuotas {
    return this.quotas;
  }

  openConnection(options: StoreConnectionOptions): StoreConnection {
    if (this.closed) throw new Error("the store is closed");
    const connection = new StoreConnectionState(this, options.domainId, options.privileged, options.sink);
    this.connections.add(connection);
    return connection;
  }

  /** Called when a privileged client introduces a domain (so a transport can attach its ring). */
  onDomainIntroduced(listener: (introduction: DomainIntroduction) => void): () => void {
    this.introductionListeners.add(listener);
    return () => this.introductionListeners.delete(listener);
  }

  /** Called after a domain was released and its nodes removed (so a transport can drop it). */
  onDomainReleased(listener: (domainId: number) => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /** Every node path, parents first: for invariant checks in tests and for diagnostics. */
  listNodePaths(): string[] {
    return [...this.tree.nodes.keys()];
  }

  /** Nodes owned by a domain, as counted for its quota. */
  countNodesOwnedBy(domainId: number): number {
    return this.tree.ownedNodeCount(domainId);
  }

  /** Closes every connection, then flushes and closes the journal. */
  close(): void {
    if (this.closed) return;
    for (const connection of [...this.connections]) connection.close();
    this.journal?.close();
    this.closed = true;
  }

  // The methods below are the connections' access to shared state.

  /** @internal */
  get committedTree(): NodeTree {
    return this.tree;
  }

  /** @internal */
  get activeQuotas(): StoreQuotas {
    return this.quotas;
  }

  /** @internal */
  allocateTransactionId(): number {
    const id = this.nextTransactionId;
    // Transaction ids are u32 and 0 means "none".
    this.nextTransactionId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  /**
   * Journals then applies a batch of mutations and fires the watches of its changes. Throws
   * StoreJournalError, with nothing applied, when the journal cannot take the record.
   * @internal
   */
  commit(mutations: readonly StoreMutation[], changes: readonly StoreChange[]): void {
    if (mutations.length === 0) return;
    this.journal?.append(mutations);
    for (const mutation of mutations) applyMutation(this.tree, mutation);
    if (this.journal !== undefined && this.journal.pendingRecordCount >= this.snapshotEveryRecords) this.writeSnapshot();
    for (const change of changes) this.fireChange(change);
  }

  private writeSnapshot(): void {
    const tree = this.tree;
    this.journal?.writeSnapshot((sequence) => ({
      sequence,
      generation: tree.currentGeneration,
      introducedDomains: [...tree.introducedDomains],
      nodes: [...tree.nodes].map(([path, node]) => ({ path, node })),
    }));
  }

  /** @internal */
  fireChange(change: StoreChange): void {
    const isRemoval = change.removedPermissions !== undefined;
    const permissions = isSpecialPath(change.path)
      ? specialPathPermissions
      : (change.removedPermissions ?? this.tree.read(change.path)?.permissions);
    this.watches.forEachTriggered(change.path, isRemoval, (watch, eventPath) => {
      const owner = watch.owner;
      if (!owner.privileged) {
        if (permissions === undefined) return;
        if ((computeAccess(permissions, owner.domainId, false) & StoreAccess.read) === 0) return;
      }
      owner.deliverWatchEvent(presentPathTo(eventPath, watch.relative, owner.domainId), watch.token);
    });
  }

  /** @internal */
  findWatch(owner: StoreConnectionState, path: string, token: string): StoreWatch<StoreConnectionState> | undefined {
    return this.watches.find(owner, path, token);
  }

  /** @internal */
  addWatch(watch: StoreWatch<StoreConnectionState>): XsErrorName | undefined {
    const owner = watch.owner;
    if (this.watches.find(owner, watch.path, watch.token) !== undefined) return "EEXIST";
    if (!owner.privileged) {
      const count = this.watchCounts.get(owner.domainId) ?? 0;
      if (count >= this.quotas.watchesPerDomain) return "E2BIG";
      this.watchCounts.set(owner.domainId, count + 1);
    }
    this.watches.add(watch);
    return undefined;
  }

  /** @internal */
  removeWatch(watch: StoreWatch<StoreConnectionState>): void {
    this.watches.remove(watch);
    this.adjustWatchCount(watch.owner, -1);
  }

  /** @internal */
  removeAllWatchesOf(owner: StoreConnectionState): void {
    this.adjustWatchCount(owner, -this.watches.removeAllOf(owner));
  }

  private adjustWatchCount(owner: StoreConnectionState, delta: number): void {
    if (owner.privileged || delta === 0) return;
    const count = (this.watchCounts.get(owner.domainId) ?? 0) + delta;
    if (count <= 0) this.watchCounts.delete(owner.domainId);
    else this.watchCounts.set(owner.domainId, count);
  }

  /** @internal */
  forgetConnection(connection: StoreConnectionState): void {
    this.connections.delete(connection);
  }

  /** @internal */
  introduceDomain(introduction: DomainIntroduction): void {
    const alreadyIntroduced = this.tree.introducedDomains.has(introduction.domainId);
    if (!alreadyIntroduced) this.commit([{ kind: "introduce-domain", domainId: introduction.domainId }], []);
    for (const listener of this.introductionListeners) listener(introduction);
    // Re-introducing a domain (to rebind its event channel) does not announce it again.
    if (!alreadyIntroduced) this.fireChange({ path: specialWatchPaths.introduceDomain });
  }

  /** @internal */
  releaseDomain(domainId: number): void {
    const release = planDomainRelease(this.tree, domainId);
    this.commit(release.mutations, release.changes);
    for (const connection of [...this.connections]) {
      if (connection.domainId === domainId && !connection.privileged) connection.close();
    }
    for (const listener of this.releaseListeners) listener(domainId);
    this.fireChange({ path: specialWatchPaths.releaseDomain });
  }
}

/** One connection's state: identity, open transactions, and where its watch events go. */
class StoreConnectionState implements StoreConnection, OperationCaller {
  private readonly transactions = new Map<number, OpenTransaction>();
  private closed = false;

  constructor(
    private readonly store: XenStore,
    readonly domainId: number,
    readonly privileged: boolean,
    private readonly sink: StoreConnectionSink,
  ) {}

  handle(request: StoreMessage): StoreMessage {
    let outcome: RequestOutcome;
    try {
      outcome = this.execute(request);
    } catch (error) {
      // A journal that cannot be written fails the request; nothing was applied.
      if (!(error instanceof StoreJournalError)) throw error;
      outcome = { ok: false, error: "EIO" };
    }
    if (outcome.ok) {
      return { type: request.type, requestId: request.requestId, transactionId: request.transactionId, payload: outcome.payload };
    }
    return {
      type: XsMessageType.error,
      requestId: request.requestId,
      transactionId: request.transactionId,
      payload: errorPayloads.get(outcome.error)!,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transactions.clear();
    this.store.removeAllWatchesOf(this);
    this.store.forgetConnection(this);
  }

  /** Sends one watch event to this connection's sink. */
  deliverWatchEvent(path: string, token: string): void {
    if (this.closed) return;
    this.sink.deliver({ type: XsMessageType.watchEvent, requestId: 0, transactionId: 0, payload: encodeWireText(`${path}\0${token}\0`) });
  }

  private execute(request: StoreMessage): RequestOutcome {
    if (this.closed) return { ok: false, error: "EINVAL" };
    if (request.payload.length > xsPayloadMaxBytes) return { ok: false, error: "E2BIG" };
    if (isNodeOperation(request.type)) return this.executeNodeOperation(request);
    switch (request.type) {
      case XsMessageType.watch:
        return this.executeWatch(request.payload);
      case XsMessageType.unwatch:
        return this.executeUnwatch(request.payload);
      case XsMessageType.transactionStart:
        return this.executeTransactionStart(request);
      case XsMessageType.transactionEnd:
        return this.executeTransactionEnd(request);
      case XsMessageType.getDomainPath:
        return this.executeGetDomainPath(request.payload);
      case XsMessageType.introduce:
        return this.executeIntroduce(request.payload);
      case XsMessageType.release:
        return this.executeRelease(request.payload);
      case XsMessageType.isDomainIntroduced:
        return this.executeIsDomainIntroduced(request.payload);
      case XsMessageType.resetWatches:
        this.store.removeAllWatchesOf(this);
        this.transactions.clear();
        return { ok: true, payload: okReplyPayload };
      default:
        // CONTROL, RESUME, SET_TARGET, features, quotas and anything unknown: not supported.
        return { ok: false, error: "ENOSYS" };
    }
  }

  private executeNodeOperation(request: StoreMessage): RequestOutcome {
    const quotas = this.store.activeQuotas;
    if (request.transactionId !== 0) {
      const transaction = this.transactions.get(request.transactionId);
      if (transaction === undefined) return { ok: false, error: "ENOENT" };
      const plan = planNodeOperation(transaction.overlay, this, quotas, request.type, request.payload);
      if (!plan.ok) return plan;
      for (const mutation of plan.mutations) {
        applyMutation(transaction.overlay, mutation);
        transaction.mutations.push(mutation);
      }
      for (const change of plan.changes) transaction.changes.push(change);
      return { ok: true, payload: plan.reply };
    }
    const plan = planNodeOperation(this.store.committedTree, this, quotas, request.type, request.payload);
    if (!plan.ok) return plan;
    this.store.commit(plan.mutations, plan.changes);
    return { ok: true, payload: plan.reply };
  }

  private executeWatch(payload: Uint8Array): RequestOutcome {
    const watchArguments = decodeArgumentList(payload);
    if (watchArguments === undefined || watchArguments.length !== 2) return { ok: false, error: "EINVAL" };
    const [rawPath, token] = watchArguments as [string, string];
    const resolved = resolveWatchPath(rawPath, this.domainId);
    if (!resolved.ok) return resolved;
    const error = this.store.addWatch({ owner: this, path: resolved.path.absolute, token, relative: resolved.path.relative });
    if (error !== undefined) return { ok: false, error };
    // Xen fires every new watch once, so a client need not read the state separately first.
    this.deliverWatchEvent(rawPath, token);
    return { ok: true, payload: okReplyPayload };
  }

  private executeUnwatch(payload: Uint8Array): RequestOutcome {
    const watchArguments = decodeArgumentList(payload);
    if (watchArguments === undefined || watchArguments.length !== 2) return { ok: false, error: "EINVAL" };
    const [rawPath, token] = watchArguments as [string, string];
    const resolved = resolveWatchPath(rawPath, this.domainId);
    if (!resolved.ok) return resolved;
    const watch = this.store.findWatch(this, resolved.path.absolute, token);
    if (watch === undefined) return { ok: false, error: "ENOENT" };
    this.store.removeWatch(watch);
    return { ok: true, payload: okReplyPayload };
  }

  private executeTransactionStart(request: StoreMessage): RequestOutcome {
    if (request.transactionId !== 0) return { ok: false, error: "EBUSY" };
    if (!this.privileged && this.transactions.size >= this.store.activeQuotas.transactionsPerConnection) {
      return { ok: false, error: "ENOSPC" };
    }
    const id = this.store.allocateTransactionId();
    this.transactions.set(id, { id, overlay: new TransactionOverlay(this.store.committedTree), mutations: [], changes: [] });
    return { ok: true, payload: encodeWireText(`${id}\0`) };
  }

  private executeTransactionEnd(request: StoreMessage): RequestOutcome {
    const transaction = this.transactions.get(request.transactionId);
    if (transaction === undefined) return { ok: false, error: "ENOENT" };
    const decision = decodeSingleArgument(request.payload);
    if (decision !== "T" && decision !== "F") return { ok: false, error: "EINVAL" };
    this.transactions.delete(transaction.id);
    if (decision === "F") return { ok: true, payload: okReplyPayload };
    if (!transaction.overlay.isStillConsistent()) return { ok: false, error: "EAGAIN" };
    this.store.commit(transaction.mutations, transaction.changes);
    return { ok: true, payload: okReplyPayload };
  }

  private executeGetDomainPath(payload: Uint8Array): RequestOutcome {
    const domainId = parseDomainId(decodeSingleArgument(payload));
    if (domainId === undefined) return { ok: false, error: "EINVAL" };
    return { ok: true, payload: encodeWireText(`${formatDomainPath(domainId)}\0`) };
  }

  private executeIntroduce(payload: Uint8Array): RequestOutcome {
    if (!this.privileged) return { ok: false, error: "EACCES" };
    const introduceArguments = decodeArgumentList(payload);
    if (introduceArguments === undefined || introduceArguments.length < 3) return { ok: false, error: "EINVAL" };
    const domainId = parseDomainId(introduceArguments[0]);
    const rawFrame = introduceArguments[1]!;
    const eventChannelPort = parseDomainId(introduceArguments[2]);
    if (domainId === undefined || eventChannelPort === undefined || !/^[0-9]{1,20}$/.test(rawFrame)) return { ok: false, error: "EINVAL" };
    if (domainId === 0) return { ok: false, error: "EINVAL" };
    this.store.introduceDomain({ domainId, ringFrame: BigInt(rawFrame), eventChannelPort });
    return { ok: true, payload: okReplyPayload };
  }

  private executeRelease(payload: Uint8Array): RequestOutcome {
    if (!this.privileged) return { ok: false, error: "EACCES" };
    const domainId = parseDomainId(decodeSingleArgument(payload));
    if (domainId === undefined || domainId === 0) return { ok: false, error: "EINVAL" };
    if (!this.store.committedTree.introducedDomains.has(domainId)) return { ok: false, error: "ENOENT" };
    this.store.releaseDomain(domainId);
    return { ok: true, payload: okReplyPayload };
  }

  private executeIsDomainIntroduced(payload: Uint8Array): RequestOutcome {
    const domainId = parseDomainId(decodeSingleArgument(payload));
    if (domainId === undefined) return { ok: false, error: "EINVAL" };
    return { ok: true, payload: encodeWireText(this.store.committedTree.introducedDomains.has(domainId) ? "T\0" : "F\0") };
  }
}

function parseDomainId(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= maximumDomainId ? value : undefined;
}
