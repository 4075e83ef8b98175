// One client's side of the store: its identity, its open transactions and where its watch
// events go, and the execution of each xs_wire request in xenstored's order of checks. The
// shared state (tree, watches, quotas, journal) belongs to XenStore, which a connection reaches
// only through ConnectionStoreServices (so this file does not depend on the store's module).

import type { StoreConnection, StoreConnectionSink, StoreMessage } from "./connection.js";
import { StoreJournalError } from "./journal/journal-file.js";
import type { StoreControlRegistry } from "./control-commands.js";
import { applyMutation } from "./mutations.js";
import type { StoreMutation } from "./mutations.js";
import { isNodeOperation, planNodeOperation } from "./node-operations.js";
import type { OperationCaller, StoreChange } from "./node-operations.js";
import { StoreAccess, computeAccess, formatPermissionList, parsePermissionEntries } from "./permissions.js";
import type { NodeTree } from "./node-tree.js";
import { lookUpQuotaName, storeQuotaNames } from "./quotas.js";
import type { StoreQuotas } from "./quotas.js";
import { formatDomainPath, resolveWatchPath } from "./store-paths.js";
import { TransactionOverlay } from "./transaction-overlay.js";
import type { StoreWatch } from "./watch-registry.js";
import { decodeArgumentList, decodeSingleArgument, encodeWireText, okReplyPayload } from "./wire-arguments.js";
import { XsMessageType, xsErrorNames, xsPayloadMaxBytes } from "./wire-types.js";
import type { XsErrorName } from "./wire-types.js";

const maximumDomainId = 0xffff;

/** Every type a client may send; WATCH_EVENT and ERROR only travel from the store. */
const requestTypes: ReadonlySet<number> = new Set(
  Object.values(XsMessageType).filter((type) => type !== XsMessageType.watchEvent && type !== XsMessageType.error),
);

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


/** Arguments of an INTRODUCE request, passed to transports that attach the domain's ring. */
export interface DomainIntroduction {
  readonly domainId: number;
  readonly ringFrame: bigint;
  readonly eventChannelPort: number;
}

/** What a connection needs of the store's shared state; XenStore implements it. */
export interface ConnectionStoreServices {
  readonly committedTree: NodeTree;
  readonly controlCommands: StoreControlRegistry;
  readonly effectiveQuotas: StoreQuotas;
  allocateTransactionId(): number;
  commit(mutations: readonly StoreMutation[], changes: readonly StoreChange[]): void;
  quotasFor(domainId: number): StoreQuotas;
  enforcedQuotasFor(domainId: number): StoreQuotas;
  setQuota(domainId: number | undefined, quota: keyof StoreQuotas, value: number): XsErrorName | undefined;
  addWatch(watch: StoreWatch<StoreConnectionState>): XsErrorName | undefined;
  findWatch(owner: StoreConnectionState, path: string, token: string): StoreWatch<StoreConnectionState> | undefined;
  removeWatch(watch: StoreWatch<StoreConnectionState>): void;
  removeAllWatchesOf(owner: StoreConnectionState): void;
  forgetConnection(connection: StoreConnectionState): void;
  introduceDomain(introduction: DomainIntroduction): XsErrorName | undefined;
  releaseDomain(domainId: number): void;
  notifyRequestHandled(connection: StoreConnection, request: StoreMessage, reply: StoreMessage): void;
}

/** One connection's state: identity, open transactions, and where its watch events go. */
export class StoreConnectionState implements StoreConnection, OperationCaller {
  private readonly transactions = new Map<number, OpenTransaction>();
  private closed = false;

  constructor(
    private readonly store: ConnectionStoreServices,
    readonly domainId: number,
    readonly privileged: boolean,
    private readonly sink: StoreConnectionSink,
    private readonly principal: string | undefined = undefined,
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
    // The order of these checks is xenstored's: unknown type, privilege, transaction id.
    if (!requestTypes.has(request.type)) return { ok: false, error: "ENOSYS" };
    if (!this.privileged && privilegedOnlyTypes.has(request.type)) return { ok: false, error: "EACCES" };
    if (request.transactionId !== 0 && request.type !== XsMessageType.watch && request.type !== XsMessageType.unwatch) {
      if (!this.transactions.has(request.transactionId)) return { ok: false, error: "ENOENT" };
      if (request.type === XsMessageType.transactionStart) return { ok: false, error: "EBUSY" };
    }
    if (isSpecialPermissionRequest(request)) return this.executeSpecialPermissions(request);
    if (isNodeOperation(request.type)) return this.executeNodeOperation(request);
    switch (request.type) {
      case XsMessageType.watch:
        return this.executeWatch(request.payload);
      case XsMessageType.unwatch:
        return this.executeUnwatch(request.payload);
      case XsMessageType.transactionStart:
        return this.executeTransactionStart();
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
      case XsMessageType.control:
        return this.executeControl(request);
      case XsMessageType.resetWatches:
        this.store.removeAllWatchesOf(this);
        this.transactions.clear();
        return { ok: true, payload: okReplyPayload };
      default:
        // RESUME, SET_TARGET, features and anything unknown: not supported.
        return { ok: false, error: "ENOSYS" };
    }
  }

  /**
   * XS_CONTROL: the first argument is the command word, served by a handler a hosted component
   * registered; like xenstored, an unknown word is EINVAL. Never transactional.
   */
  private executeControl(request: StoreMessage): RequestOutcome {
    if (request.transactionId !== 0) return { ok: false, error: "EINVAL" };
    const controlArguments = decodeArgumentList(request.payload);
    const word = controlArguments?.[0];
    if (controlArguments === undefined || word === undefined || word === "") return { ok: false, error: "EINVAL" };
    const handler = this.store.controlCommands.lookUp(word);
    if (handler === undefined) return { ok: false, error: "EINVAL" };
    const outcome = handler.execute({ domainId: this.domainId, privileged: this.privileged, principal: this.principal }, controlArguments.slice(1));
    if (!outcome.ok) return outcome;
    const payload = encodeWireText(`${outcome.reply}\0`);
    return payload.length > xsPayloadMaxBytes ? { ok: false, error: "E2BIG" } : { ok: true, payload };
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
      return plan;
    }
    const plan = planNodeOperation(this.store.committedTree, this, quotas, request.type, request.payload);
    if (!plan.ok) return plan;
    this.store.commit(plan.mutations, plan.changes);
    // The plan carries the reply payload already: no second object per request.
    return plan;
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

  private executeTransactionStart(): RequestOutcome {
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
    // Each transaction checked the node quota against the state it started from; several
    // committing in turn must not add up to more than the quota allows.
    if (!this.privileged) {
      const added = transaction.overlay.ownedNodeDelta(this.domainId);
      const limit = this.store.enforcedQuotasFor(this.domainId).nodesPerDomain;
      if (added > 0 && this.store.committedTree.ownedNodeCount(this.domainId) + added > limit) return { ok: false, error: "ENOSPC" };
    }
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
