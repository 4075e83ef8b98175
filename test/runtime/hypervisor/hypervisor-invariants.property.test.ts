// Property test: any sequence of grant, page, event-channel and domain operations (refused
// ones included) keeps the hypervisor's bookkeeping consistent, and tearing every domain down
// afterwards leaves no mapping, grant, port or parked frame behind.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { GrantEntryFlag, Hypervisor, PortState, type Domain } from "../../../runtime/hypervisor/index.js";

type Operation =
  | { readonly kind: "allocate"; readonly domain: number; readonly count: number }
  | { readonly kind: "free"; readonly domain: number; readonly frame: number }
  | { readonly kind: "grant"; readonly domain: number; readonly grantee: number; readonly frame: number; readonly readonly: boolean }
  | { readonly kind: "map"; readonly domain: number; readonly granter: number; readonly reference: number; readonly writable: boolean }
  | { readonly kind: "map-existing"; readonly pick: number; readonly writable: boolean }
  | { readonly kind: "unmap"; readonly domain: number; readonly pick: number }
  | { readonly kind: "end"; readonly domain: number; readonly reference: number; readonly deferred: boolean }
  | { readonly kind: "unbound"; readonly domain: number; readonly remote: number }
  | { readonly kind: "bind"; readonly domain: number; readonly remote: number; readonly port: number }
  | { readonly kind: "send"; readonly domain: number; readonly port: number }
  | { readonly kind: "close"; readonly domain: number; readonly port: number }
  | { readonly kind: "reset"; readonly domain: number }
  | { readonly kind: "destroy"; readonly domain: number };

const domainIds = [1, 2, 3];
/** Counts maps that succeeded across all runs, to show the generator reaches the interesting states. */
let successfulMaps = 0;
const domainArbitrary = fc.constantFrom(...domainIds);
// Weighted so that grants, maps and binds often line up (few frames, few references), while
// resets and destroys stay rare enough for state to build up between them.
const frameArbitrary = fc.integer({ min: 0, max: 3 });
const referenceArbitrary = fc.integer({ min: 7, max: 11 });
const portArbitrary = fc.integer({ min: 1, max: 4 });
const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("allocate" as const), domain: domainArbitrary, count: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("free" as const), domain: domainArbitrary, frame: frameArbitrary }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("grant" as const), domain: domainArbitrary, grantee: domainArbitrary, frame: frameArbitrary, readonly: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("map" as const), domain: domainArbitrary, granter: domainArbitrary, reference: referenceArbitrary, writable: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("map-existing" as const), pick: fc.nat(20), writable: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("unmap" as const), domain: domainArbitrary, pick: fc.nat(10) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("end" as const), domain: domainArbitrary, reference: referenceArbitrary, deferred: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("unbound" as const), domain: domainArbitrary, remote: domainArbitrary }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("bind" as const), domain: domainArbitrary, remote: domainArbitrary, port: portArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("send" as const), domain: domainArbitrary, port: portArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("close" as const), domain: domainArbitrary, port: portArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reset" as const), domain: domainArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("destroy" as const), domain: domainArbitrary }) },
);

