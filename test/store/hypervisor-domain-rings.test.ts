// A guest domain of the runtime's hypervisor talks to the store over its xenstore page and
// event channel, set up the way Xen's toolstack does (grant reference 1, INTRODUCE by dom0).
import { describe, expect, it } from "vitest";
import { Hypervisor, xenstoreGrantReference } from "../../runtime/hypervisor/index.js";
import type { StoreMessage } from "../../runtime/store/connection.js";
import { DomainRingClient } from "../../runtime/store/domain-ring-client.js";
import { HypervisorDomainRings } from "../../runtime/store/hypervisor-domain-rings.js";
import { decodeText, encodeStringArguments, encodeWriteArguments } from "../../runtime/store/request-payloads.js";
import { XenStore } from "../../runtime/store/store.js";
import { XsMessageType } from "../../runtime/store/wire-types.js";

/** Lets event-channel deliveries (microtasks) and the work they trigger run to completion. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

function setUpGuest() {
  const hypervisor = new Hypervisor();
  hypervisor.createDomain({ id: 0, privileged: true, labels: ["dom0"], memoryFrames: 16 });
  const guest = hypervisor.createDomain({ labels: ["guest"], memoryFrames: 16 });
  const store = XenStore.open();
  const log: string[] = [];
  const rings = new HypervisorDomainRings({ hypervisor, store, log: (line) => log.push(line) });
  const toolstack = store.openConnection({ domainId: 0, privileged: true, sink: { deliver: () => undefined } });
  const frame = hypervisor.allocatePages(guest.id, 1);
  if (frame === undefined) throw new Error("no page for the guest");
  const grant = hypervisor.grantReservedAccess(guest.id, xenstoreGrantReference, 0, frame, false);
  const unbound = hypervisor.allocateUnboundPort(guest.id, 0);
  if (!grant.ok || !unbound.ok) throw new Error("guest setup failed");
  const page = hypervisor.viewOwnPages(guest.id, frame, 1);
  if (page === undefined) throw new Error("no guest page view");
  const received: StoreMessage[] = [];
  const client = new DomainRingClient({
    page,
    notify: () => void hypervisor.sendEvent(guest.id, unbound.port),
    onMessage: (message) => received.push(message),
  });
  hypervisor.onEvent(guest.id, unbound.port, () => client.onEventChannelNotified());
  const toolstackRequest = (type: number, ...args: string[]): StoreMessage =>
    toolstack.handle({ type, requestId: 1, transactionId: 0, payload: encodeStringArguments(...args) });
  // The toolstack creates the guest's home directory, owned by the guest.
  toolstackRequest(XsMessageType.mkdir, `/local/domain/${guest.id}`);
  toolstackRequest(XsMessageType.setPerms, `/local/domain/${guest.id}`, `n${guest.id}`);
  toolstack.handle({ type: XsMessageType.write, requestId: 1, transactionId: 0, payload: encodeWriteArguments("/secret", "dom0 only") });
  return { hypervisor, store, rings, guest, frame, port: unbound.port, client, received, toolstackRequest, log };
}

describe("store rings bound to the hypervisor", () => {
  it("serves an introduced guest over its granted page, with the guest's permissions", async () => {
    const setup = setUpGuest();
    const introduce = setup.toolstackRequest(XsMessageType.introduce, String(setup.guest.id), String(setup.frame), String(setup.port));
    expect(introduce.type).toBe(XsMessageType.introduce);
    expect(setup.rings.attachedDomainIds).toEqual([setup.guest.id]);
    setup.client.send({ type: XsMessageType.write, requestId: 1, transactionId: 0, payload: encodeWriteArguments("device/vif/0/state", "1") });
    setup.client.send({ type: XsMessageType.read, requestId: 2, transactionId: 0, payload: encodeStringArguments(`/local/domain/${setup.guest.id}/device/vif/0/state`) });
    setup.client.send({ type: XsMessageType.getDomainPath, requestId: 3, transactionId: 0, payload: encodeStringArguments(String(setup.guest.id)) });
    setup.client.send({ type: XsMessageType.read, requestId: 4, transactionId: 0, payload: encodeStringArguments("/secret") });
    await settle();
    expect(setup.received.map((message) => [message.requestId, message.type === XsMessageType.error ? decodeText(message.payload) : decodeText(message.payload)])).toEqual([
      [1, "OK"],
      [2, "1"],
      [3, `/local/domain/${setup.guest.id}`],
      [4, "EACCES"],
    ]);
  });

  it("rejects relative paths over 2048 characters from a guest", async () => {
    const setup = setUpGuest();
    setup.toolstackRequest(XsMessageType.introduce, String(setup.guest.id), String(setup.frame), String(setup.port));
    setup.client.send({ type: XsMessageType.read, requestId: 1, transactionId: 0, payload: encodeStringArguments("a".repeat(2049)) });
    setup.client.send({ type: XsMessageType.read, requestId: 2, transactionId: 0, payload: encodeStringArguments("a".repeat(2048)) });
    setup.client.send({ type: XsMessageType.read, requestId: 3, transactionId: 0, payload: encodeStringArguments("bad path") });
    await settle();
    expect(setup.received.map((message) => decodeText(message.payload))).toEqual(["EINVAL", "ENOENT", "EINVAL"]);
  });

  it("applies the watch quota to a guest flooding watches, through its ring", async () => {
    const setup = setUpGuest();
    setup.toolstackRequest(XsMessageType.introduce, String(setup.guest.id), String(setup.frame), String(setup.port));
    for (let index = 0; index < 140; index++) {
      setup.client.send({ type: XsMessageType.watch, requestId: index + 1, transactionId: 0, payload: encodeStringArguments(`w${index}`, `t${index}`) });
      if (index % 10 === 9) await settle();
    }
    await settle();
    const replies = setup.received.filter((message) => message.type !== XsMessageType.watchEvent);
    expect(replies).toHaveLength(140);
    expect(replies.filter((message) => message.type === XsMessageType.watch)).toHaveLength(setup.store.effectiveQuotas.watchesPerDomain);
    expect(new Set(replies.filter((message) => message.type === XsMessageType.error).map((message) => decodeText(message.payload))).size).toBe(1);
  });

  it("detaches the ring on RELEASE and stops serving the guest", async () => {
    const setup = setUpGuest();
    setup.toolstackRequest(XsMessageType.introduce, String(setup.guest.id), String(setup.frame), String(setup.port));
    setup.client.send({ type: XsMessageType.write, requestId: 1, transactionId: 0, payload: encodeWriteArguments("before", "1") });
    await settle();
    expect(setup.received).toHaveLength(1);
    expect(setup.toolstackRequest(XsMessageType.release, String(setup.guest.id)).type).toBe(XsMessageType.release);
    expect(setup.rings.attachedDomainIds).toEqual([]);
    setup.client.send({ type: XsMessageType.write, requestId: 2, transactionId: 0, payload: encodeWriteArguments("after", "1") });
    await settle();
    expect(setup.received).toHaveLength(1);
  });

  it("logs and leaves the guest unattached when its page was not granted", () => {
    const setup = setUpGuest();
    setup.hypervisor.endAccess(setup.guest.id, xenstoreGrantReference);
    setup.toolstackRequest(XsMessageType.introduce, String(setup.guest.id), String(setup.frame), String(setup.port));
    expect(setup.rings.attachedDomainIds).toEqual([]);
    expect(setup.log.some((line) => line.includes("cannot map its xenstore page"))).toBe(true);
  });
});

/** A guest with a promise-based view of its ring, for concurrent request sequences. */
interface AsyncGuest {
  readonly id: number;
  request(type: number, payload: Uint8Array, transactionId?: number): Promise<StoreMessage>;
}

