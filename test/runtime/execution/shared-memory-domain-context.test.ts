// The shared-memory data plane on one thread: notify results without allocation, blocking and
// async waits, and the adaptive spin's budget moving within its bounds.
import { describe, it, expect } from "vitest";
import { AdaptiveSpin, WorkerThreadsExecution } from "../../../runtime/execution/index.js";
import { EventChannelTable, Hypervisor, allowAllPolicyHooks, policyDenied } from "../../../runtime/hypervisor/index.js";

function connected(): { execution: WorkerThreadsExecution; a: number; b: number; portA: number; portB: number } {
  const execution = new WorkerThreadsExecution(new Hypervisor());
  const a = execution.hypervisor.createDomain().id;
  const b = execution.hypervisor.createDomain().id;
  const unbound = execution.hypervisor.allocateUnboundPort(a, b);
  if (!unbound.ok) throw new Error(unbound.reason);
  const bound = execution.hypervisor.bindInterdomain(b, a, unbound.port);
  if (!bound.ok) throw new Error(bound.reason);
  return { execution, a, b, portA: unbound.port, portB: bound.port };
}

describe("shared-memory domain context", () => {
  it("notifies through the shared table and reuses one result object per outcome", () => {
    const { execution, a, b, portA, portB } = connected();
    const contextA = execution.contextFor(a);
    const contextB = execution.contextFor(b);
    expect(contextB.consumeEvent(portB)).toBe(true);
    const first = contextA.notify(portA);
    expect(first).toEqual({ ok: true, raised: true });
    expect(contextA.notify(portA)).toEqual({ ok: true, raised: false });
    expect(contextB.consumeEvent(portB)).toBe(true);
    expect(contextA.notify(portA)).toBe(first);
    expect(contextB.countRaisedNotifications(portB)).toBe(3);
    expect(contextA.notify(77)).toMatchObject({ ok: false, error: "EINVAL" });
    expect(contextA.notify(5)).toMatchObject({ ok: false, error: "EINVAL" });
  });

  it("refuses a send the policy denied, using the verdict cached in the shared table", () => {
    const { execution, a, portA } = connected();
    execution.hypervisor.setPolicyHooks({ ...allowAllPolicyHooks, checkEventChannelSend: () => policyDenied("frozen") });
    expect(execution.contextFor(a).notify(portA)).toMatchObject({ ok: false, error: "EACCES" });
  });

  it("returns from a blocking wait at once when pending, and false after the timeout otherwise", () => {
    const { execution, b, portB } = connected();
    const contextB = execution.contextFor(b);
    expect(contextB.waitForEventBlocking(portB, 1000)).toBe(true);
    expect(contextB.waitForEventBlocking(portB, 5)).toBe(false);
  });

  it("resolves an async wait when another domain notifies later", async () => {
    const { execution, a, b, portA, portB } = connected();
    const contextB = execution.contextFor(b);
    contextB.consumeEvent(portB);
    let woke = false;
    const waiting = contextB.waitForEvent(portB).then(() => (woke = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woke).toBe(false);
    execution.contextFor(a).notify(portA);
    await waiting;
    expect(woke).toBe(true);
  });

  it("holds events of a paused domain pending until it is unpaused, blocking or async", async () => {
    const { execution, b, portB } = connected();
    const contextB = execution.contextFor(b);
    expect(execution.hypervisor.pauseDomain(b).ok).toBe(true);
    expect(contextB.waitForEventBlocking(portB, 5)).toBe(false);
    expect(contextB.consumeEvent(portB)).toBe(false);
    expect(execution.hypervisor.isEventPending(b, portB)).toBe(true);
    let woke = false;
    const waiting = contextB.waitForEvent(portB).then(() => (woke = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(woke).toBe(false);
    expect(execution.hypervisor.unpauseDomain(b).ok).toBe(true);
    await waiting;
    expect(woke).toBe(true);
    expect(execution.hypervisor.isEventPending(b, portB)).toBe(false);
  });

  it("rebuilds the same table from its layout, as a worker does", () => {
    const { execution, a, b, portA, portB } = connected();
    const copy = new EventChannelTable(execution.hypervisor.eventChannelTableLayout);
    const slotA = execution.hypervisor.findDomain(a)!.eventTableSlot;
    const slotB = execution.hypervisor.findDomain(b)!.eventTableSlot;
    copy.consumePending(slotB, portB);
    copy.send(slotA, portA);
    expect(execution.hypervisor.isEventPending(b, portB)).toBe(true);
  });
});

describe("adaptive spin", () => {
  it("doubles its budget after catching an event and halves it after a miss, within bounds", () => {
    const table = EventChannelTable.create(1, 4);
    const spin = new AdaptiveSpin({ minimumIterations: 8, maximumIterations: 64 });
    expect(spin.currentBudget).toBe(32);
    table.writeUnbound(0, 1, 0);
    table.raisePending(0, 1);
    expect(spin.spinForPending(table, 0, 1)).toBe(true);
    expect(spin.currentBudget).toBe(64);
    expect(spin.spinForPending(table, 0, 1)).toBe(true);
    expect(spin.currentBudget).toBe(64);
    table.consumePending(0, 1);
    for (const expected of [32, 16, 8, 8]) {
      expect(spin.spinForPending(table, 0, 1)).toBe(false);
      expect(spin.currentBudget).toBe(expected);
    }
  });
});
