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
import { StoreAccess, computeAccess, formatPermissionList, parsePermissionEntries } from "./permissions.js";
import { lookUpQuotaName, resolveStoreQuotas, storeQuotaNames, toEnforcedQuotas } from "./quotas.js";
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

/** Arguments of an INTRODUCE request, passed to transports that attach the domain's ring. */
export interface DomainIntroduction {
  readonly domainId: number;
  readonly ringFrame: bigint;
  readonly eventChannelPort: number;
}

export const specialWatchPaths = { introduceDomain: "@introduceDomain", releaseDomain: "@releaseDomain" } as const;

const defaultSnapshotEveryRecords = 1000;
const maximumDomainId = 0xffff;

/** Request types xenstored reserves to privileged connections (XS_FLAG_PRIV). */
const privilegedOnlyTypes: ReadonlySet<number> = new Set([
  XsMessageType.control,
  XsMessageType.introduce,
  XsMessageType.release,
  XsMessageType.isDomainIntroduced,
  XsMessageType.resume,
  XsMessageType.setTarget,
  XsMessageType.setFeature,
  XsMessageType.getQuota,
  XsMessageType.setQuota,
]);

const errorPayloads = new Map<XsErrorName, Uint8Array>(xsErrorNames.map((name) => [name, encodeWireText(`${name}\0`)]));

interface OpenTransaction {
  readonly id: number;
  readonly overlay: TransactionOverlay;
  readonly mutations: StoreMutation[];
  readonly changes: StoreChange[];
}

type RequestOutcome = { readonly ok: true; readonly payload: Uint8Array } | { readonly ok: false; readonly error: XsErrorName };

export class XenStore {
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
    const connection = new StoreConnectionState(this, options.domainId, options.privileged, options.sink);
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
    const reply: StoreMessage = outcome.ok
      ? { type: request.type, requestId: request.requestId, transactionId: request.transactionId, payload: outcome.payload }
      : { type: XsMessageType.error, requestId: request.requestId, transactionId: request.transactionId, payload: errorPayloads.get(outcome.error)! };
    this.store.notifyRequestHandled(this, request, reply);
    return reply;
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
    // Like xenstored, refuse privileged-only types to unprivileged callers before anything else.
    if (!this.privileged && privilegedOnlyTypes.has(request.type)) return { ok: false, error: "EACCES" };
    if (isSpecialPermissionRequest(request)) return this.executeSpecialPermissions(request);
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
      case XsMessageType.getQuota:
        return this.executeGetQuota(request.payload);
      case XsMessageType.setQuota:
        return this.executeSetQuota(request.payload);
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
    const quotas = this.store.enforcedQuotasFor(this.domainId);
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

