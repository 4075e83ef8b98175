// Destroy and reset the Xen way: nothing of the domain dangles, peers see a clean state, and
// pages other domains still map stay alive (the domain a zombie) until they unmap them.
import { describe, it, expect } from "vitest";
import { GrantStatus, Hypervisor, PortState, type HypervisorOperation } from "../../../runtime/hypervisor/index.js";

function build(): { hypervisor: Hypervisor; guest: number; driver: number; ring: Uint8Array; guestPort: number; driverPort: number; driverHandle: number; guestHandle: number } {
  const hypervisor = new Hypervisor({ limits: { defaultFramesPerDomain: 4 } });
  const guest = hypervisor.createDomain({ labels: ["guest"] }).id;
  const driver = hypervisor.createDomain({ labels: ["driver"] }).id;
  const guestFrame = hypervisor.allocatePages(guest) as number;
  const driverFrame = hypervisor.allocatePages(driver) as number;
  const guestGrant = hypervisor.grantAccess(guest, driver, guestFrame, false);
  const driverGrant = hypervisor.grantAccess(driver, guest, driverFrame, true);
  if (!guestGrant.ok || !driverGrant.ok) throw new Error("grant failed");
  const driverMapping = hypervisor.mapGrant(driver, guest, guestGrant.reference, true);
  const guestMapping = hypervisor.mapGrant(guest, driver, driverGrant.reference, false);
  const guestPort = hypervisor.allocateUnboundPort(guest, driver);
  if (!driverMapping.ok || !guestMapping.ok || !guestPort.ok) throw new Error("setup failed");
  const driverPort = hypervisor.bindInterdomain(driver, guest, guestPort.port);
  if (!driverPort.ok) throw new Error("bind failed");
  return { hypervisor, guest, driver, ring: driverMapping.view, guestPort: guestPort.port, driverPort: driverPort.port, driverHandle: driverMapping.handle, guestHandle: guestMapping.handle };
}

describe("domain destroy", () => {
  it("closes the domain's channels and returns each peer port to unbound", () => {
    const { hypervisor, guest, driver, guestPort, driverPort } = build();
    const guestSlot = hypervisor.findDomain(guest)!.eventTableSlot;
    const teardown = hypervisor.destroyDomain(guest);
    expect(teardown?.closedPorts).toBe(1);
    expect(hypervisor.eventChannelTable.countOpenPorts(guestSlot)).toBe(0);
    const driverSlot = hypervisor.findDomain(driver)!.eventTableSlot;
    expect(hypervisor.eventChannelTable.stateOf(driverSlot, driverPort)).toBe(PortState.unbound);
    expect(hypervisor.sendEvent(driver, driverPort)).toEqual({ ok: true, raised: false });
    expect(guestPort).toBe(1);
  });

  it("releases the mappings the destroyed domain held of others' grants", () => {
    const { hypervisor, guest, driver } = build();
    hypervisor.destroyDomain(guest);
    const driverTable = hypervisor.findDomain(driver)!.grantTable;
    expect(driverTable.isMapped(8)).toBe(false);
    expect(hypervisor.endAccess(driver, 8).ok).toBe(true);
  });

  it("revokes its grants, yet keeps pages others map alive until they unmap: then the domain is released", () => {
    const { hypervisor, guest, driver, ring, driverHandle } = build();
    const seen: HypervisorOperation["kind"][] = [];
    hypervisor.observation.subscribe((operation) => seen.push(operation.kind));
    const teardown = hypervisor.destroyDomain(guest);
    expect(teardown?.revokedGrantEntries).toBe(1);
    expect(teardown?.frames).toEqual({ freedNow: 0, deferred: 1 });
    expect(hypervisor.findDomain(guest)?.lifecycle).toBe("dying");
    // The driver's mapping still works: Xen never pulls a page out from under a mapper.
    ring[0] = 0xab;
    expect(ring[0]).toBe(0xab);
    expect(hypervisor.mapGrant(driver, guest, 8, false)).toMatchObject({ ok: false, status: GrantStatus.badDomain });
    expect(hypervisor.unmapGrant(driver, driverHandle).ok).toBe(true);
    expect(hypervisor.findDomain(guest)).toBeUndefined();
    expect(hypervisor.findDomain(driver)!.grantMappings.size).toBe(0);
    expect(seen).toEqual(["evtchn-close", "grant-unmap", "domain-destroyed", "grant-refused", "grant-unmap", "domain-released"]);
  });

  it("frees the domain's slot and id for reuse once released, with no state left behind", () => {
    const { hypervisor, guest, driver, driverHandle } = build();
    const slot = hypervisor.findDomain(guest)!.eventTableSlot;
    hypervisor.destroyDomain(guest);
    hypervisor.unmapGrant(driver, driverHandle);
    const reborn = hypervisor.createDomain({ id: guest });
    expect(reborn.eventTableSlot).toBe(slot);
    expect(hypervisor.eventChannelTable.countOpenPorts(slot)).toBe(0);
    expect(reborn.grantTable.countActiveEntries()).toBe(0);
    expect(hypervisor.mapGrant(driver, guest, 8, false)).toMatchObject({ ok: false, status: GrantStatus.generalError });
  });

  it("is released at once when no other domain maps its pages", () => {
    const hypervisor = new Hypervisor();
    const lonely = hypervisor.createDomain().id;
    hypervisor.allocatePages(lonely, 3);
    expect(hypervisor.destroyDomain(lonely)?.frames).toEqual({ freedNow: 3, deferred: 0 });
    expect(hypervisor.findDomain(lonely)).toBeUndefined();
    expect(hypervisor.destroyDomain(lonely)).toBeUndefined();
  });
});

describe("domain reset", () => {
  it("tears the domain down like destroy but leaves it running with a fresh grant table and no ports", () => {
    const { hypervisor, guest, driver, driverPort, driverHandle } = build();
    const teardown = hypervisor.resetDomain(guest);
    expect(teardown).toMatchObject({ closedPorts: 1, unmappedForeignGrants: 1, revokedGrantEntries: 1 });
    const domain = hypervisor.findDomain(guest)!;
    expect(domain.lifecycle).toBe("running");
    expect(domain.grantTable.countActiveEntries()).toBe(0);
    expect(domain.grantMappings.size).toBe(0);
    expect(hypervisor.eventChannelTable.countOpenPorts(domain.eventTableSlot)).toBe(0);
    expect(hypervisor.eventChannelTable.stateOf(hypervisor.findDomain(driver)!.eventTableSlot, driverPort)).toBe(PortState.unbound);
    // The page the driver still maps stays parked; the reset domain cannot get it back yet.
    expect(domain.memory.countDeferredFrames()).toBe(1);
    expect(hypervisor.unmapGrant(driver, driverHandle).ok).toBe(true);
    expect(domain.memory.countDeferredFrames()).toBe(0);
    expect(domain.memory.countFreeFrames()).toBe(4);
    // The honest peer reconnects: the reset domain offers a new port and the driver binds it.
    const offered = hypervisor.allocateUnboundPort(guest, driver);
    expect(offered.ok && hypervisor.bindInterdomain(driver, guest, offered.port).ok).toBe(true);
  });
});
