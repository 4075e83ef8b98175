// One test per event-channel rule (Xen semantics, reference/xen-abi.md §7), refusals included.
import { describe, it, expect } from "vitest";
import { Hypervisor, PortState, allowAllPolicyHooks, policyAllowed, policyDenied, type EventChannelResult } from "../../../runtime/hypervisor/index.js";
import { SeededScheduler } from "../../../runtime/time/index.js";

function setUp(portsPerDomain = 16): { hypervisor: Hypervisor; scheduler: SeededScheduler; frontend: number; backend: number; stranger: number } {
  const scheduler = new SeededScheduler(7);
  const hypervisor = new Hypervisor({ limits: { portsPerDomain }, deliveryScheduler: scheduler });
  const frontend = hypervisor.createDomain({ labels: ["guest"] }).id;
  const backend = hypervisor.createDomain({ labels: ["driver"] }).id;
  const stranger = hypervisor.createDomain().id;
  return { hypervisor, scheduler, frontend, backend, stranger };
}

function expectOk<T extends object>(result: EventChannelResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.error}: ${result.reason}`);
  return result;
}

function connect(hypervisor: Hypervisor, frontend: number, backend: number): { frontendPort: number; backendPort: number } {
  const frontendPort = expectOk(hypervisor.allocateUnboundPort(frontend, backend)).port;
  const backendPort = expectOk(hypervisor.bindInterdomain(backend, frontend, frontendPort)).port;
  return { frontendPort, backendPort };
}

function stateOf(hypervisor: Hypervisor, domain: number, port: number): number {
  return hypervisor.eventChannelTable.stateOf(hypervisor.findDomain(domain)!.eventTableSlot, port);
}

describe("alloc_unbound", () => {
  it("allocates the lowest free port from 1, unbound and reserved for the named remote", () => {
    const { hypervisor, frontend, backend } = setUp();
    const { port } = expectOk(hypervisor.allocateUnboundPort(frontend, backend));
    expect(port).toBe(1);
    expect(stateOf(hypervisor, frontend, port)).toBe(PortState.unbound);
    expect(hypervisor.eventChannelTable.remoteDomainIdOf(hypervisor.findDomain(frontend)!.eventTableSlot, port)).toBe(backend);
  });

  it("refuses an unknown remote domain with ESRCH", () => {
    const { hypervisor, frontend } = setUp();
    expect(hypervisor.allocateUnboundPort(frontend, 999)).toMatchObject({ ok: false, error: "ESRCH" });
  });

  it("refuses with ENOSPC when every port is in use", () => {
    const { hypervisor, frontend, backend } = setUp(4);
    for (let index = 0; index < 3; index += 1) expectOk(hypervisor.allocateUnboundPort(frontend, backend));
    expect(hypervisor.allocateUnboundPort(frontend, backend)).toMatchObject({ ok: false, error: "ENOSPC" });
  });
});

describe("bind_interdomain", () => {
  it("connects both ends and marks the new local port pending on bind", () => {
    const { hypervisor, frontend, backend } = setUp();
    const { frontendPort, backendPort } = connect(hypervisor, frontend, backend);
    expect(stateOf(hypervisor, frontend, frontendPort)).toBe(PortState.interdomain);
    expect(stateOf(hypervisor, backend, backendPort)).toBe(PortState.interdomain);
    expect(hypervisor.isEventPending(backend, backendPort)).toBe(true);
    expect(hypervisor.isEventPending(frontend, frontendPort)).toBe(false);
  });

  it("refuses a binder other than the remote the port was reserved for", () => {
    const { hypervisor, frontend, backend, stranger } = setUp();
    const { port } = expectOk(hypervisor.allocateUnboundPort(frontend, backend));
    const refused = hypervisor.bindInterdomain(stranger, frontend, port);
    expect(refused).toMatchObject({ ok: false, error: "EINVAL" });
    expect(refused.ok ? "" : refused.reason).toContain(`reserved for domain ${backend}`);
  });

  it("refuses a remote port that is free, already bound, or out of range", () => {
    const { hypervisor, frontend, backend } = setUp();
    expect(hypervisor.bindInterdomain(backend, frontend, 5)).toMatchObject({ ok: false, error: "EINVAL" });
    const { frontendPort } = connect(hypervisor, frontend, backend);
    expect(hypervisor.bindInterdomain(backend, frontend, frontendPort)).toMatchObject({ ok: false, error: "EINVAL" });
    expect(hypervisor.bindInterdomain(backend, frontend, 0)).toMatchObject({ ok: false, error: "EINVAL" });
    expect(hypervisor.bindInterdomain(backend, frontend, 16)).toMatchObject({ ok: false, error: "EINVAL" });
    expect(hypervisor.bindInterdomain(backend, 999, 1)).toMatchObject({ ok: false, error: "ESRCH" });
  });
});

describe("send", () => {
  it("silently drops a send on an unbound port", () => {
    const { hypervisor, frontend, backend } = setUp();
    const { port } = expectOk(hypervisor.allocateUnboundPort(frontend, backend));
    expect(expectOk(hypervisor.sendEvent(frontend, port)).raised).toBe(false);
    for (let backendPort = 1; backendPort < 16; backendPort += 1) expect(hypervisor.isEventPending(backend, backendPort)).toBe(false);
  });

  it("sets the peer's pending bit, and coalesces further sends until the peer consumes it", () => {
    const { hypervisor, frontend, backend } = setUp();
    const { frontendPort, backendPort } = connect(hypervisor, frontend, backend);
    expect(expectOk(hypervisor.sendEvent(backend, backendPort)).raised).toBe(true);
    expect(hypervisor.isEventPending(frontend, frontendPort)).toBe(true);
    expect(expectOk(hypervisor.sendEvent(backend, backendPort)).raised).toBe(false);
    expect(hypervisor.consumeEvent(frontend, frontendPort)).toBe(true);
    expect(hypervisor.consumeEvent(frontend, frontendPort)).toBe(false);
    expect(expectOk(hypervisor.sendEvent(backend, backendPort)).raised).toBe(true);
  });

  it("refuses a send on a port that is not allocated with EINVAL", () => {
    const { hypervisor, frontend } = setUp();
    expect(hypervisor.sendEvent(frontend, 3)).toMatchObject({ ok: false, error: "EINVAL" });
    expect(hypervisor.sendEvent(frontend, 1000)).toMatchObject({ ok: false, error: "EINVAL" });
  });
});

describe("close", () => {
  it("frees the port and returns the peer to unbound, rebindable by the same domain", () => {
    const { hypervisor, frontend, backend } = setUp();
    const { frontendPort, backendPort } = connect(hypervisor, frontend, backend);
    expectOk(hypervisor.closePort(backend, backendPort));
    expect(stateOf(hypervisor, backend, backendPort)).toBe(PortState.free);
    expect(stateOf(hypervisor, frontend, frontendPort)).toBe(PortState.unbound);
    expect(expectOk(hypervisor.sendEvent(frontend, frontendPort)).raised).toBe(false);
    const again = expectOk(hypervisor.bindInterdomain(backend, frontend, frontendPort)).port;
    expect(stateOf(hypervisor, frontend, frontendPort)).toBe(PortState.interdomain);
    expect(hypervisor.eventChannelTable.remotePortOf(hypervisor.findDomain(frontend)!.eventTableSlot, frontendPort)).toBe(again);
  });

  it("refuses to close a port that is not allocated", () => {
    const { hypervisor, frontend } = setUp();
    expect(hypervisor.closePort(frontend, 2)).toMatchObject({ ok: false, error: "EINVAL" });
  });
});

describe("handlers and waiters", () => {
  it("calls the handler once per coalesced notification, with the pending bit already cleared", async () => {
    const { hypervisor, scheduler, frontend, backend } = setUp();
    const { frontendPort, backendPort } = connect(hypervisor, frontend, backend);
    const seen: boolean[] = [];
    hypervisor.onEvent(frontend, frontendPort, () => seen.push(hypervisor.isEventPending(frontend, frontendPort)));
    hypervisor.sendEvent(backend, backendPort);
    hypervisor.sendEvent(backend, backendPort);
    hypervisor.sendEvent(backend, backendPort);
    scheduler.runUntilIdle();
    expect(seen).toEqual([false]);
    hypervisor.sendEvent(backend, backendPort);
    scheduler.runUntilIdle();
    expect(seen).toEqual([false, false]);
  });

  it("resolves a waiter at the next delivery, including the pending-on-bind event", async () => {
    const { hypervisor, scheduler, frontend, backend } = setUp();
    const { backendPort } = connect(hypervisor, frontend, backend);
    let woke = false;
    const waiting = hypervisor.waitForEvent(backend, backendPort).then(() => {
      woke = true;
    });
    expect(woke).toBe(false);
    await scheduler.runUntilIdleAsync();
    await waiting;
    expect(woke).toBe(true);
    expect(hypervisor.isEventPending(backend, backendPort)).toBe(false);
  });

  it("wakes a waiter when its port is closed, so that no waiter hangs on a dead port", async () => {
    const { hypervisor, scheduler, frontend, backend } = setUp();
    const { frontendPort } = connect(hypervisor, frontend, backend);
    let woke = false;
    const waiting = hypervisor.waitForEvent(frontend, frontendPort).then(() => {
      woke = true;
    });
    await scheduler.runUntilIdleAsync();
    expect(woke).toBe(false);
    hypervisor.destroyDomain(frontend);
    await waiting;
    expect(woke).toBe(true);
  });

  it("holds deliveries to a paused domain until it is unpaused", () => {
    const { hypervisor, scheduler, frontend, backend } = setUp();
    const { frontendPort, backendPort } = connect(hypervisor, frontend, backend);
    let calls = 0;
    hypervisor.onEvent(frontend, frontendPort, () => (calls += 1));
    expect(hypervisor.pauseDomain(frontend).ok).toBe(true);
    hypervisor.sendEvent(backend, backendPort);
    scheduler.runUntilIdle();
    expect(calls).toBe(0);
    expect(hypervisor.isEventPending(frontend, frontendPort)).toBe(true);
    expect(hypervisor.unpauseDomain(frontend).ok).toBe(true);
    scheduler.runUntilIdle();
    expect(calls).toBe(1);
  });
});

describe("event-channel policy hooks", () => {
  it("turns denied create, bind and send into EACCES with the policy's reason", () => {
    const { hypervisor, frontend, backend, stranger } = setUp();
    const { frontendPort, backendPort } = connect(hypervisor, frontend, backend);
    hypervisor.setPolicyHooks({
      ...allowAllPolicyHooks,
      checkEventChannelCreate: (request) => (request.remote.id === stranger ? policyDenied("no channel to the stranger") : policyAllowed),
      checkEventChannelBind: () => policyDenied("binding frozen"),
      checkEventChannelSend: (request) => (request.sender.id === backend ? policyDenied("backend is quarantined") : policyAllowed),
    });
    expect(hypervisor.allocateUnboundPort(frontend, stranger)).toMatchObject({ ok: false, error: "EACCES", reason: "policy denied the channel: no channel to the stranger" });
    const { port } = expectOk(hypervisor.allocateUnboundPort(frontend, backend));
    expect(hypervisor.bindInterdomain(backend, frontend, port)).toMatchObject({ ok: false, error: "EACCES" });
    expect(hypervisor.sendEvent(backend, backendPort)).toMatchObject({ ok: false, error: "EACCES" });
    expect(hypervisor.consumeEvent(backend, backendPort)).toBe(true);
    expect(expectOk(hypervisor.sendEvent(frontend, frontendPort)).raised).toBe(true);
    // The shared table carries the verdict too, so senders on other threads are refused as well.
    expect(hypervisor.eventChannelTable.isSendDenied(hypervisor.findDomain(backend)!.eventTableSlot, backendPort)).toBe(true);
  });
});
