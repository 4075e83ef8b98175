// The backend end of a split-driver connection: publishes its features and goes InitWait,
// maps the frontend's ring grants and binds its event channel once the frontend is
// Initialised, publishes its device keys and goes Connected, then serves requests copy-once
// with a caller-supplied handler and final-check-before-idle; disconnects when the frontend
// closes or resets and offers itself again (Closed -> InitWait) when the frontend reinitialises.

import type { DomainContext } from "../execution/index.js";
import { SharedRingBackend, computeSharedRingEntryCount, describeRingStatus, isRingFault } from "../ring/index.js";
import { findConnectionDescriptionProblem, type SplitConnectionDescription } from "./connection-description.js";
import type { ConnectionProblem, ConnectionProblemListener } from "./connection-problem.js";
import type { ConnectionStore } from "./connection-store.js";
import type { PeerKeyReader } from "./split-connection-frontend.js";
import { XenbusState, isXenbusClosingOrClosed, parseXenbusState } from "./xenbus-state.js";

/**
 * What the backend decides once the frontend is Initialised: the device keys to publish, and
 * optionally the layout for this session when the frontend's keys choose it (e.g. the ABI).
 */
export type BackendSessionOutcome =
  | { readonly ok: true; readonly keys: Readonly<Record<string, string>>; readonly description?: SplitConnectionDescription }
  | { readonly ok: false; readonly problem: ConnectionProblem };

export interface SplitConnectionBackendOptions<TResponse> {
  readonly description: SplitConnectionDescription;
  readonly store: ConnectionStore;
  readonly frontendPath: string;
  readonly backendPath: string;
  readonly frontendDomainId: number;
  /** Keys published before InitWait (features, limits). */
  readonly featureKeys: Readonly<Record<string, string>>;
  /** The frontend is Initialised: read its keys (e.g. the ABI) and return the device keys to publish before Connected. */
  onFrontendInitialised(frontend: PeerKeyReader): Promise<BackendSessionOutcome>;
  /**
   * Serves one request from its private copy (valid until the returned value settles); the
   * result is encoded into the response slot by `encodeResponse`.
   */
  handleRequest(privateCopy: Uint8Array): TResponse | Promise<TResponse>;
  /** Writes the whole response into a zeroed slot. */
  encodeResponse(slot: Uint8Array, response: TResponse): void;
  readonly onProblem?: ConnectionProblemListener;
}

type BackendPhase = "stopped" | "init-wait" | "connected" | "closing" | "closed";

interface BackendTransport {
  readonly ring: SharedRingBackend;
  readonly mappingHandles: readonly number[];
  readonly port: number;
  readonly entries: number;
  readonly copies: Uint8Array[];
  readonly freeCopies: Int32Array;
  freeCopyCount: number;
}

export class SplitConnectionBackend<TResponse> {
  private phase: BackendPhase = "stopped";
  private transport: BackendTransport | undefined;
  private session = 0;
  private abandoned = false;
  private unwatchFrontendState: (() => void) | undefined;
  private stepChain: Promise<void> = Promise.resolve();
  private requestsServed = 0;
  private notificationsSent = 0;

  constructor(private readonly context: DomainContext, private readonly options: SplitConnectionBackendOptions<TResponse>) {
    const problem = findConnectionDescriptionProblem(options.description);
    if (problem !== undefined) throw new RangeError(`bad connection description: ${problem}`);
  }

  get currentPhase(): BackendPhase {
    return this.phase;
  }

  get servedRequestCount(): number {
    return this.requestsServed;
  }

  get notificationCount(): number {
    return this.notificationsSent;
  }

  get frontendDomainId(): number {
    return this.options.frontendDomainId;
  }

  /** Publishes the features, goes InitWait and follows the frontend from then on. */
  async start(): Promise<void> {
    if (this.phase !== "stopped") return;
    await this.offer();
    this.unwatchFrontendState = await this.options.store.watch(`${this.options.frontendPath}/state`, () => this.scheduleStep());
  }

