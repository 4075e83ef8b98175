import { describe, expect, it } from "vitest";
import { StoreClient } from "../../runtime/store/store-client.js";
import { createStoreFixture, errorOf, expectOk } from "./store-fixture.js";

describe("store transaction rules", () => {
  it("applies a transaction's changes on commit", () => {
    const { toolstack } = createStoreFixture();
    const transaction = expectOk(toolstack.startTransaction());
    expectOk(toolstack.write("/t/a", "1", transaction));
    expect(errorOf(toolstack.read("/t/a"))).toBe("ENOENT");
    expect(expectOk(toolstack.readText("/t/a", transaction))).toBe("1");
    expectOk(toolstack.endTransaction(transaction, true));
    expect(expectOk(toolstack.readText("/t/a"))).toBe("1");
  });

  it("discards everything on abort", () => {
    const { toolstack } = createStoreFixture();
    const transaction = expectOk(toolstack.startTransaction());
    expectOk(toolstack.write("/t/a", "1", transaction));
    expectOk(toolstack.endTransaction(transaction, false));
    expect(errorOf(toolstack.read("/t"))).toBe("ENOENT");
  });

  it("fails the commit with EAGAIN, applying nothing, when a read node changed", () => {
    const fixture = createStoreFixture();
    const other = fixture.guest(1);
    expectOk(fixture.toolstack.write("/local/domain/1/counter", "1"));
    const transaction = expectOk(fixture.toolstack.startTransaction());
    expect(expectOk(fixture.toolstack.readText("/local/domain/1/counter", transaction))).toBe("1");
    expectOk(fixture.toolstack.write("/local/domain/1/other", "x", transaction));
    expectOk(other.write("counter", "2"));
    expect(errorOf(fixture.toolstack.endTransaction(transaction, true))).toBe("EAGAIN");
    expect(errorOf(fixture.toolstack.read("/local/domain/1/other"))).toBe("ENOENT");
  });

  it("conflicts when an absent node it looked up was created meanwhile", () => {
    const { toolstack } = createStoreFixture();
    const transaction = expectOk(toolstack.startTransaction());
    expect(errorOf(toolstack.read("/lock", transaction))).toBe("ENOENT");
    expectOk(toolstack.write("/result", "mine", transaction));
    expectOk(toolstack.write("/lock", "someone-else"));
    expect(errorOf(toolstack.endTransaction(transaction, true))).toBe("EAGAIN");
    expect(errorOf(toolstack.read("/result"))).toBe("ENOENT");
  });

  it("conflicts when a listed directory gained a child", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.mkdir("/dir"));
    const transaction = expectOk(toolstack.startTransaction());
    expect(expectOk(toolstack.directory("/dir", transaction))).toEqual([]);
    expectOk(toolstack.write("/summary", "0", transaction));
    expectOk(toolstack.mkdir("/dir/new"));
    expect(errorOf(toolstack.endTransaction(transaction, true))).toBe("EAGAIN");
  });

  it("commits when only unrelated nodes changed", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.write("/mine", "1"));
    const transaction = expectOk(toolstack.startTransaction());
    expectOk(toolstack.readText("/mine", transaction));
    expectOk(toolstack.write("/mine", "2", transaction));
    expectOk(toolstack.write("/unrelated", "x"));
    expectOk(toolstack.endTransaction(transaction, true));
    expect(expectOk(toolstack.readText("/mine"))).toBe("2");
  });

  it("lets exactly one of two conflicting read-modify-write transactions commit", () => {
    const fixture = createStoreFixture();
    const first = fixture.toolstack;
    const second = fixture.guest(1);
    expectOk(first.write("/local/domain/1/n", "0"));
    const firstTransaction = expectOk(first.startTransaction());
    const secondTransaction = expectOk(second.startTransaction());
    const firstValue = Number(expectOk(first.readText("/local/domain/1/n", firstTransaction)));
    const secondValue = Number(expectOk(second.readText("n", secondTransaction)));
    expectOk(first.write("/local/domain/1/n", String(firstValue + 1), firstTransaction));
    expectOk(second.write("n", String(secondValue + 1), secondTransaction));
    expectOk(first.endTransaction(firstTransaction, true));
    expect(errorOf(second.endTransaction(secondTransaction, true))).toBe("EAGAIN");
    expect(expectOk(first.readText("/local/domain/1/n"))).toBe("1");
  });

  it("retries on EAGAIN through the transaction helper", () => {
    const { toolstack, store } = createStoreFixture();
    expectOk(toolstack.write("/n", "0"));
    let attempts = 0;
    const result = toolstack.transaction((transaction) => {
      attempts++;
      const value = Number(expectOk(toolstack.readText("/n", transaction)));
      // Interfere once, from another connection, so that the first commit conflicts.
      if (attempts === 1) {
        const interferer = StoreClient.connect(store, { domainId: 0, privileged: true });
        expectOk(interferer.write("/n", "10"));
      }
      return toolstack.write("/n", String(value + 1), transaction);
    });
    expect(result.ok).toBe(true);
    expect(attempts).toBe(2);
    expect(expectOk(toolstack.readText("/n"))).toBe("11");
  });

  it("fires a transaction's watch events only on a successful commit", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.watch("/ev", "t"));
    toolstack.takeWatchEvents();
    const aborted = expectOk(toolstack.startTransaction());
    expectOk(toolstack.write("/ev/a", "1", aborted));
    expectOk(toolstack.endTransaction(aborted, false));
    expect(toolstack.takeWatchEvents()).toEqual([]);
    const committed = expectOk(toolstack.startTransaction());
    expectOk(toolstack.write("/ev/b", "1", committed));
    expect(toolstack.takeWatchEvents()).toEqual([]);
    expectOk(toolstack.endTransaction(committed, true));
    expect(toolstack.takeWatchEvents()).toEqual([{ path: "/ev/b", token: "t" }]);
  });

  it("fires no events for a commit that failed with EAGAIN", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.watch("/ev", "t"));
    const transaction = expectOk(toolstack.startTransaction());
    expect(errorOf(toolstack.read("/ev", transaction))).toBe("ENOENT");
    expectOk(toolstack.write("/ev/x", "1", transaction));
    expectOk(toolstack.write("/ev", "conflict"));
    toolstack.takeWatchEvents();
    expect(errorOf(toolstack.endTransaction(transaction, true))).toBe("EAGAIN");
    expect(toolstack.takeWatchEvents()).toEqual([]);
  });

  it("answers EBUSY for a nested TRANSACTION_START", () => {
    const { toolstack } = createStoreFixture();
    const transaction = expectOk(toolstack.startTransaction());
    const reply = toolstack.connection.handle({ type: 6, requestId: 9, transactionId: transaction, payload: new Uint8Array([0]) });
    expect(new TextDecoder().decode(reply.payload)).toBe("EBUSY\0");
  });

  it("answers ENOENT for an unknown transaction id, whatever the request", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.read("/", 4242))).toBe("ENOENT");
    expect(errorOf(toolstack.endTransaction(4242, true))).toBe("ENOENT");
    const reply = toolstack.connection.handle({ type: 10, requestId: 1, transactionId: 4242, payload: new TextEncoder().encode("1\0") });
    expect(new TextDecoder().decode(reply.payload)).toBe("ENOENT\0");
  });

  it("ignores the transaction id of WATCH and UNWATCH", () => {
    const { toolstack } = createStoreFixture();
    const reply = toolstack.connection.handle({ type: 4, requestId: 1, transactionId: 4242, payload: new TextEncoder().encode("/w\0t\0") });
    expect(new TextDecoder().decode(reply.payload)).toBe("OK\0");
  });

  it("keeps transactions private to their connection", () => {
    const fixture = createStoreFixture();
    const other = fixture.guest(1);
    const transaction = expectOk(fixture.toolstack.startTransaction());
    expect(errorOf(other.read("/local/domain/1", transaction))).toBe("ENOENT");
  });

  it("ends a transaction once: a second END is ENOENT", () => {
    const { toolstack } = createStoreFixture();
    const transaction = expectOk(toolstack.startTransaction());
    expectOk(toolstack.endTransaction(transaction, true));
    expect(errorOf(toolstack.endTransaction(transaction, true))).toBe("ENOENT");
  });

  it("rejects an END argument other than T or F with EINVAL", () => {
    const { toolstack } = createStoreFixture();
    const transaction = expectOk(toolstack.startTransaction());
    const reply = toolstack.connection.handle({ type: 7, requestId: 1, transactionId: transaction, payload: new TextEncoder().encode("X\0") });
    expect(new TextDecoder().decode(reply.payload)).toBe("EINVAL\0");
  });

  it("removes and recreates nodes inside a transaction consistently", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.write("/rr/a/b", "old"));
    const transaction = expectOk(toolstack.startTransaction());
    expectOk(toolstack.remove("/rr/a", transaction));
    expect(errorOf(toolstack.read("/rr/a/b", transaction))).toBe("ENOENT");
    expectOk(toolstack.write("/rr/a/c", "new", transaction));
    expect(expectOk(toolstack.readText("/rr/a/b"))).toBe("old");
    expectOk(toolstack.endTransaction(transaction, true));
    expect(errorOf(toolstack.read("/rr/a/b"))).toBe("ENOENT");
    expect(expectOk(toolstack.directory("/rr/a"))).toEqual(["c"]);
  });
});
