import { describe, expect, it } from "vitest";
import { StoreClient } from "../../runtime/store/store-client.js";
import { createStoreFixture, errorOf, expectOk } from "./store-fixture.js";

describe("store watch rules", () => {
  it("fires once immediately on registration with the path as given", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(guest.watch("device", "tok"));
    expect(guest.takeWatchEvents()).toEqual([{ path: "device", token: "tok" }]);
  });

  it("fires for changes at the watched path and below it", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.watch("/w", "t"));
    toolstack.takeWatchEvents();
    expectOk(toolstack.write("/w", "1"));
    expectOk(toolstack.write("/w/a/b", "2"));
    expect(toolstack.takeWatchEvents()).toEqual([
      { path: "/w", token: "t" },
      { path: "/w/a/b", token: "t" },
    ]);
  });

  it("matches component-wise, not by string prefix", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.watch("/w", "t"));
    toolstack.takeWatchEvents();
    expectOk(toolstack.write("/wx", "1"));
    expect(toolstack.takeWatchEvents()).toEqual([]);
  });

  it("does not fire for changes above the watched path", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.mkdir("/up/down"));
    expectOk(toolstack.watch("/up/down", "t"));
    toolstack.takeWatchEvents();
    expectOk(toolstack.write("/up", "1"));
    expect(toolstack.takeWatchEvents()).toEqual([]);
  });

  it("fires watches on removed descendants with their own paths", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.write("/tree/a/b", "1"));
    expectOk(toolstack.watch("/tree/a/b", "deep"));
    expectOk(toolstack.watch("/tree", "top"));
    toolstack.takeWatchEvents();
    expectOk(toolstack.remove("/tree/a"));
    expect(toolstack.takeWatchEvents()).toEqual([
      { path: "/tree/a", token: "top" },
      { path: "/tree/a/b", token: "deep" },
    ]);
  });

  it("delivers events only to connections allowed to read the node", () => {
    const fixture = createStoreFixture();
    const reader = fixture.guest(1);
    const outsider = fixture.guest(2);
    expectOk(fixture.toolstack.mkdir("/watched"));
    expectOk(fixture.toolstack.setPermissions("/watched", [{ domainId: 0, access: "n" }, { domainId: 1, access: "r" }]));
    expectOk(reader.watch("/watched", "r"));
    expectOk(outsider.watch("/watched", "o"));
    reader.takeWatchEvents();
    outsider.takeWatchEvents();
    expectOk(fixture.toolstack.write("/watched/key", "v"));
    expect(reader.takeWatchEvents()).toEqual([{ path: "/watched/key", token: "r" }]);
    expect(outsider.takeWatchEvents()).toEqual([]);
  });

  it("uses the removed node's permissions for removal events", () => {
    const fixture = createStoreFixture();
    const outsider = fixture.guest(2);
    expectOk(fixture.toolstack.mkdir("/gone"));
    expectOk(outsider.watch("/gone", "o"));
    outsider.takeWatchEvents();
    expectOk(fixture.toolstack.remove("/gone"));
    expect(outsider.takeWatchEvents()).toEqual([]);
  });

  it("presents events of relative watches relative to the domain's home", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(4);
    expectOk(guest.watch("control", "c"));
    guest.takeWatchEvents();
    expectOk(fixture.toolstack.write("/local/domain/4/control/shutdown", "poweroff"));
    expect(guest.takeWatchEvents()).toEqual([{ path: "control/shutdown", token: "c" }]);
  });

  it("answers EEXIST for a duplicate watch", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.watch("/d", "t"));
    expect(errorOf(toolstack.watch("/d", "t"))).toBe("EEXIST");
    expectOk(toolstack.watch("/d", "other-token"));
  });

  it("answers ENOENT for unwatching an unknown watch", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.unwatch("/never", "t"))).toBe("ENOENT");
  });

  it("stops firing after UNWATCH", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.watch("/u", "t"));
    expectOk(toolstack.unwatch("/u", "t"));
    toolstack.takeWatchEvents();
    expectOk(toolstack.write("/u", "1"));
    expect(toolstack.takeWatchEvents()).toEqual([]);
  });

  it("fires @introduceDomain and @releaseDomain to privileged watchers", () => {
    const fixture = createStoreFixture();
    expectOk(fixture.toolstack.watch("@introduceDomain", "i"));
    expectOk(fixture.toolstack.watch("@releaseDomain", "r"));
    fixture.toolstack.takeWatchEvents();
    expectOk(fixture.toolstack.introduceDomain(9, 1234n, 5));
    expectOk(fixture.toolstack.releaseDomain(9));
    expect(fixture.toolstack.takeWatchEvents()).toEqual([
      { path: "@introduceDomain", token: "i" },
      { path: "@releaseDomain", token: "r" },
    ]);
  });

  it("does not tell unprivileged watchers about other domains coming and going", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(guest.watch("@releaseDomain", "r"));
    guest.takeWatchEvents();
    expectOk(fixture.toolstack.introduceDomain(9, 1234n, 5));
    expectOk(fixture.toolstack.releaseDomain(9));
    expect(guest.takeWatchEvents()).toEqual([]);
  });

  it("lets the toolstack open @releaseDomain to a chosen domain through SET_PERMS", () => {
    const fixture = createStoreFixture();
    const driverDomain = fixture.guest(2);
    const other = fixture.guest(1);
    expect(expectOk(fixture.toolstack.getPermissions("@releaseDomain"))).toEqual([{ domainId: 0, access: "n" }]);
    expectOk(fixture.toolstack.setPermissions("@releaseDomain", [{ domainId: 0, access: "n" }, { domainId: 2, access: "r" }]));
    expectOk(driverDomain.watch("@releaseDomain", "r"));
    expectOk(other.watch("@releaseDomain", "r"));
    driverDomain.takeWatchEvents();
    other.takeWatchEvents();
    expectOk(fixture.toolstack.introduceDomain(9, 1n, 1));
    expectOk(fixture.toolstack.releaseDomain(9));
    expect(driverDomain.takeWatchEvents()).toEqual([{ path: "@releaseDomain", token: "r" }]);
    expect(other.takeWatchEvents()).toEqual([]);
    expect(expectOk(driverDomain.getPermissions("@releaseDomain"))).toHaveLength(2);
  });

  it("keeps special nodes' permissions to their owner", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expect(errorOf(guest.getPermissions("@introduceDomain"))).toBe("EACCES");
    expect(errorOf(guest.setPermissions("@introduceDomain", [{ domainId: 1, access: "r" }]))).toBe("EACCES");
    expect(errorOf(fixture.toolstack.getPermissions("@noSuchSpecialNode"))).toBe("EINVAL");
  });

  it("removes a released domain's entries from the special nodes", () => {
    const fixture = createStoreFixture();
    fixture.guest(2);
    expectOk(fixture.toolstack.setPermissions("@introduceDomain", [{ domainId: 0, access: "n" }, { domainId: 2, access: "r" }]));
    expectOk(fixture.toolstack.releaseDomain(2));
    expect(expectOk(fixture.toolstack.getPermissions("@introduceDomain"))).toEqual([{ domainId: 0, access: "n" }]);
  });

  it("drops all of a connection's watches on RESET_WATCHES", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.watch("/a", "1"));
    expectOk(toolstack.watch("/b", "2"));
    expectOk(toolstack.resetWatches());
    toolstack.takeWatchEvents();
    expectOk(toolstack.write("/a", "x"));
    expect(toolstack.takeWatchEvents()).toEqual([]);
    expect(errorOf(toolstack.unwatch("/b", "2"))).toBe("ENOENT");
  });

  it("drops a closed connection's watches", () => {
    const fixture = createStoreFixture();
    const delivered: string[] = [];
    const listener = StoreClient.connect(fixture.store, { domainId: 0, privileged: true, onWatchEvent: (event) => delivered.push(event.path) });
    expectOk(listener.watch("/c", "t"));
    listener.close();
    expectOk(fixture.toolstack.write("/c", "x"));
    expect(delivered).toEqual(["/c"]);
  });

  it("bounds the pending watch events of a slow in-process reader", () => {
    const fixture = createStoreFixture();
    const slow = StoreClient.connect(fixture.store, { domainId: 0, privileged: true, maximumPendingWatchEvents: 10 });
    expectOk(slow.watch("/flood", "t"));
    for (let index = 0; index < 100; index++) expectOk(fixture.toolstack.write(`/flood/${index}`, "x"));
    expect(slow.takeWatchEvents()).toHaveLength(10);
    expect(slow.droppedWatchEventCount).toBe(91);
  });

  it("rejects malformed watch paths with EINVAL", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.watch("/a//b", "t"))).toBe("EINVAL");
    expect(errorOf(toolstack.watch("/a b", "t"))).toBe("EINVAL");
  });
});
