// Many interleaved clients against one store: conflicting transactions, watch storms and
// connections closing mid-transaction, with the tree's invariants checked at the end.

import { describe, expect, it } from "vitest";
import { StoreClient } from "../../runtime/store/store-client.js";
import type { XenStore } from "../../runtime/store/store.js";
import { createStoreFixture, expectOk } from "./store-fixture.js";

/** Parents exist and list their children, children exist, and owned-node counts add up. */
function expectTreeInvariants(store: XenStore): void {
  const inspector = StoreClient.connect(store, { domainId: 0, privileged: true });
  const paths = new Set(store.listNodePaths());
  const owned = new Map<number, number>();
  for (const path of paths) {
    if (path !== "/") {
      const parent = path.slice(0, Math.max(1, path.lastIndexOf("/")));
      expect(paths.has(parent), path).toBe(true);
      expect(expectOk(inspector.directory(parent))).toContain(path.slice(path.lastIndexOf("/") + 1));
    }
    for (const child of expectOk(inspector.directory(path))) expect(paths.has(path === "/" ? `/${child}` : `${path}/${child}`)).toBe(true);
    const owner = expectOk(inspector.getPermissions(path))[0]!.domainId;
    owned.set(owner, (owned.get(owner) ?? 0) + 1);
  }
  for (const [domainId, count] of owned) expect(store.countNodesOwnedBy(domainId), `domain ${domainId}`).toBe(count);
  inspector.close();
}

describe("store under many interleaved clients", () => {
  it("counts exactly with 64 clients incrementing one counter through conflicting transactions", () => {
    const fixture = createStoreFixture();
    expectOk(fixture.toolstack.write("/counter", "0"));
    const clients = Array.from({ length: 64 }, () => StoreClient.connect(fixture.store, { domainId: 0, privileged: true }));
    const remaining = clients.map(() => 2);
    let commits = 0;
    let conflicts = 0;
    while (remaining.some((count) => count > 0)) {
      // Every client with work left starts, reads and writes before any of them commits.
      const round = clients.flatMap((client, index) => {
        if (remaining[index] === 0) return [];
        const transaction = expectOk(client.startTransaction());
        const value = Number(expectOk(client.readText("/counter", transaction)));
        expectOk(client.write("/counter", String(value + 1), transaction));
        return [{ client, index, transaction }];
      });
      for (const { client, index, transaction } of round) {
        const ended = client.endTransaction(transaction, true);
        if (ended.ok) {
          commits++;
          remaining[index]!--;
        } else {
          expect(ended.error).toBe("EAGAIN");
          conflicts++;
        }
      }
    }
    expect(commits).toBe(128);
    expect(conflicts).toBeGreaterThan(0);
    expect(expectOk(fixture.toolstack.readText("/counter"))).toBe("128");
    expectTreeInvariants(fixture.store);
  });

  it("delivers a watch storm to exactly the watchers entitled to each event, in order", () => {
    const fixture = createStoreFixture({ quotas: { watchesPerDomain: 1000 } });
    expectOk(fixture.toolstack.mkdir("/storm/open"));
    expectOk(fixture.toolstack.mkdir("/storm/closed"));
    expectOk(fixture.toolstack.setPermissions("/storm/open", [{ domainId: 0, access: "r" }]));
    expectOk(fixture.toolstack.setPermissions("/storm/closed", [{ domainId: 0, access: "n" }]));
    const watchers = Array.from({ length: 16 }, (_, index) => {
      const privileged = index % 4 === 0;
      const client = privileged ? StoreClient.connect(fixture.store, { domainId: 0, privileged: true, maximumPendingWatchEvents: 10_000 }) : fixture.guest(10 + index);
      const path = index % 2 === 0 ? "/storm" : "/storm/open";
      expectOk(client.watch(path, `w${index}`));
      client.takeWatchEvents();
      return { client, path, privileged, token: `w${index}` };
    });
    const writes: string[] = [];
    for (let index = 0; index < 400; index++) {
      const path = `/storm/${index % 3 === 0 ? "closed" : "open"}/key-${index % 50}`;
      writes.push(path);
      expectOk(fixture.toolstack.write(path, String(index)));
    }
    for (const watcher of watchers) {
      const expected = writes
        .filter((path) => path.startsWith(`${watcher.path}/`))
        .filter((path) => watcher.privileged || path.startsWith("/storm/open/"))
        .map((path) => ({ path, token: watcher.token }));
      expect(watcher.client.takeWatchEvents()).toEqual(expected);
    }
    expectTreeInvariants(fixture.store);
  });

  it("keeps the tree consistent when connections close, reset and release mid-transaction", () => {
    const fixture = createStoreFixture();
    const guests = [1, 2, 3, 4].map((domainId) => fixture.guest(domainId));
    for (const [index, guest] of guests.entries()) {
      expectOk(guest.write(`committed/${index}`, "x"));
      expectOk(guest.watch("committed", "t"));
    }
    const transactions = guests.map((guest, index) => {
      const transaction = expectOk(guest.startTransaction());
      for (let key = 0; key < 10; key++) expectOk(guest.write(`pending/${key}`, String(index), transaction));
      return transaction;
    });
    guests[0]!.close();
    expectOk(guests[1]!.resetWatches());
    expectOk(fixture.toolstack.releaseDomain(3));
    expectOk(guests[3]!.endTransaction(transactions[3]!, true));
    expect(fixture.toolstack.read("/local/domain/1/pending").ok).toBe(false);
    expect(fixture.toolstack.read("/local/domain/2/pending").ok).toBe(false);
    expect(fixture.toolstack.read("/local/domain/3").ok).toBe(false);
    expect(expectOk(fixture.toolstack.directory("/local/domain/4/pending"))).toHaveLength(10);
    // Closed, reset and released connections hold no watches: their quota is free again.
    const reopened = fixture.guest(1);
    expectOk(reopened.watch("committed", "t"));
    expectTreeInvariants(fixture.store);
  });
});