function introduceGuests(count: number): { store: XenStore; rings: HypervisorDomainRings; guests: AsyncGuest[]; toolstack: (type: number, payload: Uint8Array) => StoreMessage } {
  const hypervisor = new Hypervisor();
  hypervisor.createDomain({ id: 0, privileged: true, labels: ["dom0"], memoryFrames: 16 });
  const store = XenStore.open();
  const rings = new HypervisorDomainRings({ hypervisor, store });
  const dom0 = store.openConnection({ domainId: 0, privileged: true, sink: { deliver: () => undefined } });
  const toolstack = (type: number, payload: Uint8Array): StoreMessage => dom0.handle({ type, requestId: 1, transactionId: 0, payload });
  const guests: AsyncGuest[] = [];
  for (let index = 0; index < count; index++) {
    const domain = hypervisor.createDomain({ labels: ["guest"], memoryFrames: 4 });
    const frame = hypervisor.allocatePages(domain.id, 1);
    const page = frame === undefined ? undefined : hypervisor.viewOwnPages(domain.id, frame, 1);
    const unbound = hypervisor.allocateUnboundPort(domain.id, 0);
    if (frame === undefined || page === undefined || !unbound.ok) throw new Error("guest setup failed");
    hypervisor.grantReservedAccess(domain.id, xenstoreGrantReference, 0, frame, false);
    const waiting = new Map<number, (reply: StoreMessage) => void>();
    const client = new DomainRingClient({
      page,
      notify: () => void hypervisor.sendEvent(domain.id, unbound.port),
      onMessage: (message) => {
        if (message.type === XsMessageType.watchEvent) return;
        waiting.get(message.requestId)?.(message);
        waiting.delete(message.requestId);
      },
    });
    hypervisor.onEvent(domain.id, unbound.port, () => client.onEventChannelNotified());
    toolstack(XsMessageType.introduce, encodeStringArguments(String(domain.id), String(frame), String(unbound.port)));
    let nextRequestId = 1;
    guests.push({
      id: domain.id,
      request: (type, payload, transactionId = 0) =>
        new Promise((resolve) => {
          const requestId = nextRequestId++;
          waiting.set(requestId, resolve);
          client.send({ type, requestId, transactionId, payload });
        }),
    });
  }
  return { store, rings, guests, toolstack };
}

