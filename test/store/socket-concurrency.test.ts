// Many socket clients at once: conflicting read-modify-write transactions, watch storms and
// random mixed traffic, with the store's invariants checked at the end.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { StoreRequestError, type StoreSocketClient, type StoreWatchEvent } from "../../runtime/store/socket-client.js";
import { findOrphanNodes, startInProcessDaemon, type InProcessDaemon } from "./support/in-process-daemon.js";

let daemon: InProcessDaemon | undefined;

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
});

/** Increments a counter in a transaction, retrying on EAGAIN; returns how many attempts failed. */
async function incrementInTransaction(client: StoreSocketClient, path: string): Promise<number> {
  for (let conflicts = 0; ; conflicts++) {
    const transaction = await client.startTransaction();
    const value = Number(await client.read(path, transaction));
    await client.write(path, String(value + 1), transaction);
    try {
      await client.endTransaction(transaction, true);
      return conflicts;
    } catch (error) {
      if (!(error instanceof StoreRequestError) || error.errorName !== "EAGAIN") throw error;
    }
  }
}

describe("store socket concurrency", () => {
  it("fails the second of two conflicting commits with EAGAIN and applies nothing of it", async () => {
    daemon = await startInProcessDaemon();
    const [first, second] = await Promise.all([daemon.connect(), daemon.connect()]);
    if (first === undefined || second === undefined) throw new Error("clients missing");
    await first.write("/conflict", "0");
    const firstTransaction = await first.startTransaction();
    const secondTransaction = await second.startTransaction();
    await first.read("/conflict", firstTransaction);
    await second.read("/conflict", secondTransaction);
    await first.write("/conflict", "first", firstTransaction);
    await second.write("/conflict", "second", secondTransaction);
    await second.write("/conflict-side-effect", "second", secondTransaction);
    await first.endTransaction(firstTransaction, true);
    await expect(second.endTransaction(secondTransaction, true)).rejects.toMatchObject({ errorName: "EAGAIN" });
    expect(await first.read("/conflict")).toBe("first");
    await expect(first.read("/conflict-side-effect")).rejects.toMatchObject({ errorName: "ENOENT" });
  });

  it("keeps every increment when 12 clients run read-modify-write transactions at once", async () => {
    daemon = await startInProcessDaemon();
    const current = daemon;
    const clients = await Promise.all(Array.from({ length: 12 }, () => current.connect()));
    await clients[0]?.write("/counter", "0");
    const perClient = 15;
    const conflicts = await Promise.all(
      clients.map(async (client) => {
        let total = 0;
        for (let round = 0; round < perClient; round++) total += await incrementInTransaction(client, "/counter");
        return total;
      }),
    );
    expect(await clients[0]?.read("/counter")).toBe(String(12 * perClient));
    // Interleaved clients on one counter must have collided at least once.
    expect(conflicts.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    expect(findOrphanNodes(current.store)).toEqual([]);
  });

  it("delivers every event of a watch storm exactly once to every watcher, and none elsewhere", async () => {
    daemon = await startInProcessDaemon();
    const current = daemon;
    const watchers = await Promise.all(Array.from({ length: 8 }, () => current.connect()));
    const writers = await Promise.all(Array.from({ length: 8 }, () => current.connect()));
    const bystander = await current.connect();
    const received = watchers.map(() => [] as StoreWatchEvent[]);
    const bystanderEvents: StoreWatchEvent[] = [];
    watchers.forEach((watcher, index) => watcher.onWatchEvent((event) => received[index]?.push(event)));
    bystander.onWatchEvent((event) => bystanderEvents.push(event));
    await Promise.all(watchers.map((watcher, index) => watcher.watch("/storm", `w${index}`)));
    await bystander.watch("/calm", "b");
    const writesPerWriter = 100;
    await Promise.all(
      writers.map(async (writer, writerIndex) => {
        const pending: Promise<void>[] = [];
        for (let index = 0; index < writesPerWriter; index++) pending.push(writer.write(`/storm/${writerIndex}/${index}`, "x"));
        await Promise.all(pending);
      }),
    );
    // A round trip on each watcher's connection orders its outstanding events before the reply.
    await Promise.all(watchers.map((watcher) => watcher.read("/storm/0/0")));
    const expectedPaths = ["/storm", ...writers.flatMap((_, writerIndex) => Array.from({ length: writesPerWriter }, (_, index) => `/storm/${writerIndex}/${index}`))].sort();
    received.forEach((events, index) => {
      expect(events.every((event) => event.token === `w${index}`)).toBe(true);
      expect(events.map((event) => event.path).sort()).toEqual(expectedPaths);
    });
    expect(bystanderEvents).toEqual([{ path: "/calm", token: "b" }]);
  });

  it("keeps the tree consistent under random mixed traffic from 24 clients", async () => {
    daemon = await startInProcessDaemon();
    const current = daemon;
    const pathArbitrary = fc.constantFrom("/mix/a", "/mix/a/b", "/mix/a/b/c", "/mix/d", "/mix/d/e", "/mix/f");
    const operationArbitrary = fc.oneof(
      fc.record({ kind: fc.constant("write" as const), path: pathArbitrary, value: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant("rm" as const), path: pathArbitrary }),
      fc.record({ kind: fc.constant("mkdir" as const), path: pathArbitrary }),
      fc.record({ kind: fc.constant("transaction" as const), paths: fc.array(pathArbitrary, { minLength: 1, maxLength: 3 }), commit: fc.boolean() }),
    );
    const scripts = fc.sample(fc.array(operationArbitrary, { minLength: 10, maxLength: 30 }), { numRuns: 24, seed: 4242 });
    const clients = await Promise.all(scripts.map(() => current.connect()));
    const ignoreExpectedErrors = (error: unknown): void => {
      if (!(error instanceof StoreRequestError)) throw error;
      expect(["ENOENT", "EAGAIN", "EINVAL"]).toContain(error.errorName);
    };
    await Promise.all(
      scripts.map(async (script, index) => {
        const client = clients[index];
        if (client === undefined) return;
        for (const operation of script) {
          if (operation.kind === "write") await client.write(operation.path, operation.value).catch(ignoreExpectedErrors);
          else if (operation.kind === "rm") await client.remove(operation.path).catch(ignoreExpectedErrors);
          else if (operation.kind === "mkdir") await client.mkdir(operation.path).catch(ignoreExpectedErrors);
          else {
            const transaction = await client.startTransaction();
            for (const path of operation.paths) await client.write(path, `t${index}`, transaction).catch(ignoreExpectedErrors);
            await client.endTransaction(transaction, operation.commit).catch(ignoreExpectedErrors);
          }
        }
      }),
    );
    expect(findOrphanNodes(current.store)).toEqual([]);
    const checker = await current.connect();
    const paths = current.store.listNodePaths().filter((path) => path === "/mix" || path.startsWith("/mix/"));
    for (const path of paths) {
      const expectedChildren = paths.filter((other) => other.startsWith(`${path}/`) && !other.slice(path.length + 1).includes("/"));
      expect((await checker.directory(path)).sort()).toEqual(expectedChildren.map((child) => child.slice(path.length + 1)).sort());
    }
  });
});
