// End-to-end tests of the protocol-neutral split connection in-process: the handshake through
// the store, request/response correlation, notification suppression, teardown, reconnect
// after either side resets, and refusal of bad transport keys.

import { describe, it, expect } from "vitest";
import {
  ConnectionRequestFailed,
  SplitConnectionBackend,
  SplitConnectionFrontend,
  XenbusState,
  type ConnectionProblem,
  type SplitConnectionDescription,
} from "../../../runtime/connection/index.js";
import { createInProcessSplitHarness, type InProcessSplitHarness } from "./in-process-harness.js";

// A tiny protocol: request { id u32 @0, value u32 @4 }, response { id u32 @0, doubled u32 @4 }.
const echoDescription: SplitConnectionDescription = {
  slotBytes: 16,
  requestIdOffset: 0,
  responseIdOffset: 0,
  idBytes: 4,
  maximumRingPageOrder: 2,
  ringReferenceKey: "ring-ref",
  ringPageOrderKey: "ring-page-order",
  eventChannelKey: "event-channel",
};

interface EchoResponse {
  readonly id: number;
  readonly doubled: number;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function createEchoFrontend(harness: InProcessSplitHarness, problems: ConnectionProblem[], ringPageOrder = 0, inFlightAfterReset: "reissue" | "fail" = "reissue"): SplitConnectionFrontend<EchoResponse> {
  return new SplitConnectionFrontend<EchoResponse>(harness.execution.contextFor(harness.frontendDomainId), {
    description: echoDescription,
    store: harness.connectStoreFor(harness.frontendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    backendDomainId: harness.backendDomainId,
    chooseTransport: async (backend) => ({ ringPageOrder: Math.min(ringPageOrder, Number((await backend("max-ring-page-order")) ?? "0")), keys: { flavour: "echo" } }),
    decodeResponse: (copy) => ({ id: view(copy).getUint32(0, true), doubled: view(copy).getUint32(4, true) }),
    inFlightAfterReset,
    onProblem: (problem) => problems.push(problem),
  });
}

function createEchoBackend(harness: InProcessSplitHarness, problems: ConnectionProblem[], options: { delayMilliseconds?: number } = {}): SplitConnectionBackend<{ id: number; doubled: number }> {
  const context = harness.execution.contextFor(harness.backendDomainId);
  return new SplitConnectionBackend(context, {
    description: echoDescription,
    store: harness.connectStoreFor(harness.backendDomainId),
    frontendPath: harness.frontendPath,
    backendPath: harness.backendPath,
    frontendDomainId: harness.frontendDomainId,
    featureKeys: { "max-ring-page-order": "2" },
    onFrontendInitialised: async (frontend) => ((await frontend("flavour")) === "echo" ? { ok: true, keys: { ready: "1" } } : { ok: false, problem: { code: "connection-bad-peer-key", message: "flavour is not echo" } }),
    handleRequest: (copy) => {
      const response = { id: view(copy).getUint32(0, true), doubled: (view(copy).getUint32(4, true) * 2) >>> 0 };
      const delay = options.delayMilliseconds;
      return delay === undefined ? response : context.sleep(delay).then(() => response);
    },
    encodeResponse: (slot, response) => {
      view(slot).setUint32(0, response.id, true);
      view(slot).setUint32(4, response.doubled, true);
    },
    onProblem: (problem) => problems.push(problem),
  });
}

function sendEcho(frontend: SplitConnectionFrontend<EchoResponse>, value: number): Promise<EchoResponse> {
  return frontend.request((slot, id) => {
    view(slot).setUint32(0, id, true);
    view(slot).setUint32(4, value, true);
  });
}

function readState(harness: InProcessSplitHarness, path: string): string | undefined {
  const read = harness.toolstack.readText(`${path}/state`);
  return read.ok ? read.value : undefined;
}

describe("split connection handshake", () => {
  it("reaches Connected on both ends with the transport keys written by the frontend", async () => {
    const harness = createInProcessSplitHarness(1);
    const problems: ConnectionProblem[] = [];
    const backend = createEchoBackend(harness, problems);
    const frontend = createEchoFrontend(harness, problems);
    await harness.settle(backend.start());
    await harness.settle(frontend.connect());
    await harness.runUntilIdle();
    expect(readState(harness, harness.frontendPath)).toBe(String(XenbusState.connected));
    expect(readState(harness, harness.backendPath)).toBe(String(XenbusState.connected));
    expect(harness.toolstack.readText(`${harness.frontendPath}/ring-ref`).ok).toBe(true);
    expect(harness.toolstack.readText(`${harness.frontendPath}/event-channel`).ok).toBe(true);
    expect(harness.toolstack.readText(`${harness.backendPath}/ready`)).toEqual({ ok: true, value: "1" });
    expect(problems).toEqual([]);
  });

  it("works when the frontend starts before the backend, and with a multi-page ring", async () => {
    const harness = createInProcessSplitHarness(2);
    const problems: ConnectionProblem[] = [];
    const frontend = createEchoFrontend(harness, problems, 2);
    const backend = createEchoBackend(harness, problems);
    const connected = frontend.connect();
    await harness.runUntilIdle();
    expect(readState(harness, harness.frontendPath)).toBe(String(XenbusState.initialising));
    await harness.settle(backend.start());
    await harness.settle(connected);
    expect(harness.toolstack.readText(`${harness.frontendPath}/ring-page-order`)).toEqual({ ok: true, value: "2" });
    expect(harness.toolstack.readText(`${harness.frontendPath}/ring-ref3`).ok).toBe(true);
    const responses = await harness.settle(Promise.all(Array.from({ length: 300 }, (_, value) => sendEcho(frontend, value))));
    expect(responses.map((response) => response.doubled)).toEqual(Array.from({ length: 300 }, (_, value) => value * 2));
    expect(problems).toEqual([]);
  });

  it("refuses a frontend whose keys the backend rejects, with Closing and a located problem", async () => {
    const harness = createInProcessSplitHarness(3);
    const problems: ConnectionProblem[] = [];
    const backend = createEchoBackend(harness, problems);
    await harness.settle(backend.start());
    harness.toolstack.write(`${harness.frontendPath}/ring-ref`, "not-a-number");
    harness.toolstack.write(`${harness.frontendPath}/event-channel`, "3");
    harness.toolstack.write(`${harness.frontendPath}/state`, String(XenbusState.initialised));
    await harness.runUntilIdle();
    expect(readState(harness, harness.backendPath)).toBe(String(XenbusState.closing));
    expect(problems).toEqual([expect.objectContaining({ code: "connection-bad-peer-key", location: `${harness.frontendPath}/ring-ref` })]);
  });
});

describe("split connection determinism", () => {
  async function runTraced(seed: number): Promise<string[]> {
    const harness = createInProcessSplitHarness(seed, "vdev", 0, true);
    const problems: ConnectionProblem[] = [];
    const backend = createEchoBackend(harness, problems, { delayMilliseconds: 1 });
    const frontend = createEchoFrontend(harness, problems);
    await harness.settle(backend.start());
    await harness.settle(frontend.connect());
    await harness.settle(Promise.all(Array.from({ length: 100 }, (_, value) => sendEcho(frontend, value))));
    return harness.execution.scheduler.trace.map((step) => `${step.timeMilliseconds}:${step.label}`);
  }

  it("replays the same handshake and exchange step for step from the same seed", async () => {
    const first = await runTraced(31);
    expect(first.length).toBeGreaterThan(50);
    expect(await runTraced(31)).toEqual(first);
  });
});

describe("split connection data phase", () => {
  it("answers many concurrent requests by id, also when the backend answers asynchronously", async () => {
    const harness = createInProcessSplitHarness(4);
    const problems: ConnectionProblem[] = [];
    const backend = createEchoBackend(harness, problems, { delayMilliseconds: 3 });
    const frontend = createEchoFrontend(harness, problems);
    await harness.settle(backend.start());
    await harness.settle(frontend.connect());
    const values = Array.from({ length: 1000 }, (_, index) => (index * 7919) >>> 0);
    const responses = await harness.settle(Promise.all(values.map((value) => sendEcho(frontend, value))));
    expect(responses.map((response) => response.doubled)).toEqual(values.map((value) => (value * 2) >>> 0));
    expect(frontend.outstandingRequestCount).toBe(0);
    expect(backend.servedRequestCount).toBe(1000);
    // Batched pushes with Xen's suppression send far fewer notifications than messages.
    expect(frontend.notificationCount).toBeLessThan(1000);
    expect(problems).toEqual([]);
  });

  it("reports a response whose id matches no outstanding request and keeps going", async () => {
    const harness = createInProcessSplitHarness(5);
    const problems: ConnectionProblem[] = [];
    const context = harness.execution.contextFor(harness.backendDomainId);
    let answered = 0;
    const backend = new SplitConnectionBackend<{ id: number; doubled: number }>(context, {
      description: echoDescription,
      store: harness.connectStoreFor(harness.backendDomainId),
      frontendPath: harness.frontendPath,
      backendPath: harness.backendPath,
      frontendDomainId: harness.frontendDomainId,
      featureKeys: {},
      onFrontendInitialised: async () => ({ ok: true, keys: {} }),
      // The first answer carries a wrong id: the frontend must not resolve anything with it.
      handleRequest: (copy) => ({ id: answered++ === 0 ? view(copy).getUint32(0, true) + 1 : view(copy).getUint32(0, true), doubled: 0 }),
      encodeResponse: (slot, response) => view(slot).setUint32(0, response.id, true),
    });
    const frontend = createEchoFrontend(harness, problems);
    await harness.settle(backend.start());
    await harness.settle(frontend.connect());
    const first = sendEcho(frontend, 1);
    await harness.runUntilIdle();
    expect(problems.map((problem) => problem.code)).toEqual(["connection-unknown-response-id"]);
    expect(frontend.outstandingRequestCount).toBe(1);
    const second = await harness.settle(sendEcho(frontend, 2));
    expect(second.doubled).toBe(0);
    void first.catch(() => undefined);
  });
});

describe("split connection against a hostile backend", () => {
  it("fails the requests in flight and disconnects when the backend corrupts the response index", async () => {
    const harness = createInProcessSplitHarness(10);
    const problems: ConnectionProblem[] = [];
    const hypervisor = harness.execution.hypervisor;
    const frontend = createEchoFrontend(harness, problems);
    // The test plays a backend by hand: InitWait, then map and bind what the frontend offers.
    harness.toolstack.write(`${harness.backendPath}/state`, String(XenbusState.initWait));
    const connected = frontend.connect();
    await harness.runUntilIdle();
    expect(readState(harness, harness.frontendPath)).toBe(String(XenbusState.initialised));
    const ringReference = Number((harness.toolstack.readText(`${harness.frontendPath}/ring-ref`) as { value: string }).value);
    const frontendPort = Number((harness.toolstack.readText(`${harness.frontendPath}/event-channel`) as { value: string }).value);
    const mapped = hypervisor.mapGrant(harness.backendDomainId, harness.frontendDomainId, ringReference, true);
    const bound = hypervisor.bindInterdomain(harness.backendDomainId, harness.frontendDomainId, frontendPort);
    if (!mapped.ok || !bound.ok) throw new Error("the hand-played backend could not attach");
    harness.toolstack.write(`${harness.backendPath}/state`, String(XenbusState.connected));
    await harness.settle(connected);
    const inFlight = sendEcho(frontend, 1);
    await harness.runUntilIdle();
    new DataView(mapped.view.buffer, mapped.view.byteOffset).setUint32(8, 1000, true);
    hypervisor.sendEvent(harness.backendDomainId, bound.port);
    await expect(harness.settle(inFlight)).rejects.toMatchObject({ problem: { code: "connection-ring-fault" } });
    await harness.runUntilIdle();
    expect(readState(harness, harness.frontendPath)).toBe(String(XenbusState.closed));
    expect(problems.map((problem) => problem.code)).toEqual(["connection-ring-fault"]);
  });
});

describe("split connection teardown and reconnect", () => {
  it("closes in order: both ends end Closed and later requests fail with connection-closed", async () => {
    const harness = createInProcessSplitHarness(6);
    const problems: ConnectionProblem[] = [];
    const backend = createEchoBackend(harness, problems);
    const frontend = createEchoFrontend(harness, problems);
    await harness.settle(backend.start());
    await harness.settle(frontend.connect());
    // Every state the backend writes during the close, as the toolstack's store sees them.
    const backendStates: string[] = [];
    const stopObserving = harness.store.onRequestHandled((handled) => {
      const [path, value] = Buffer.from(handled.request.payload).toString("latin1").split("\0");
      if (handled.domainId === harness.backendDomainId && path === `${harness.backendPath}/state` && value !== undefined) backendStates.push(value);
    });
    await harness.settle(frontend.close());
    await harness.runUntilIdle();
    stopObserving();
    expect(readState(harness, harness.frontendPath)).toBe(String(XenbusState.closed));
    expect(readState(harness, harness.backendPath)).toBe(String(XenbusState.closed));
    // As Xen's backends do: Closing while the frontend is Closing, Closed once it is Closed.
    expect(backendStates).toEqual([String(XenbusState.closing), String(XenbusState.closed)]);
    await expect(sendEcho(frontend, 1)).rejects.toBeInstanceOf(ConnectionRequestFailed);
    // The frontend reconnects after its own close: the backend goes Closed -> InitWait -> Connected.
    await harness.settle(frontend.connect());
    expect((await harness.settle(sendEcho(frontend, 21))).doubled).toBe(42);
    expect(frontend.connectionCount).toBe(2);
  });

  it("re-issues in-flight requests after the backend domain is reset and a new backend starts", async () => {
    const harness = createInProcessSplitHarness(7);
    const problems: ConnectionProblem[] = [];
    const backend = createEchoBackend(harness, problems, { delayMilliseconds: 50 });
    const frontend = createEchoFrontend(harness, problems);
    await harness.settle(backend.start());
    await harness.settle(frontend.connect());
    const inFlight = Array.from({ length: 10 }, (_, value) => sendEcho(frontend, value));
    harness.execution.scheduler.runUntil(harness.execution.scheduler.clock.now() + 10);
    // The policer's reset: the backend domain loses its grants and ports, its state goes Closed.
    harness.execution.resetDomain(harness.backendDomainId);
    backend.abandon();
    harness.toolstack.write(`${harness.backendPath}/state`, String(XenbusState.closed));
    await harness.runUntilIdle();
    expect(readState(harness, harness.frontendPath)).toBe(String(XenbusState.initialising));
    const restarted = createEchoBackend(harness, problems);
    await harness.settle(restarted.start());
    const responses = await harness.settle(Promise.all(inFlight));
    expect(responses.map((response) => response.doubled)).toEqual(Array.from({ length: 10 }, (_, value) => value * 2));
    expect(frontend.connectionCount).toBe(2);
    expect(problems.map((problem) => problem.code)).toContain("connection-peer-reset");
  });

  it("fails in-flight requests after a reset when configured to, never dropping them silently", async () => {
    const harness = createInProcessSplitHarness(8);
    const problems: ConnectionProblem[] = [];
    const backend = createEchoBackend(harness, problems, { delayMilliseconds: 50 });
    const frontend = createEchoFrontend(harness, problems, 0, "fail");
    await harness.settle(backend.start());
    await harness.settle(frontend.connect());
    const inFlight = sendEcho(frontend, 5);
    harness.execution.scheduler.runUntil(harness.execution.scheduler.clock.now() + 10);
    harness.execution.resetDomain(harness.backendDomainId);
    backend.abandon();
    harness.toolstack.write(`${harness.backendPath}/state`, String(XenbusState.closed));
    await expect(harness.settle(inFlight)).rejects.toMatchObject({ problem: { code: "connection-peer-reset" } });
  });

  it("a backend whose frontend resets goes Closed, then InitWait when the new frontend initialises", async () => {
    const harness = createInProcessSplitHarness(9);
    const problems: ConnectionProblem[] = [];
    const backend = createEchoBackend(harness, problems);
    const frontend = createEchoFrontend(harness, problems);
    await harness.settle(backend.start());
    await harness.settle(frontend.connect());
    harness.execution.resetDomain(harness.frontendDomainId);
    frontend.abandon();
    harness.toolstack.write(`${harness.frontendPath}/state`, String(XenbusState.closed));
    await harness.runUntilIdle();
    expect(readState(harness, harness.backendPath)).toBe(String(XenbusState.closed));
    expect(backend.currentPhase).toBe("closed");
    const newFrontend = createEchoFrontend(harness, problems);
    await harness.settle(newFrontend.connect());
    expect((await harness.settle(sendEcho(newFrontend, 4))).doubled).toBe(8);
  });
});