  /**
   * GET_PERMS and SET_PERMS on @introduceDomain / @releaseDomain: like a node owned by domain 0,
   * so a toolstack can let a driver domain see domains come and go. Never transactional.
   */
  private executeSpecialPermissions(request: StoreMessage): RequestOutcome {
    const permissionArguments = decodeArgumentList(request.payload);
    if (permissionArguments === undefined || permissionArguments.length === 0) return { ok: false, error: "EINVAL" };
    const path = permissionArguments[0]!;
    const current = this.store.committedTree.specialPermissions.get(path);
    if (current === undefined) return { ok: false, error: "EINVAL" };
    const access = computeAccess(current, this.domainId, this.privileged);
    if (request.type === XsMessageType.getPerms) {
      if (permissionArguments.length !== 1) return { ok: false, error: "EINVAL" };
      if ((access & StoreAccess.read) === 0) return { ok: false, error: "EACCES" };
      return { ok: true, payload: encodeWireText(formatPermissionList(current)) };
    }
    const parsed = parsePermissionEntries(permissionArguments.slice(1));
    if (!parsed.ok) return parsed;
    if (!this.privileged && parsed.permissions.length > this.store.enforcedQuotasFor(this.domainId).permissionsPerNode) {
      return { ok: false, error: "ENOSPC" };
    }
    const required = StoreAccess.write | StoreAccess.owner;
    if ((access & required) !== required) return { ok: false, error: "EACCES" };
    if (!this.privileged && parsed.permissions[0]!.domainId !== current[0]?.domainId) return { ok: false, error: "EPERM" };
    this.store.commit([{ kind: "set-permissions", path, permissions: parsed.permissions }], []);
    return { ok: true, payload: okReplyPayload };
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
    if (!this.privileged && this.transactions.size >= this.store.enforcedQuotasFor(this.domainId).transactionsPerConnection) {
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
    const introduceArguments = decodeArgumentList(payload);
    if (introduceArguments === undefined || introduceArguments.length < 3) return { ok: false, error: "EINVAL" };
    const domainId = parseDomainId(introduceArguments[0]);
    const rawFrame = introduceArguments[1]!;
    const eventChannelPort = parseDomainId(introduceArguments[2]);
    if (domainId === undefined || eventChannelPort === undefined || !/^[0-9]{1,20}$/.test(rawFrame)) return { ok: false, error: "EINVAL" };
    if (domainId === 0) return { ok: false, error: "EINVAL" };
    const error = this.store.introduceDomain({ domainId, ringFrame: BigInt(rawFrame), eventChannelPort });
    return error === undefined ? { ok: true, payload: okReplyPayload } : { ok: false, error };
  }

  private executeRelease(payload: Uint8Array): RequestOutcome {
    const domainId = parseDomainId(decodeSingleArgument(payload));
    if (domainId === undefined || domainId === 0) return { ok: false, error: "EINVAL" };
    if (!this.store.committedTree.introducedDomains.has(domainId)) return { ok: false, error: "ENOENT" };
    this.store.releaseDomain(domainId);
    return { ok: true, payload: okReplyPayload };
  }

  /** GET_QUOTA: no argument lists the quota names; `quota` or `domid\0quota` reads one value. */
  private executeGetQuota(payload: Uint8Array): RequestOutcome {
    const quotaArguments = decodeArgumentList(payload);
    if (quotaArguments === undefined || quotaArguments.length > 2) return { ok: false, error: "EINVAL" };
    if (quotaArguments.length === 0 || (quotaArguments.length === 1 && quotaArguments[0] === "")) {
      return { ok: true, payload: encodeWireText(`${Object.keys(storeQuotaNames).join(" ")}\0`) };
    }
    const domainId = quotaArguments.length === 2 ? parseDomainId(quotaArguments[0]) : undefined;
    if (quotaArguments.length === 2 && domainId === undefined) return { ok: false, error: "EINVAL" };
    const quota = lookUpQuotaName(quotaArguments[quotaArguments.length - 1]!);
    if (quota === undefined) return { ok: false, error: "EINVAL" };
    if (domainId !== undefined && !this.store.committedTree.introducedDomains.has(domainId)) return { ok: false, error: "ENOENT" };
    const quotas = domainId === undefined ? this.store.effectiveQuotas : this.store.quotasFor(domainId);
    return { ok: true, payload: encodeWireText(`${quotas[quota]}\0`) };
  }

  /** SET_QUOTA: `quota\0value` changes the global value, `domid\0quota\0value` one domain's. */
  private executeSetQuota(payload: Uint8Array): RequestOutcome {
    const quotaArguments = decodeArgumentList(payload);
    if (quotaArguments === undefined || quotaArguments.length < 2 || quotaArguments.length > 3) return { ok: false, error: "EINVAL" };
    const domainId = quotaArguments.length === 3 ? parseDomainId(quotaArguments[0]) : undefined;
    if (quotaArguments.length === 3 && domainId === undefined) return { ok: false, error: "EINVAL" };
    const quota = lookUpQuotaName(quotaArguments[quotaArguments.length - 2]!);
    const rawValue = quotaArguments[quotaArguments.length - 1]!;
    if (quota === undefined || !/^[0-9]{1,9}$/.test(rawValue)) return { ok: false, error: "EINVAL" };
    const error = this.store.setQuota(domainId, quota, Number(rawValue));
    return error === undefined ? { ok: true, payload: okReplyPayload } : { ok: false, error };
  }

  private executeIsDomainIntroduced(payload: Uint8Array): RequestOutcome {
    const domainId = parseDomainId(decodeSingleArgument(payload));
    if (domainId === undefined) return { ok: false, error: "EINVAL" };
    return { ok: true, payload: encodeWireText(this.store.committedTree.introducedDomains.has(domainId) ? "T\0" : "F\0") };
  }
}

/** GET_PERMS or SET_PERMS whose path (the first argument) is a special '@' path. */
function isSpecialPermissionRequest(request: StoreMessage): boolean {
  if (request.type !== XsMessageType.getPerms && request.type !== XsMessageType.setPerms) return false;
  return request.payload.length > 0 && request.payload[0] === 0x40;
}

function parseDomainId(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= maximumDomainId ? value : undefined;
}
