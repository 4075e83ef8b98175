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

  it("keeps INTRODUCE and RELEASE to privileged connections", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expect(errorOf(guest.introduceDomain(5, 4096n, 3))).toBe("EACCES");
    expect(errorOf(guest.releaseDomain(1))).toBe("EACCES");
  });

  it("answers ENOENT for releasing a domain that was never introduced", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.releaseDomain(77))).toBe("ENOENT");
  });

  it("passes INTRODUCE's ring frame and port to the transports", () => {
    const fixture = createStoreFixture();
    const seen: string[] = [];
    fixture.store.onDomainIntroduced((introduction) => seen.push(`${introduction.domainId}:${introduction.ringFrame}:${introduction.eventChannelPort}`));
    expectOk(fixture.toolstack.introduceDomain(6, 123456789012n, 9));
    expect(seen).toEqual(["6:123456789012:9"]);
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