  /** Stops following the frontend and releases the ring (the backend's own teardown). */
  async stop(): Promise<void> {
    this.unwatchFrontendState?.();
    this.unwatchFrontendState = undefined;
    await this.stepChain;
    await this.disconnect();
    this.phase = "stopped";
    await this.writeOwnState(XenbusState.closed);
  }

  private async offer(): Promise<void> {
    const { store, backendPath, featureKeys } = this.options;
    const entries: Array<readonly [string, string]> = Object.entries(featureKeys).map(([key, value]) => [`${backendPath}/${key}`, value] as const);
    if (entries.length > 0) {
      const written = await store.writeAll(entries);
      if (!written.ok) this.report({ code: "connection-store-failed", message: `publishing features failed with ${written.error}`, location: backendPath });
    }
    this.phase = "init-wait";
    await this.writeOwnState(XenbusState.initWait);
  }

  private scheduleStep(): void {
    this.stepChain = this.stepChain.then(() => this.step()).catch((error: unknown) => {
      this.report({ code: "connection-store-failed", message: error instanceof Error ? error.message : String(error) });
    });
  }

  private async step(): Promise<void> {
    for (;;) {
      if (this.abandoned) return;
      const frontendState = parseXenbusState(await this.options.store.read(`${this.options.frontendPath}/state`));
      if (!(await this.advance(frontendState))) return;
    }
  }

  /**
   * Stops at once, with no further hypercall or store write: what happens to this code when its
   * domain is reset or destroyed underneath it (the toolstack or policer cleans up instead).
   */
  abandon(): void {
    this.abandoned = true;
    this.session++;
    this.unwatchFrontendState?.();
    this.unwatchFrontendState = undefined;
  }

  private async advance(frontendState: XenbusState): Promise<boolean> {
    switch (this.phase) {
      case "stopped":
        return false;
      case "init-wait":
        if (frontendState === XenbusState.initialised || frontendState === XenbusState.connected) return this.connectToFrontend();
        return false;
      case "connected":
        // An orderly close is mirrored as Xen's backends do: Closing while the frontend is
        // Closing, Closed once it is Closed (blkif's lifecycle forbids Connected -> Closed then).
        if (frontendState === XenbusState.closing) {
          await this.disconnect();
          this.phase = "closing";
          await this.writeOwnState(XenbusState.closing);
          return true;
        }
        if (isXenbusClosingOrClosed(frontendState) || frontendState === XenbusState.initialising || frontendState === XenbusState.unknown) {
          await this.disconnect();
          this.phase = "closed";
          await this.writeOwnState(XenbusState.closed);
          return true;
        }
        return false;
      case "closing":
        if (frontendState === XenbusState.closed || frontendState === XenbusState.initialising || frontendState === XenbusState.unknown) {
          this.phase = "closed";
          await this.writeOwnState(XenbusState.closed);
          return true;
        }
        return false;
      case "closed":
        if (frontendState === XenbusState.initialising || frontendState === XenbusState.initialised) {
          await this.offer();
          return true;
        }
        return false;
    }
  }

