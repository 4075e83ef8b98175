// xenstore++'s core: the committed tree, connections executing xs_wire requests with Xen's
// semantics (permissions, watches, transactions, quotas, domain lifecycle) and the journal
// that makes every acknowledged change survive a crash. Transports and the in-process client
// both drive it through StoreConnection.handle.

import { StoreControlRegistry } from "./control-commands.js";
import type { StoreConnection, StoreConnectionOptions, StoreMessage } from "./connection.js";
import { StoreConnectionState } from "./connection-state.js";
import type { ConnectionStoreServices, DomainIntroduction } from "./connection-state.js";
import { planDomainRelease } from "./domain-release.js";
import { JournalFile, StoreJournalError } from "./journal/journal-file.js";
import type { JournalRecovery } from "./journal/journal-file.js";
import { applyMutation } from "./mutations.js";
import type { StoreMutation } from "./mutations.js";
import { NodeTree, restoreNodeTree } from "./node-tree.js";
import type { StoreChange } from "./node-operations.js";
import { StoreAccess, computeAccess } from "./permissions.js";
import { resolveStoreQuotas, toEnforcedQuotas } from "./quotas.js";
import type { StoreQuotas } from "./quotas.js";
import { isSpecialPath, presentPathTo } from "./store-paths.js";
import { WatchRegistry } from "./watch-registry.js";
import type { StoreWatch } from "./watch-registry.js";
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
  /** Where the store reports problems it survives, such as a snapshot it could not write. */
  readonly log?: (line: string) => void;
}

/** One executed request as observers (the policer, audit logs) see it. */
export interface HandledStoreRequest {
  readonly domainId: number;
  readonly privileged: boolean;
  readonly request: StoreMessage;
  readonly reply: StoreMessage;
}

export type { DomainIntroduction } from "./connection-state.js";

export const specialWatchPaths = { introduceDomain: "@introduceDomain", releaseDomain: "@releaseDomain" } as const;

const defaultSnapshotEveryRecords = 1000;

export class XenStore implements ConnectionStoreServices {
  private readonly tree: NodeTree;
  private globalQuotas: StoreQuotas;
  private readonly domainQuotas = new Map<number, StoreQuotas>();
  private readonly enforcedQuotaCache = new Map<number, StoreQuotas>();
  private readonly watches = new WatchRegistry<StoreConnectionState>();
  private readonly watchCounts = new Map<number, number>();
  private readonly connections = new Set<StoreConnectionState>();
  private readonly introductionListeners = new Set<(introduction: DomainIntroduction) => XsErrorName | void>();
  private readonly releaseListeners = new Set<(domainId: number) => void>();
  private readonly requestObservers = new Set<(handled: HandledStoreRequest) => void>();
  private nextTransactionId = 1;
  private closed = false;
  /** XS_CONTROL commands served by components hosted in the daemon (the broker). */
  readonly controlCommands = new StoreControlRegistry();
  // After a failed snapshot, the journal keeps growing until this many records before retrying.
  private snapshotRetryThreshold: number;

  private constructor(
    tree: NodeTree,
    quotas: StoreQuotas,
    private readonly journal: JournalFile | undefined,
    private readonly snapshotEveryRecords: number,
    /** What opening the journal found; undefined for an in-memory store. */
    readonly recovery: JournalRecovery | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.snapshotRetryThreshold = snapshotEveryRecords;
    this.tree = tree;
    this.globalQuotas = quotas;
  }

  /**
   * Opens a store, recovering its state from `journalDirectory` when given.
   * Throws StoreJournalError (with a one-line message) when the journal cannot be used.
   */
  static open(options: XenStoreOptions = {}): XenStore {
    const quotas = resolveStoreQuotas(options.quotas);
    const snapshotEveryRecords = Math.max(1, options.snapshotEveryRecords ?? defaultSnapshotEveryRecords);
    const log = options.log ?? (() => undefined);
    if (options.journalDirectory === undefined) return new XenStore(new NodeTree(), quotas, undefined, snapshotEveryRecords, undefined, log);
    const { journal, recovery } = JournalFile.open(options.journalDirectory, { flushToDisk: options.flushJournalToDisk ?? false });
    const snapshot = recovery.snapshot;
    const tree =
      snapshot === undefined
        ? new NodeTree()
        : restoreNodeTree(snapshot.nodes, snapshot.introducedDomains, snapshot.specialPermissions, snapshot.generation);
    if (tree.read("/") === undefined) {
      journal.close();
      throw new StoreJournalError(`the store snapshot in ${options.journalDirectory} has no root node`);
    }
    for (const record of recovery.records) for (const mutation of record.mutations) applyMutation(tree, mutation);
    return new XenStore(tree, quotas, journal, snapshotEveryRecords, recovery, log);
  }

  /** The global quotas: what every unprivileged domain gets unless SET_QUOTA changed its own. */
  get effectiveQuotas(): StoreQuotas {
    return this.globalQuotas;
  }

  /** The quotas of one domain as configured (0 = no limit); transports read "outstanding" here. */
  quotasFor(domainId: number): StoreQuotas {
    return this.domainQuotas.get(domainId) ?? this.globalQuotas;
  }

