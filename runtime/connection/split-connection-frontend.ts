// The frontend end of a split-driver connection: runs the XenBus handshake through the store,
// owns the shared ring (granted pages, event channel), sends requests encoded by the caller
// and resolves their promises by response id, and survives a peer reset by re-issuing (or
// failing) what was in flight. Protocol knowledge comes only from the description and callbacks.

import type { DomainContext } from "../execution/index.js";
import { SharedRingFrontend, computeSharedRingEntryCount, describeRingStatus, isRingFault } from "../ring/index.js";
import { findConnectionDescriptionProblem, readConnectionId, type SplitConnectionDescription } from "./connection-description.js";
import { ConnectionRequestFailed, type ConnectionProblem, type ConnectionProblemListener } from "./connection-problem.js";
import type { ConnectionStore } from "./connection-store.js";
import { RequestCorrelationTable } from "./request-correlation-table.js";
import { XenbusState, isXenbusClosingOrClosed, parseXenbusState } from "./xenbus-state.js";

/** Reads keys of the peer's store directory by relative name. */
export type PeerKeyReader = (key: string) => Promise<string | undefined>;

/** What the frontend decides once the backend has published its features. */
export interface FrontendTransportChoice {
  readonly ringPageOrder: number;
  /** Extra keys written in the transport transaction (e.g. `protocol`). */
  readonly keys: Readonly<Record<string, string>>;
  /**
   * Set when this end must not publish its keys (one breaks a store key clause of the spec):
   * nothing is written, the frontend goes Closing and `connect()` rejects with this problem.
   */
  readonly refusal?: ConnectionProblem;
}

export interface SplitConnectionFrontendOptions<TResponse> {
  readonly description: SplitConnectionDescription;
  readonly store: ConnectionStore;
  /** Absolute store directories of this end and of the backend. */
  readonly frontendPath: string;
  readonly backendPath: string;
  readonly backendDomainId: number;
  /** Called when the backend is in InitWait: choose the ring size and the extra keys. */
  chooseTransport(backend: PeerKeyReader): Promise<FrontendTransportChoice>;
  /** Called when the backend is Connected, before this end goes Connected (read device properties). */
  onBackendConnected?(backend: PeerKeyReader): Promise<void>;
  /** Decodes a response from the private copy (never from the shared slot). */
  decodeResponse(privateCopy: Uint8Array): TResponse;
  /** After the backend resets: re-issue outstanding requests once reconnected (default) or fail them. */
  readonly inFlightAfterReset?: "reissue" | "fail";
  readonly onProblem?: ConnectionProblemListener;
}

type FrontendPhase = "stopped" | "waiting-for-backend" | "initialised" | "connected" | "waiting-for-backend-reset" | "closing" | "closed";

interface FrontendTransport {
  readonly firstFrame: number;
  readonly pageCount: number;
  readonly grantReferences: readonly number[];
  readonly port: number;
  readonly ring: SharedRingFrontend;
  readonly entries: number;
}

export class SplitConnectionFrontend<TResponse> {
  private phase: FrontendPhase = "stopped";
  private transport: FrontendTransport | undefined;
  private table: RequestCorrelationTable<TResponse> | undefined;
  private readonly responseCopy: Uint8Array;
  private session = 0;
  private abandoned = false;
  private unwatchBackendState: (() => void) | undefined;
  private stepChain: Promise<void> = Promise.resolve();
  private connectedWaiters: Array<{ resolve: () => void; reject: (reason: Error) => void }> = [];
  private spaceWaiters: Array<() => void> = [];
  private closeWaiters: Array<() => void> = [];
  private readonly inFlightAfterReset: "reissue" | "fail";
  private notificationsSent = 0;
  private connectCount = 0;

  constructor(private readonly context: DomainContext, private readonly options: SplitConnectionFrontendOptions<TResponse>) {
    const problem = findConnectionDescriptionProblem(options.description);
    if (problem !== undefined) throw new RangeError(`bad connection description: ${problem}`);
    this.responseCopy = new Uint8Array(options.description.slotBytes);
    this.inFlightAfterReset = options.inFlightAfterReset ?? "reissue";
  }