  private async connectToFrontend(): Promise<boolean> {
    const { description, store, frontendPath, frontendDomainId } = this.options;
    const readFrontend: PeerKeyReader = (key) => store.read(`${frontendPath}/${key}`);
    const transportKeys = await this.readTransportKeys(readFrontend);
    if (transportKeys === undefined) return this.refuseFrontend();
    const outcome = await this.options.onFrontendInitialised(readFrontend);
    if (!outcome.ok) {
      this.report(outcome.problem);
      return this.refuseFrontend();
    }
    const sessionDescription = outcome.description ?? description;
    const descriptionProblem = findConnectionDescriptionProblem(sessionDescription);
    if (descriptionProblem !== undefined) {
      this.report({ code: "connection-bad-peer-key", message: `the session layout is unusable: ${descriptionProblem}` });
      return this.refuseFrontend();
    }
    const hypercalls = this.context.hypercalls;
    const mapped = await hypercalls.mapGrants(frontendDomainId, transportKeys.references, true);
    if (!mapped.ok) {
      this.report({ code: "connection-grant-failed", message: `mapping the ring grants failed: ${mapped.reason}`, location: `${frontendPath}/${description.ringReferenceKey}` });
      return this.refuseFrontend();
    }
    const bound = await hypercalls.bindInterdomain(frontendDomainId, transportKeys.port);
    if (!bound.ok) {
      this.report({ code: "connection-event-channel-failed", message: `binding event channel ${transportKeys.port} failed: ${bound.reason}`, location: `${frontendPath}/${description.eventChannelKey}` });
      for (const handle of mapped.handles) await hypercalls.unmapGrant(handle);
      return this.refuseFrontend();
    }
    const ring = SharedRingBackend.attach(mapped.view, sessionDescription.slotBytes);
    const entries = computeSharedRingEntryCount(mapped.view.byteLength, sessionDescription.slotBytes);
    const freeCopies = new Int32Array(entries);
    for (let copy = 0; copy < entries; copy++) freeCopies[copy] = copy;
    this.transport = {
      ring,
      mappingHandles: mapped.handles,
      port: bound.port,
      entries,
      copies: Array.from({ length: entries }, () => new Uint8Array(sessionDescription.slotBytes)),
      freeCopies,
      freeCopyCount: entries,
    };
    const deviceKeys = Object.entries(outcome.keys).map(([key, value]) => [`${this.options.backendPath}/${key}`, value] as const);
    if (deviceKeys.length > 0) {
      const written = await store.writeAll(deviceKeys);
      if (!written.ok) this.report({ code: "connection-store-failed", message: `publishing device keys failed with ${written.error}`, location: this.options.backendPath });
    }
    this.phase = "connected";
    const session = ++this.session;
    await this.writeOwnState(XenbusState.connected);
    void this.serveRequests(session);
    return false;
  }

  /** A frontend whose transport cannot be used is answered with Closing, as Xen's backends do on a fatal error. */
  private async refuseFrontend(): Promise<boolean> {
    this.phase = "closed";
    await this.writeOwnState(XenbusState.closing);
    return false;
  }

  private async readTransportKeys(readFrontend: PeerKeyReader): Promise<{ references: number[]; port: number } | undefined> {
    const { description, frontendPath } = this.options;
    const orderText = await readFrontend(description.ringPageOrderKey);
    const order = orderText === undefined ? 0 : parseDecimal(orderText);
    if (order === undefined || order > description.maximumRingPageOrder) {
      this.report({ code: "connection-bad-peer-key", message: `ring page order ${JSON.stringify(orderText)} is not a number in 0..${description.maximumRingPageOrder}`, location: `${frontendPath}/${description.ringPageOrderKey}` });
      return undefined;
    }
    const references: number[] = [];
    for (let page = 0; page < 1 << order; page++) {
      const key = orderText === undefined ? description.ringReferenceKey : `${description.ringReferenceKey}${page}`;
      const reference = parseDecimal(await readFrontend(key));
      if (reference === undefined) {
        this.report({ code: "connection-bad-peer-key", message: `${key} is missing or not a decimal grant reference`, location: `${frontendPath}/${key}` });
        return undefined;
      }
      references.push(reference);
    }
    const port = parseDecimal(await readFrontend(description.eventChannelKey));
    if (port === undefined) {
      this.report({ code: "connection-bad-peer-key", message: `${description.eventChannelKey} is missing or not a decimal port`, location: `${frontendPath}/${description.eventChannelKey}` });
      return undefined;
    }
    return { references, port };
  }