describe("store rings: many guests at once", () => {
  it("keeps every increment of a shared counter under conflicting guest transactions", async () => {
    const { guests, toolstack } = introduceGuests(6);
    toolstack(XsMessageType.write, encodeWriteArguments("/shared/counter", "0"));
    // Entry 0 is the owner and the default: every other domain may read and write.
    toolstack(XsMessageType.setPerms, encodeStringArguments("/shared/counter", "b0"));
    const perGuest = 10;
    let conflicts = 0;
    await Promise.all(
      guests.map(async (guest) => {
        for (let round = 0; round < perGuest; round++) {
          for (;;) {
            const start = await guest.request(XsMessageType.transactionStart, encodeStringArguments(""));
            const transactionId = Number(decodeText(start.payload));
            const value = Number(decodeText((await guest.request(XsMessageType.read, encodeStringArguments("/shared/counter"), transactionId)).payload));
            await guest.request(XsMessageType.write, encodeWriteArguments("/shared/counter", String(value + 1)), transactionId);
            const end = await guest.request(XsMessageType.transactionEnd, encodeStringArguments("T"), transactionId);
            if (end.type === XsMessageType.transactionEnd) break;
            expect(decodeText(end.payload)).toBe("EAGAIN");
            conflicts++;
          }
        }
      }),
    );
    const final = toolstack(XsMessageType.read, encodeStringArguments("/shared/counter"));
    expect(decodeText(final.payload)).toBe(String(guests.length * perGuest));
    expect(conflicts).toBeGreaterThan(0);
  });
});