  get currentPhase(): FrontendPhase {
    return this.phase;
  }

  /** Notifications this end sent to the backend (suppressed ones are not counted). */
  get notificationCount(): number {
    return this.notificationsSent;
  }

  /** How many times the connection reached Connected. */
  get connectionCount(): number {
    return this.connectCount;
  }

  get outstandingRequestCount(): number {
    return this.table?.outstandingCount ?? 0;
  }

  /** Starts the handshake; resolves once Connected (rejects if closed first). */
  async connect(): Promise<void> {
    if (this.phase === "stopped" || this.phase === "closed") {
      this.phase = "waiting-for-backend";
      const written = await this.options.store.write(`${this.options.frontendPath}/state`, String(XenbusState.initialising));
      if (!written.ok) throw new ConnectionRequestFailed(this.storeProblem("state", written.error));
      if (this.unwatchBackendState === undefined) {
        this.unwatchBackendState = await this.options.store.watch(`${this.options.backendPath}/state`, () => this.scheduleStep());
      }
    }
    if (this.phase === "connected") return;
    return new Promise<void>((resolve, reject) => this.connectedWaiters.push({ resolve, reject }));
  }

  /**
   * Sends one request: `encode(slot, id)` writes the whole request (with `id` at the
   * description's offset) into a zeroed private slot image, which is copied to the ring.
   */
  async request(encode: (slot: Uint8Array, id: number) => void): Promise<TResponse> {
    for (;;) {
      if (this.phase === "closing" || this.phase === "closed" || this.phase === "stopped") {
        throw new ConnectionRequestFailed({ code: "connection-closed", message: "the connection is closed" });
      }
      const table = this.table;
      if (this.phase === "connected" && table !== undefined && table.outstandingCount < table.capacity) {
        return this.issue(table, encode);
      }
      await this.waitForSpaceOrConnection();
    }
  }

  /** Orderly teardown: Closing, wait for the backend to let go, free the ring, Closed. */
  async close(): Promise<void> {
    if (this.phase === "stopped" || this.phase === "closed") return;
    this.phase = "closing";
    await this.options.store.write(`${this.options.frontendPath}/state`, String(XenbusState.closing));
    await new Promise<void>((resolve) => {
      this.closeWaiters.push(resolve);
      this.scheduleStep();
    });
  }

  private issue(table: RequestCorrelationTable<TResponse>, encode: (slot: Uint8Array, id: number) => void): Promise<TResponse> {
    return new Promise<TResponse>((resolve, reject) => {
      const entry = table.allocate({ resolve, reject });
      const image = table.requestView(entry);
      image.fill(0);
      encode(image, table.idOf(entry));
      this.pushImage(image);
    });
  }

  private pushImage(image: Uint8Array): void {
    const transport = this.transport;
    if (transport === undefined) return;
    // The table never holds more entries than the ring, so a slot is always free here.
    transport.ring.produceRequest(image);
    if (transport.ring.pushRequests()) {
      this.context.notify(transport.port);
      this.notificationsSent++;
    }
  }

  private waitForSpaceOrConnection(): Promise<void> {
    return new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
  }

