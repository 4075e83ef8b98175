import { describe, expect, it } from "vitest";
import { createStoreFixture, errorOf, expectOk } from "./store-fixture.js";

describe("store domain lifecycle", () => {
  it("introduces and reports domains", () => {
    const { toolstack } = createStoreFixture();
    expect(expectOk(toolstack.isDomainIntroduced(5))).toBe(false);
    expectOk(toolstack.introduceDomain(5, 4096n, 3));
    expect(expectOk(toolstack.isDomainIntroduced(5))).toBe(true);
    expect(expectOk(toolstack.isDomainIntroduced(0))).toBe(true);
  });

  it("keeps INTRODUCE, RELEASE and IS_DOMAIN_INTRODUCED to privileged connections", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expect(errorOf(guest.introduceDomain(5, 4096n, 3))).toBe("EACCES");
    expect(errorOf(guest.releaseDomain(1))).toBe("EACCES");
    expect(errorOf(guest.isDomainIntroduced(1))).toBe("EACCES");
  });

  it("answers ENOENT for releasing a domain that was never introduced", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.releaseDomain(77))).toBe("ENOENT");
  });

  it("passes INTRODUCE's ring frame and port to the transports", () => {
    const fixture = createStoreFixture();
    const seen: string[] = [];
    fixture.store.onDomainIntroduced((introduction) => {
      seen.push(`${introduction.domainId}:${introduction.ringFrame}:${introduction.eventChannelPort}`);
    });
    expectOk(fixture.toolstack.introduceDomain(6, 123456789012n, 9));
    expect(seen).toEqual(["6:123456789012:9"]);
  });

  it("fails INTRODUCE, recording nothing, when a transport cannot attach the ring", () => {
    const fixture = createStoreFixture();
    expectOk(fixture.toolstack.watch("@introduceDomain", "i"));
    fixture.toolstack.takeWatchEvents();
    fixture.store.onDomainIntroduced((introduction) => (introduction.ringFrame === 0n ? "EINVAL" : undefined));
    expect(errorOf(fixture.toolstack.introduceDomain(6, 0n, 9))).toBe("EINVAL");
    expect(expectOk(fixture.toolstack.isDomainIntroduced(6))).toBe(false);
    expect(fixture.toolstack.takeWatchEvents()).toEqual([]);
    expectOk(fixture.toolstack.introduceDomain(6, 1n, 9));
    expect(fixture.toolstack.takeWatchEvents()).toEqual([{ path: "@introduceDomain", token: "i" }]);
  });

  it("announces a re-introduced domain only once", () => {
    const fixture = createStoreFixture();
    expectOk(fixture.toolstack.watch("@introduceDomain", "i"));
    fixture.toolstack.takeWatchEvents();
    expectOk(fixture.toolstack.introduceDomain(6, 1n, 9));
    expectOk(fixture.toolstack.introduceDomain(6, 1n, 10));
    expect(fixture.toolstack.takeWatchEvents()).toHaveLength(1);
  });

  it("removes the nodes a released domain owns", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(3);
    expectOk(guest.write("data/a", "1"));
    expectOk(fixture.toolstack.releaseDomain(3));
    expect(errorOf(fixture.toolstack.read("/local/domain/3"))).toBe("ENOENT");
    expect(fixture.store.countNodesOwnedBy(3)).toBe(0);
    expect(expectOk(fixture.toolstack.isDomainIntroduced(3))).toBe(false);
  });

  it("removes a released domain's entries from other nodes' permissions", () => {
    const fixture = createStoreFixture();
    fixture.guest(3);
    expectOk(fixture.toolstack.write("/shared", "x"));
    expectOk(fixture.toolstack.setPermissions("/shared", [{ domainId: 0, access: "n" }, { domainId: 3, access: "b" }, { domainId: 4, access: "r" }]));
    expectOk(fixture.toolstack.releaseDomain(3));
    expect(expectOk(fixture.toolstack.getPermissions("/shared"))).toEqual([{ domainId: 0, access: "n" }, { domainId: 4, access: "r" }]);
  });

  it("fires watches of removed nodes and @releaseDomain on release", () => {
    const fixture = createStoreFixture();
    fixture.guest(3);
    expectOk(fixture.toolstack.watch("/local/domain/3", "home"));
    expectOk(fixture.toolstack.watch("@releaseDomain", "rel"));
    fixture.toolstack.takeWatchEvents();
    expectOk(fixture.toolstack.releaseDomain(3));
    expect(fixture.toolstack.takeWatchEvents()).toEqual([
      { path: "/local/domain/3", token: "home" },
      { path: "@releaseDomain", token: "rel" },
    ]);
  });

  it("closes the released domain's connections and tells the transports", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(3);
    const released: number[] = [];
    fixture.store.onDomainReleased((domainId) => released.push(domainId));
    expectOk(guest.watch("x", "t"));
    expectOk(fixture.toolstack.releaseDomain(3));
    expect(released).toEqual([3]);
    expect(errorOf(guest.read("x"))).toBe("EINVAL");
  });

  it("refuses to release domain 0", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.releaseDomain(0))).toBe("EINVAL");
  });
});

describe("store request observers", () => {
  it("see every request of every connection with its reply, in order", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    const seen: string[] = [];
    const stop = fixture.store.onRequestHandled(({ domainId, reply }) => {
      seen.push(`${domainId}:${reply.type}:${Buffer.from(reply.payload).toString("latin1")}`);
    });
    expectOk(guest.write("k", "v"));
    expect(errorOf(guest.read("/tool/x"))).toBe("EACCES");
    expectOk(fixture.toolstack.readText("/local/domain/1/k"));
    stop();
    expectOk(guest.write("k", "w"));
    expect(seen).toEqual(["1:11:OK\0", "1:16:EACCES\0", "0:2:v"]);
  });
});
