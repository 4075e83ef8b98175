import { describe, expect, it } from "vitest";
import { defaultStoreQuotas } from "../../runtime/store/quotas.js";
import { createStoreFixture, errorOf, expectOk } from "./store-fixture.js";

describe("store quota rules", () => {
  it("uses Xen's defaults", () => {
    expect(defaultStoreQuotas).toEqual({
      nodesPerDomain: 1000,
      watchesPerDomain: 128,
      transactionsPerConnection: 10,
      nodeValueBytes: 2048,
      permissionsPerNode: 5,
      outstandingRequestsPerConnection: 20,
    });
    expect(createStoreFixture({ quotas: { watchesPerDomain: 3 } }).store.effectiveQuotas.watchesPerDomain).toBe(3);
  });

  it("limits the nodes a domain owns with ENOSPC", () => {
    const fixture = createStoreFixture({ quotas: { nodesPerDomain: 5 } });
    const guest = fixture.guest(1);
    // The home directory counts as one of the domain's nodes.
    for (let index = 0; index < 4; index++) expectOk(guest.write(`n${index}`, "x"));
    expect(errorOf(guest.write("n4", "x"))).toBe("ENOSPC");
    expectOk(guest.remove("n0"));
    expectOk(guest.write("n4", "x"));
  });

  it("counts missing parents against the node quota before creating any", () => {
    const fixture = createStoreFixture({ quotas: { nodesPerDomain: 3 } });
    const guest = fixture.guest(1);
    expect(errorOf(guest.write("a/b/c", "x"))).toBe("ENOSPC");
    expect(errorOf(guest.read("a"))).toBe("ENOENT");
  });

  it("limits watches per domain with E2BIG", () => {
    const fixture = createStoreFixture({ quotas: { watchesPerDomain: 2 } });
    const guest = fixture.guest(1);
    expectOk(guest.watch("a", "1"));
    expectOk(guest.watch("b", "2"));
    expect(errorOf(guest.watch("c", "3"))).toBe("E2BIG");
    expectOk(guest.unwatch("a", "1"));
    expectOk(guest.watch("c", "3"));
  });

  it("limits open transactions per connection with ENOSPC", () => {
    const fixture = createStoreFixture({ quotas: { transactionsPerConnection: 2 } });
    const guest = fixture.guest(1);
    const first = expectOk(guest.startTransaction());
    expectOk(guest.startTransaction());
    expect(errorOf(guest.startTransaction())).toBe("ENOSPC");
    expectOk(guest.endTransaction(first, false));
    expectOk(guest.startTransaction());
  });

  it("limits the value size with ENOSPC", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(guest.write("max", "x".repeat(2048)));
    expect(errorOf(guest.write("big", "x".repeat(2049)))).toBe("ENOSPC");
  });

  it("limits permission entries per node with ENOSPC", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(guest.write("p", "x"));
    const five = [1, 2, 3, 4, 5].map((domainId) => ({ domainId, access: "r" as const }));
    expectOk(guest.setPermissions("p", five));
    expect(errorOf(guest.setPermissions("p", [...five, { domainId: 6, access: "r" }]))).toBe("ENOSPC");
  });

  it("does not apply quotas to privileged connections", () => {
    const fixture = createStoreFixture({ quotas: { nodesPerDomain: 1, watchesPerDomain: 1, transactionsPerConnection: 1 } });
    for (let index = 0; index < 5; index++) expectOk(fixture.toolstack.write(`/free/${index}`, "x".repeat(3000)));
    expectOk(fixture.toolstack.watch("/a", "1"));
    expectOk(fixture.toolstack.watch("/b", "2"));
    expectOk(fixture.toolstack.startTransaction());
    expectOk(fixture.toolstack.startTransaction());
  });

  it("gives a domain's watch quota back when its connection closes", () => {
    const fixture = createStoreFixture({ quotas: { watchesPerDomain: 1 } });
    const first = fixture.guest(1);
    expectOk(first.watch("a", "1"));
    first.close();
    const second = fixture.guest(1);
    expectOk(second.watch("a", "1"));
  });
});

describe("store quota requests (GET_QUOTA, SET_QUOTA)", () => {
  it("lists the supported quota names", () => {
    const { toolstack } = createStoreFixture();
    expect(expectOk(toolstack.listQuotaNames())).toEqual(["nodes", "watches", "transactions", "node-size", "permissions", "outstanding"]);
  });

  it("reads global and per-domain values", () => {
    const fixture = createStoreFixture({ quotas: { nodesPerDomain: 77 } });
    fixture.guest(1);
    expect(expectOk(fixture.toolstack.getQuota("nodes"))).toBe(77);
    expect(expectOk(fixture.toolstack.getQuota("node-size", 1))).toBe(2048);
  });

  it("changes one domain's quota without touching the others", () => {
    const fixture = createStoreFixture();
    const limited = fixture.guest(1);
    const other = fixture.guest(2);
    expectOk(fixture.toolstack.setQuota("watches", 1, 1));
    expectOk(limited.watch("a", "1"));
    expect(errorOf(limited.watch("b", "2"))).toBe("E2BIG");
    expectOk(other.watch("a", "1"));
    expectOk(other.watch("b", "2"));
    expect(expectOk(fixture.toolstack.getQuota("watches", 1))).toBe(1);
    expect(expectOk(fixture.toolstack.getQuota("watches"))).toBe(128);
  });

  it("changes the global default for domains without their own setting", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(fixture.toolstack.setQuota("node-size", 4));
    expectOk(guest.write("small", "1234"));
    expect(errorOf(guest.write("large", "12345"))).toBe("ENOSPC");
  });

  it("treats 0 as no limit", () => {
    const fixture = createStoreFixture({ quotas: { nodeValueBytes: 0 } });
    const guest = fixture.guest(1);
    expectOk(guest.write("huge", "x".repeat(4000)));
  });

  it("keeps quota requests to privileged connections", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expect(errorOf(guest.getQuota("nodes"))).toBe("EACCES");
    expect(errorOf(guest.setQuota("nodes", 100000, 1))).toBe("EACCES");
  });

  it("rejects unknown quota names, bad values and unknown domains", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.getQuota("constructor"))).toBe("EINVAL");
    expect(errorOf(toolstack.setQuota("nodes", -1))).toBe("EINVAL");
    expect(errorOf(toolstack.getQuota("nodes", 42))).toBe("ENOENT");
    expect(errorOf(toolstack.setQuota("nodes", 5, 42))).toBe("ENOENT");
  });
});