  openConnection(options: StoreConnectionOptions): StoreConnection {
    if (this.closed) throw new Error("the store is closed");
    const connection = new StoreConnectionState(this, options.domainId, options.privileged, options.sink, options.principal);
    this.connections.add(connection);
    return connection;
  }

  /**
   * Called when a privileged client introduces a domain, before the store records it, so a
   * transport can attach its ring. Returning an error name (say EINVAL for a ring that cannot
   * be mapped) fails the INTRODUCE request and leaves the domain unknown.
   */
  onDomainIntroduced(listener: (introduction: DomainIntroduction) => XsErrorName | void): () => void {
    this.introductionListeners.add(listener);
    return () => this.introductionListeners.delete(listener);
  }

  /** Called after a domain was released and its nodes removed (so a transport can drop it). */
  onDomainReleased(listener: (domainId: number) => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /**
   * Called after every request of every connection with its reply, in execution order: how the
   * policer sees every store operation. Observers must not modify the messages.
   */
  onRequestHandled(observer: (handled: HandledStoreRequest) => void): () => void {
    this.requestObservers.add(observer);
    return () => this.requestObservers.delete(observer);
  }

  /** @internal */
  notifyRequestHandled(connection: StoreConnection, request: StoreMessage, reply: StoreMessage): void {
    if (this.requestObservers.size === 0) return;
    const handled: HandledStoreRequest = { domainId: connection.domainId, privileged: connection.privileged, request, reply };
    for (const observer of this.requestObservers) observer(handled);
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

  /** The limits checked for a domain, with 0 turned into "no limit". @internal */
  enforcedQuotasFor(domainId: number): StoreQuotas {
    let enforced = this.enforcedQuotaCache.get(domainId);
    if (enforced === undefined) {
      enforced = toEnforcedQuotas(this.quotasFor(domainId));
      this.enforcedQuotaCache.set(domainId, enforced);
    }
    return enforced;
  }

  /** Changes one quota, globally (domainId undefined) or for one introduced domain. @internal */
  setQuota(domainId: number | undefined, quota: keyof StoreQuotas, value: number): XsErrorName | undefined {
    if (domainId === undefined) {
      this.globalQuotas = { ...this.globalQuotas, [quota]: value };
    } else {
      if (!this.tree.introducedDomains.has(domainId)) return "ENOENT";
      this.domainQuotas.set(domainId, { ...this.quotasFor(domainId), [quota]: value });
    }
    this.enforcedQuotaCache.clear();
    return undefined;
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
    if (this.journal !== undefined && this.journal.pendingRecordCount >= this.snapshotRetryThreshold) this.writeSnapshot(this.journal);
    for (const change of changes) this.fireChange(change);
  }

  /**
   * Replaces the journal with a snapshot. The change that triggered it is already journaled,
   * so a failure here loses nothing: it is reported, and retried after another interval.
   */
  private writeSnapshot(journal: JournalFile): void {
    const tree = this.tree;
    try {
      journal.writeSnapshot((sequence) => ({
        sequence,
        generation: tree.currentGeneration,
        introducedDomains: [...tree.introducedDomains],
        specialPermissions: [...tree.specialPermissions].map(([path, permissions]) => ({ path, permissions })),
        nodes: [...tree.nodes].map(([path, node]) => ({ path, node })),
      }));
      this.snapshotRetryThreshold = this.snapshotEveryRecords;
    } catch (error) {
      if (!(error instanceof StoreJournalError)) throw error;
      this.snapshotRetryThreshold = journal.pendingRecordCount + this.snapshotEveryRecords;
      this.log(`${error.message}; the journal keeps every change and a snapshot will be retried`);
    }
  }

  /** @internal */
  fireChange(change: StoreChange): void {
    const isRemoval = change.removedPermissions !== undefined;
    const permissions = isSpecialPath(change.path)
      ? this.tree.specialPermissions.get(change.path)
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
      if (count >= this.enforcedQuotasFor(owner.domainId).watchesPerDomain) return "E2BIG";
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
  introduceDomain(introduction: DomainIntroduction): XsErrorName | undefined {
    for (const listener of this.introductionListeners) {
      const error = listener(introduction);
      if (error !== undefined) return error;
    }
    // Re-introducing a domain (to rebind its event channel) does not announce it again.
    if (this.tree.introducedDomains.has(introduction.domainId)) return undefined;
    this.commit([{ kind: "introduce-domain", domainId: introduction.domainId }], []);
    this.fireChange({ path: specialWatchPaths.introduceDomain });
    return undefined;
  }

  /** @internal */
  releaseDomain(domainId: number): void {
    const release = planDomainRelease(this.tree, domainId);
    this.domainQuotas.delete(domainId);
    this.enforcedQuotaCache.delete(domainId);
    this.commit(release.mutations, release.changes);
    for (const connection of [...this.connections]) {
      if (connection.domainId === domainId && !connection.privileged) connection.close();
    }
    for (const listener of this.releaseListeners) listener(domainId);
    this.fireChange({ path: specialWatchPaths.releaseDomain });
  }
}