  private wakeSpaceWaiters(): void {
    if (this.spaceWaiters.length === 0) return;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const wake of waiters) wake();
  }

  private scheduleStep(): void {
    this.stepChain = this.stepChain.then(() => this.step()).catch((error: unknown) => {
      this.report({ code: "connection-store-failed", message: error instanceof Error ? error.message : String(error) });
    });
  }

  private async readBackendState(): Promise<XenbusState> {
    return parseXenbusState(await this.options.store.read(`${this.options.backendPath}/state`));
  }

  /** One pass of the state machine, driven by the backend's state; loops while it moves. */
  private async step(): Promise<void> {
    for (;;) {
      if (this.abandoned) return;
      const backendState = await this.readBackendState();
      const moved = await this.advance(backendState);
      if (!moved) return;
    }
  }

  /**
   * Stops at once, with no further hypercall or store write: what happens to this code when its
   * domain is reset or destroyed underneath it (the toolstack or policer cleans up instead).
   */
  abandon(): void {
    this.abandoned = true;
    this.session++;
    this.unwatchBackendState?.();
    this.unwatchBackendState = undefined;
  }

  private async advance(backendState: XenbusState): Promise<boolean> {
    switch (this.phase) {
      case "stopped":
      case "closed":
        return false;
      case "waiting-for-backend":
        if (backendState === XenbusState.initWait || backendState === XenbusState.initialised || backendState === XenbusState.connected) {
          return this.setUpTransport();
        }
        return false;
      case "initialised":
        if (backendState === XenbusState.connected) return this.becomeConnected();
        if (isXenbusClosingOrClosed(backendState)) return this.disconnectAfterBackendLeft();
        return false;
      case "connected":
        if (isXenbusClosingOrClosed(backendState) || backendState === XenbusState.initialising || backendState === XenbusState.initWait) {
          return this.disconnectAfterBackendLeft();
        }
        return false;
      case "waiting-for-backend-reset":
        // Reconnect once the backend has finished closing (Closed) or was restarted (Initialising/InitWait).
        if (backendState === XenbusState.closed || backendState === XenbusState.initialising || backendState === XenbusState.initWait || backendState === XenbusState.unknown) {
          this.phase = "waiting-for-backend";
          await this.writeOwnState(XenbusState.initialising);
          return true;
        }
        return false;
      case "closing":
        if (isXenbusClosingOrClosed(backendState) || backendState === XenbusState.unknown) {
          await this.tearDownTransport();
          this.phase = "closed";
          await this.writeOwnState(XenbusState.closed);
          this.unwatchBackendState?.();
          this.unwatchBackendState = undefined;
          this.failAllOutstanding({ code: "connection-closed", message: "the connection was closed" });
          this.rejectConnectedWaiters({ code: "connection-closed", message: "the connection was closed before it was established" });
          this.wakeSpaceWaiters();
          const waiters = this.closeWaiters;
          this.closeWaiters = [];
          for (const wake of waiters) wake();
        }
        return false;
    }
  }

  private async setUpTransport(): Promise<boolean> {
    const { description, store, frontendPath, backendDomainId } = this.options;
    const readBackend: PeerKeyReader = (key) => store.read(`${this.options.backendPath}/${key}`);
    const choice = await this.options.chooseTransport(readBackend);
    if (choice.refusal !== undefined) {
      this.report(choice.refusal);
      this.phase = "closing";
      await this.writeOwnState(XenbusState.closing);
      this.rejectConnectedWaiters(choice.refusal);
      return false;
    }
    const order = choice.ringPageOrder;
    if (!Number.isInteger(order) || order < 0 || order > description.maximumRingPageOrder) {
      this.report({ code: "connection-bad-peer-key", message: `ring page order ${order} is outside 0..${description.maximumRingPageOrder}` });
      return false;
    }
    const pageCount = 1 << order;
    const hypercalls = this.context.hypercalls;
    const firstFrame = await hypercalls.allocatePages(pageCount);
    if (firstFrame === undefined) {
      this.report({ code: "connection-grant-failed", message: `no ${pageCount} contiguous free pages for the ring` });
      return false;
    }
    const ringMemory = this.context.memory.subarray(firstFrame * 4096, (firstFrame + pageCount) * 4096);
    const ring = SharedRingFrontend.initialize(ringMemory, description.slotBytes);
    const grantReferences: number[] = [];
    for (let page = 0; page < pageCount; page++) {
      const granted = await hypercalls.grantAccess(backendDomainId, firstFrame + page, false);
      if (!granted.ok) {
        this.report({ code: "connection-grant-failed", message: `granting ring page ${page}: ${granted.reason}` });
        for (const reference of grantReferences) await hypercalls.endAccess(reference);
        await hypercalls.freePages(firstFrame, pageCount);
        return false;
      }
      grantReferences.push(granted.reference);
    }
    const allocated = await hypercalls.allocateUnboundPort(backendDomainId);
    if (!allocated.ok) {
      this.report({ code: "connection-event-channel-failed", message: `allocating the event channel: ${allocated.reason}` });
      for (const reference of grantReferences) await hypercalls.endAccess(reference);
      await hypercalls.freePages(firstFrame, pageCount);
      return false;
    }
    const entries = computeSharedRingEntryCount(ringMemory.byteLength, description.slotBytes);
    this.transport = { firstFrame, pageCount, grantReferences, port: allocated.port, ring, entries };
    if (this.table === undefined || this.table.capacity !== entries) {
      this.reconcileTableWithRing(entries);
    }
    const keys: Array<readonly [string, string]> = [];
    if (order === 0) {
      keys.push([`${frontendPath}/${description.ringReferenceKey}`, String(grantReferences[0])]);
    } else {
      keys.push([`${frontendPath}/${description.ringPageOrderKey}`, String(order)]);
      grantReferences.forEach((reference, page) => keys.push([`${frontendPath}/${description.ringReferenceKey}${page}`, String(reference)]));
    }
    keys.push([`${frontendPath}/${description.eventChannelKey}`, String(allocated.port)]);
    for (const [key, value] of Object.entries(choice.keys)) keys.push([`${frontendPath}/${key}`, value]);
    const written = await store.writeAll(keys);
    if (!written.ok) {
      this.report(this.storeProblem("transport keys", written.error));
      await this.tearDownTransport();
      return false;
    }
    this.phase = "initialised";
    await this.writeOwnState(XenbusState.initialised);
    return true;
  }

  /**
   * A new ring may have a different size than the old one (another page order): requests still
   * outstanding move to a table of the new size when they fit, and fail otherwise.
   */
  private reconcileTableWithRing(entries: number): void {
    const previous = this.table;
    const next = new RequestCorrelationTable<TResponse>(entries, this.options.description.slotBytes, this.options.description.idBytes);
    this.table = next;
    if (previous === undefined) return;
    for (const entry of previous.listOutstandingInIssueOrder()) {
      previous.fail(entry, new ConnectionRequestFailed({ code: "connection-peer-reset", message: "the ring was re-created with another size after a reset" }));
    }
  }

  private async becomeConnected(): Promise<boolean> {
    const readBackend: PeerKeyReader = (key) => this.options.store.read(`${this.options.backendPath}/${key}`);
    await this.options.onBackendConnected?.(readBackend);
    this.phase = "connected";
    this.connectCount++;
    const session = ++this.session;
    await this.writeOwnState(XenbusState.connected);
    this.reissueOutstanding();
    void this.consumeResponses(session);
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const waiter of waiters) waiter.resolve();
    this.wakeSpaceWaiters();
    return false;
  }

  private reissueOutstanding(): void {
    const table = this.table;
    if (table === undefined || table.outstandingCount === 0) return;
    for (const entry of table.listOutstandingInIssueOrder()) this.pushImage(table.requestView(entry));
  }

  private async disconnectAfterBackendLeft(): Promise<boolean> {
    this.session++;
    await this.tearDownTransport();
    if (this.inFlightAfterReset === "fail") {
      this.failAllOutstanding({ code: "connection-peer-reset", message: "the backend left before answering" });
    }
    this.report({ code: "connection-peer-reset", message: "the backend closed or reset; reconnecting", location: `${this.options.backendPath}/state` });
    this.phase = "waiting-for-backend-reset";
    await this.writeOwnState(XenbusState.closed);
    return true;
  }

  private async tearDownTransport(): Promise<void> {
    const transport = this.transport;
    if (transport === undefined) return;
    this.transport = undefined;
    this.session++;
    const hypercalls = this.context.hypercalls;
    await hypercalls.closePort(transport.port);
    // A backend that still maps the ring keeps it until it unmaps (XSA-396): end access lazily.
    for (const reference of transport.grantReferences) await hypercalls.endAccessDeferred(reference);
    await hypercalls.freePages(transport.firstFrame, transport.pageCount);
  }

  private failAllOutstanding(problem: ConnectionProblem): void {
    const table = this.table;
    if (table === undefined) return;
    for (const entry of table.listOutstandingInIssueOrder()) table.fail(entry, new ConnectionRequestFailed(problem));
  }

  private rejectConnectedWaiters(problem: ConnectionProblem): void {
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const waiter of waiters) waiter.reject(new ConnectionRequestFailed(problem));
  }

  /** The response loop of one connected session: drain, final check, sleep on the event channel. */
  private async consumeResponses(session: number): Promise<void> {
    while (session === this.session) {
      const transport = this.transport;
      const table = this.table;
      if (transport === undefined || table === undefined) return;
      const ring = transport.ring;
      let batch = ring.beginResponseBatch();
      while (batch > 0) {
        for (let taken = 0; taken < batch; taken++) {
          if (!ring.consumeResponseInto(this.responseCopy)) break;
          this.settleResponse(table);
        }
        batch = ring.beginResponseBatch();
      }
      if (isRingFault(batch)) {
        this.abandonRingAfterFault(session, batch);
        return;
      }
      this.wakeSpaceWaiters();
      const remaining = ring.finalCheckForResponses();
      if (remaining > 0) continue;
      if (isRingFault(remaining)) {
        this.abandonRingAfterFault(session, remaining);
        return;
      }
      await this.context.waitForEvent(transport.port);
    }
  }

  /**
   * A backend that corrupts the response index cannot be trusted with the requests in flight:
   * they fail (nothing is dropped silently), the ring is torn down, this end goes Closed and
   * reconnects once the backend has been reset or restarted.
   */
  private abandonRingAfterFault(session: number, status: number): void {
    const problem: ConnectionProblem = { code: "connection-ring-fault", message: `the backend's response index is invalid: ${describeRingStatus(status)}`, location: this.options.backendPath };
    this.report(problem);
    this.stepChain = this.stepChain.then(async () => {
      if (session !== this.session || this.phase !== "connected") return;
      this.session++;
      this.failAllOutstanding(problem);
      await this.tearDownTransport();
      this.phase = "waiting-for-backend-reset";
      await this.writeOwnState(XenbusState.closed);
    });
  }

  private settleResponse(table: RequestCorrelationTable<TResponse>): void {
    const { responseIdOffset, idBytes } = this.options.description;
    const id = readConnectionId(this.responseCopy, responseIdOffset, idBytes);
    const entry = table.findEntry(id);
    if (entry < 0) {
      this.report({ code: "connection-unknown-response-id", message: `response id ${id} matches no outstanding request`, location: String(id) });
      return;
    }
    let response: TResponse;
    try {
      response = this.options.decodeResponse(this.responseCopy);
    } catch (error) {
      table.fail(entry, new ConnectionRequestFailed({ code: "connection-handler-failed", message: `decoding the response failed: ${error instanceof Error ? error.message : String(error)}` }));
      return;
    }
    table.settle(entry, response);
  }

  private async writeOwnState(state: XenbusState): Promise<void> {
    const written = await this.options.store.write(`${this.options.frontendPath}/state`, String(state));
    if (!written.ok) this.report(this.storeProblem("state", written.error));
  }

  private storeProblem(key: string, error: string): ConnectionProblem {
    return { code: "connection-store-failed", message: `writing ${key} failed with ${error}`, location: this.options.frontendPath };
  }

  private report(problem: ConnectionProblem): void {
    this.options.onProblem?.(problem);
  }
}