  private async disconnect(): Promise<void> {
    const transport = this.transport;
    if (transport === undefined) return;
    this.transport = undefined;
    this.session++;
    const hypercalls = this.context.hypercalls;
    await hypercalls.closePort(transport.port);
    for (const handle of transport.mappingHandles) await hypercalls.unmapGrant(handle);
  }

  /** The request loop of one session: copy once, hand the copy to the handler, answer, final check, sleep. */
  private async serveRequests(session: number): Promise<void> {
    while (session === this.session) {
      const transport = this.transport;
      if (transport === undefined) return;
      const ring = transport.ring;
      let batch = ring.beginRequestBatch();
      while (batch > 0 && transport.freeCopyCount > 0) {
        for (let taken = 0; taken < batch && transport.freeCopyCount > 0; taken++) {
          const copyIndex = transport.freeCopies[--transport.freeCopyCount]!;
          const copy = transport.copies[copyIndex]!;
          if (!ring.consumeRequestInto(copy)) {
            transport.freeCopies[transport.freeCopyCount++] = copyIndex;
            break;
          }
          this.dispatch(session, transport, copyIndex, copy);
        }
        this.pushAnswered(transport);
        batch = ring.beginRequestBatch();
      }
      if (isRingFault(batch)) {
        this.report({ code: "connection-ring-fault", message: `the frontend's request index is invalid: ${describeRingStatus(batch)}` });
        await this.disconnect();
        this.phase = "closed";
        await this.writeOwnState(XenbusState.closing);
        return;
      }
      if (batch > 0) {
        // Every private copy is with a handler: wait for an answer to free one.
        await this.context.waitForEvent(transport.port);
        continue;
      }
      const remaining = ring.finalCheckForRequests();
      if (remaining > 0) continue;
      await this.context.waitForEvent(transport.port);
    }
  }

  private dispatch(session: number, transport: BackendTransport, copyIndex: number, copy: Uint8Array): void {
    let result: TResponse | Promise<TResponse>;
    try {
      result = this.options.handleRequest(copy);
    } catch (error) {
      this.failHandler(transport, copyIndex, error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => {
          if (session !== this.session) return;
          this.answer(transport, copyIndex, response);
          this.pushAnswered(transport);
        },
        (error: unknown) => this.failHandler(transport, copyIndex, error),
      );
      return;
    }
    this.answer(transport, copyIndex, result);
  }

  private answer(transport: BackendTransport, copyIndex: number, response: TResponse): void {
    const slot = transport.ring.claimResponseSlot();
    transport.freeCopies[transport.freeCopyCount++] = copyIndex;
    if (slot === null) return;
    slot.fill(0);
    this.options.encodeResponse(slot, response);
    this.requestsServed++;
  }

  private pushAnswered(transport: BackendTransport): void {
    if (transport.ring.pushResponses()) {
      this.context.notify(transport.port);
      this.notificationsSent++;
    }
  }

  /** A request that cannot be answered would hold its ring slot forever: report it and close the connection. */
  private failHandler(transport: BackendTransport, copyIndex: number, error: unknown): void {
    transport.freeCopies[transport.freeCopyCount++] = copyIndex;
    if (this.transport !== transport) return;
    this.report({ code: "connection-handler-failed", message: `the request handler failed: ${error instanceof Error ? error.message : String(error)}` });
    this.stepChain = this.stepChain.then(async () => {
      if (this.transport !== transport) return;
      await this.disconnect();
      this.phase = "closed";
      await this.writeOwnState(XenbusState.closing);
    });
  }

  private async writeOwnState(state: XenbusState): Promise<void> {
    const written = await this.options.store.write(`${this.options.backendPath}/state`, String(state));
    if (!written.ok) this.report({ code: "connection-store-failed", message: `writing state failed with ${written.error}`, location: `${this.options.backendPath}/state` });
  }

  private report(problem: ConnectionProblem): void {
    this.options.onProblem?.(problem);
  }
}

function parseDecimal(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= 0xffff_ffff ? value : undefined;
}
