// Observation: subscribers see every operation as a typed record; with nobody subscribed no
// record is built at all.
import { describe, it, expect } from "vitest";
import { Hypervisor, type HypervisorOperation } from "../../../runtime/hypervisor/index.js";

function exercise(hypervisor: Hypervisor): void {
  const a = hypervisor.createDomain({ labels: ["a"] }).id;
  const b = hypervisor.createDomain({ labels: ["b"], privileged: true }).id;
  const frame = hypervisor.allocatePages(a) as number;
  const grant = hypervisor.grantAccess(a, b, frame, false);
  if (!grant.ok) throw new Error(grant.reason);
  const mapped = hypervisor.mapGrant(b, a, grant.reference, true);
  if (!mapped.ok) throw new Error(mapped.reason);
  hypervisor.mapGrant(a, a, grant.reference, true);
  hypervisor.unmapGrant(b, mapped.handle);
  hypervisor.endAccess(a, grant.reference);
  const port = hypervisor.allocateUnboundPort(a, b);
  if (!port.ok) throw new Error(port.reason);
  const bound = hypervisor.bindInterdomain(b, a, port.port);
  if (!bound.ok) throw new Error(bound.reason);
  hypervisor.sendEvent(a, port.port);
  hypervisor.closePort(a, port.port);
  hypervisor.sendEvent(a, port.port);
  hypervisor.pauseDomain(b);
  hypervisor.unpauseDomain(b);
  hypervisor.freePages(a, frame);
  hypervisor.destroyDomain(b);
}

describe("hypervisor observation", () => {
  it("publishes each operation, refusals included, as a typed record in order", () => {
    const hypervisor = new Hypervisor();
    const seen: HypervisorOperation[] = [];
    hypervisor.observation.subscribe((operation) => seen.push(operation));
    exercise(hypervisor);
    expect(seen.map((operation) => operation.kind)).toEqual([
      "domain-created",
      "domain-created",
      "pages-allocated",
      "grant-access",
      "grant-map",
      "grant-refused",
      "grant-unmap",
      "grant-end-access",
      "evtchn-alloc-unbound",
      "evtchn-bind-interdomain",
      "evtchn-send",
      "evtchn-close",
      "evtchn-refused",
      "domain-paused",
      "domain-unpaused",
      "pages-freed",
      "evtchn-close",
      "domain-destroyed",
      "domain-released",
    ]);
    expect(seen[4]).toMatchObject({ kind: "grant-map", mapper: 2, granter: 1, reference: 8, writable: true });
    expect(seen[5]).toMatchObject({ kind: "grant-refused", operation: "map", caller: 1 });
  });

  it("builds no record when nobody subscribes, and stops delivering after unsubscribe", () => {
    const hypervisor = new Hypervisor();
    hypervisor.observation.publish = () => {
      throw new Error("a record was published with no subscriber");
    };
    expect(() => exercise(hypervisor)).not.toThrow();

    const other = new Hypervisor();
    let count = 0;
    const unsubscribe = other.observation.subscribe(() => (count += 1));
    other.createDomain();
    unsubscribe();
    other.createDomain();
    expect(count).toBe(1);
    expect(other.observation.active).toBe(false);
  });
});