function apply(hypervisor: Hypervisor, operation: Operation): void {
  if (operation.kind === "map-existing") {
    // Maps a grant that exists, as its grantee: the path the random "map" rarely finds.
    const granted = hypervisor.listDomains().flatMap((granter) => {
      const table = granter.grantTable;
      const entries: { granter: number; reference: number; grantee: number }[] = [];
      for (let reference = 8; reference < table.capacity; reference += 1) {
        if (table.isPermitAccess(reference)) entries.push({ granter: granter.id, reference, grantee: table.granteeDomainIds[reference] ?? 0 });
      }
      return entries;
    });
    const chosen = granted[operation.pick % Math.max(1, granted.length)];
    if (chosen !== undefined && hypervisor.mapGrant(chosen.grantee, chosen.granter, chosen.reference, operation.writable).ok) successfulMaps += 1;
    return;
  }
  const domain = hypervisor.findDomain(operation.domain);
  switch (operation.kind) {
    case "allocate":
      hypervisor.allocatePages(operation.domain, operation.count);
      return;
    case "free":
      hypervisor.freePages(operation.domain, operation.frame);
      return;
    case "grant":
      hypervisor.grantAccess(operation.domain, operation.grantee, operation.frame, operation.readonly);
      return;
    case "map":
      if (hypervisor.mapGrant(operation.domain, operation.granter, operation.reference, operation.writable).ok) successfulMaps += 1;
      return;
    case "unmap": {
      const handles = domain === undefined ? [] : [...domain.grantMappings.keys()];
      hypervisor.unmapGrant(operation.domain, handles.length === 0 ? 12345 : (handles[operation.pick % handles.length] as number));
      return;
    }
    case "end":
      if (operation.deferred) hypervisor.endAccessDeferred(operation.domain, operation.reference);
      else hypervisor.endAccess(operation.domain, operation.reference);
      return;
    case "unbound":
      hypervisor.allocateUnboundPort(operation.domain, operation.remote);
      return;
    case "bind":
      hypervisor.bindInterdomain(operation.domain, operation.remote, operation.port);
      return;
    case "send":
      hypervisor.sendEvent(operation.domain, operation.port);
      return;
    case "close":
      hypervisor.closePort(operation.domain, operation.port);
      return;
    case "reset":
      hypervisor.resetDomain(operation.domain);
      return;
    case "destroy":
      hypervisor.destroyDomain(operation.domain);
      return;
    default: {
      const unreachable: never = operation;
      throw new Error(`unknown operation ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Checks the bookkeeping against the mappings that exist; one comparison per domain keeps it fast. */
function checkInvariants(hypervisor: Hypervisor, everyDomain: readonly Domain[]): void {
  const mappings = hypervisor.listDomains().flatMap((domain) => [...domain.grantMappings.values()]);
  for (const granter of everyDomain) {
    // Foreign pins of each frame equal the mappings of that frame, whatever the table epoch.
    const expectedFramePins = new Array<number>(granter.memory.frameCount).fill(0);
    for (const mapping of mappings) if (mapping.granter === granter) expectedFramePins[mapping.frame] = (expectedFramePins[mapping.frame] ?? 0) + 1;
    const actualFramePins = expectedFramePins.map((_, frame) => granter.memory.countForeignMappings(frame));
    expect(actualFramePins).toEqual(expectedFramePins);
    if (!granter.isLive) continue;
    const table = granter.grantTable;
    const expectedEntries: string[] = [];
    const actualEntries: string[] = [];
    for (let reference = 0; reference < table.capacity; reference += 1) {
      const current = mappings.filter((mapping) => mapping.granter === granter && mapping.reference === reference && mapping.granterEpoch === table.epoch);
      const readers = current.filter((mapping) => !mapping.writable).length;
      const writers = current.length - readers;
      expectedEntries.push(`${reference}: pins ${readers}/${writers} reading ${current.length > 0} writing ${writers > 0} granted ${current.length > 0 || table.isPermitAccess(reference)}`);
      const flags = table.flags[reference] ?? 0;
      actualEntries.push(
        `${reference}: pins ${table.readPins[reference]}/${table.writePins[reference]} reading ${(flags & GrantEntryFlag.reading) !== 0} writing ${(flags & GrantEntryFlag.writing) !== 0} granted ${table.isPermitAccess(reference)}`,
      );
    }
    expect(actualEntries).toEqual(expectedEntries);
  }
  // Only live domains hold mappings; a dying domain is kept alive only by parked frames.
  for (const domain of hypervisor.listDomains()) {
    if (!domain.isLive) expect([domain.grantMappings.size, domain.memory.countDeferredFrames() > 0]).toEqual([0, true]);
  }
  // Interdomain ports always point at each other.
  const eventTable = hypervisor.eventChannelTable;
  for (const domain of hypervisor.listDomains()) {
    for (let port = 1; port < eventTable.portsPerDomain; port += 1) {
      if (eventTable.stateOf(domain.eventTableSlot, port) !== PortState.interdomain) continue;
      const remoteSlot = eventTable.remoteSlotOf(domain.eventTableSlot, port);
      const remotePort = eventTable.remotePortOf(domain.eventTableSlot, port);
      const pointsBack =
        eventTable.stateOf(remoteSlot, remotePort) === PortState.interdomain &&
        eventTable.remoteSlotOf(remoteSlot, remotePort) === domain.eventTableSlot &&
        eventTable.remotePortOf(remoteSlot, remotePort) === port;
      expect(pointsBack, `port ${port} of domain ${domain.id} and its peer disagree`).toBe(true);
    }
  }
}

describe("hypervisor bookkeeping under random operations", () => {
  it("keeps pins, flags, parked frames and port pairs consistent, and tears down to nothing", () => {
    fc.assert(
      fc.property(fc.array(operationArbitrary, { minLength: 20, maxLength: 60 }), (operations) => {
        const hypervisor = new Hypervisor({ limits: { portsPerDomain: 8, grantEntriesPerDomain: 15, defaultFramesPerDomain: 8 } });
        const everyDomain = domainIds.map((id) => hypervisor.createDomain({ id }));
        // Every domain starts with frames 0..3 in use, so that most grants name a real frame.
        for (const id of domainIds) hypervisor.allocatePages(id, 4);
        for (const operation of operations) {
          apply(hypervisor, operation);
          checkInvariants(hypervisor, everyDomain);
        }
        for (const id of domainIds) hypervisor.destroyDomain(id);
        expect(hypervisor.listDomains()).toEqual([]);
        for (const domain of everyDomain) {
          expect(domain.lifecycle).toBe("dead");
          expect(domain.memory.countFreeFrames()).toBe(domain.memory.frameCount);
          expect(hypervisor.eventChannelTable.countOpenPorts(domain.eventTableSlot)).toBe(0);
        }
      }),
      { numRuns: 100 },
    );
    expect(successfulMaps, `successful maps across all runs: ${successfulMaps}`).toBeGreaterThan(50);
  });
});
