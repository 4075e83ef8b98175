import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { JournalFile, StoreJournalError, journalFileName, snapshotFileName } from "../../../runtime/store/journal/journal-file.js";
import { StoreClient } from "../../../runtime/store/store-client.js";
import { XenStore } from "../../../runtime/store/store.js";
import { errorOf, expectOk } from "../store-fixture.js";

const directories: string[] = [];

function createJournalDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), "proto-desc-store-journal-"));
  directories.push(directory);
  return directory;
}

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function openClient(directory: string, snapshotEveryRecords = 1000): { store: XenStore; client: StoreClient } {
  const store = XenStore.open({ journalDirectory: directory, snapshotEveryRecords });
  return { store, client: StoreClient.connect(store, { domainId: 0, privileged: true }) };
}

function journalSize(directory: string): number {
  return statSync(join(directory, journalFileName)).size;
}

describe("store journal recovery", () => {
  it("restores every acknowledged write after a clean close", () => {
    const directory = createJournalDirectory();
    const first = openClient(directory);
    expectOk(first.client.write("/a/b", "1"));
    expectOk(first.client.setPermissions("/a/b", [{ domainId: 3, access: "r" }]));
    expectOk(first.client.remove("/a/b"));
    expectOk(first.client.write("/c", new Uint8Array([0, 1, 2])));
    expectOk(first.client.setPermissions("@introduceDomain", [{ domainId: 0, access: "n" }, { domainId: 8, access: "r" }]));
    first.store.close();
    const second = openClient(directory);
    expect(errorOf(second.client.read("/a/b"))).toBe("ENOENT");
    expect([...expectOk(second.client.read("/c"))]).toEqual([0, 1, 2]);
    expect(expectOk(second.client.getPermissions("@introduceDomain"))).toHaveLength(2);
    expect(second.store.recovery?.discardedTailBytes).toBe(0);
  });

  it("restores acknowledged writes when the store was never closed (a killed process)", () => {
    const directory = createJournalDirectory();
    const first = openClient(directory);
    expectOk(first.client.write("/kept", "yes"));
    // No close: the process "dies" here; the record was written before the reply.
    const second = openClient(directory);
    expect(expectOk(second.client.readText("/kept"))).toBe("yes");
  });

  it("ignores a torn final record and keeps appending after it", () => {
    const directory = createJournalDirectory();
    const first = openClient(directory);
    expectOk(first.client.write("/one", "1"));
    const sizeAfterFirst = journalSize(directory);
    expectOk(first.client.write("/two", "2"));
    first.store.close();
    const truncatedSize = journalSize(directory) - 3;
    truncateSync(join(directory, journalFileName), truncatedSize);
    const second = openClient(directory);
    expect(second.store.recovery?.discardedTailBytes).toBe(truncatedSize - sizeAfterFirst);
    expect(journalSize(directory)).toBe(sizeAfterFirst);
    expect(expectOk(second.client.readText("/one"))).toBe("1");
    expect(errorOf(second.client.read("/two"))).toBe("ENOENT");
    expectOk(second.client.write("/three", "3"));
    second.store.close();
    const third = openClient(directory);
    expect(expectOk(third.client.readText("/three"))).toBe("3");
    expect(third.store.recovery?.discardedTailBytes).toBe(0);
  });

  it("ignores a final record whose checksum does not match", () => {
    const directory = createJournalDirectory();
    const first = openClient(directory);
    expectOk(first.client.write("/good", "1"));
    expectOk(first.client.write("/bad", "2"));
    first.store.close();
    const path = join(directory, journalFileName);
    const bytes = readFileSync(path);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
    writeFileSync(path, bytes);
    const second = openClient(directory);
    expect(expectOk(second.client.readText("/good"))).toBe("1");
    expect(errorOf(second.client.read("/bad"))).toBe("ENOENT");
    expect(second.store.recovery?.discardedTailBytes).toBeGreaterThan(0);
  });

  it("never applies half a transaction: a torn commit record loses all of it", () => {
    const directory = createJournalDirectory();
    const first = openClient(directory);
    expectOk(first.client.write("/before", "0"));
    const sizeBefore = journalSize(directory);
    expectOk(
      first.client.transaction((transaction) => {
        for (let index = 0; index < 20; index++) expectOk(first.client.write(`/tx/${index}`, "x", transaction));
        return { ok: true, value: undefined };
      }),
    );
    const sizeAfter = journalSize(directory);
    first.store.close();
    for (const cut of [sizeBefore + 1, Math.floor((sizeBefore + sizeAfter) / 2), sizeAfter - 1]) {
      const copy = createJournalDirectory();
      writeFileSync(join(copy, journalFileName), readFileSync(join(directory, journalFileName)).subarray(0, cut));
      const recovered = openClient(copy);
      expect(expectOk(recovered.client.readText("/before"))).toBe("0");
      expect(errorOf(recovered.client.read("/tx"))).toBe("ENOENT");
      recovered.store.close();
    }
    const whole = openClient(directory);
    expect(expectOk(whole.client.directory("/tx"))).toHaveLength(20);
  });

  it("journals nothing for failed requests, aborted and conflicting transactions", () => {
    const directory = createJournalDirectory();
    const { store, client } = openClient(directory);
    expectOk(client.write("/n", "0"));
    const size = journalSize(directory);
    expect(errorOf(client.remove("/"))).toBe("EINVAL");
    expect(errorOf(client.read("/absent"))).toBe("ENOENT");
    const aborted = expectOk(client.startTransaction());
    expectOk(client.write("/x", "1", aborted));
    expectOk(client.endTransaction(aborted, false));
    const conflicting = expectOk(client.startTransaction());
    expectOk(client.readText("/n", conflicting));
    expectOk(client.write("/y", "1", conflicting));
    const other = StoreClient.connect(store, { domainId: 0, privileged: true });
    expectOk(other.write("/n", "1"));
    const sizeWithOtherWrite = journalSize(directory);
    expect(sizeWithOtherWrite).toBeGreaterThan(size);
    expect(errorOf(client.endTransaction(conflicting, true))).toBe("EAGAIN");
    expect(journalSize(directory)).toBe(sizeWithOtherWrite);
  });

  it("replaces the journal with a snapshot every N records and restores from it", () => {
    const directory = createJournalDirectory();
    const first = openClient(directory, 10);
    expectOk(first.client.introduceDomain(4, 77n, 2));
    for (let index = 0; index < 25; index++) expectOk(first.client.write(`/s/${25 - index}`, String(index)));
    expectOk(first.client.setPermissions("/s/3", [{ domainId: 4, access: "r" }, { domainId: 5, access: "b" }]));
    expectOk(first.client.setPermissions("@releaseDomain", [{ domainId: 0, access: "n" }, { domainId: 4, access: "r" }]));
    for (let index = 0; index < 10; index++) expectOk(first.client.write(`/after/${index}`, "x"));
    expect(existsSync(join(directory, snapshotFileName))).toBe(true);
    const expectedChildren = expectOk(first.client.directory("/s"));
    // Not closed: recovery uses the snapshot plus the records after it.
    const second = openClient(directory, 10);
    expect(expectOk(second.client.directory("/s"))).toEqual(expectedChildren);
    expect(expectOk(second.client.readText("/s/1"))).toBe("24");
    expect(expectOk(second.client.getPermissions("/s/3"))).toEqual([{ domainId: 4, access: "r" }, { domainId: 5, access: "b" }]);
    expect(expectOk(second.client.isDomainIntroduced(4))).toBe(true);
    expect(expectOk(second.client.getPermissions("@releaseDomain"))).toEqual([{ domainId: 0, access: "n" }, { domainId: 4, access: "r" }]);
    expect(second.store.countNodesOwnedBy(4)).toBe(1);
    expect(second.store.recovery?.snapshot).toBeDefined();
  });

  it("skips records the snapshot already holds (a crash between snapshot and journal reset)", () => {
    const directory = createJournalDirectory();
    const first = openClient(directory, 5);
    for (let index = 0; index < 4; index++) expectOk(first.client.write(`/k/${index}`, "a"));
    const journalBeforeSnapshot = readFileSync(join(directory, journalFileName));
    expectOk(first.client.write("/k/4", "a"));
    expectOk(first.client.remove("/k/0"));
    first.store.close();
    // The snapshot holds records 1-5 and the journal holds record 6; put records 1-4 back in
    // front of it, as if the reset had not happened.
    const journalAfter = readFileSync(join(directory, journalFileName));
    writeFileSync(join(directory, journalFileName), Buffer.concat([journalBeforeSnapshot, journalAfter]));
    const second = openClient(directory, 5);
    expect(expectOk(second.client.directory("/k"))).toEqual(["1", "2", "3", "4"]);
  });

  it("survives a snapshot that cannot be written: reported, retried later, nothing lost", () => {
    const directory = createJournalDirectory();
    const logged: string[] = [];
    const store = XenStore.open({ journalDirectory: directory, snapshotEveryRecords: 3, log: (line) => logged.push(line) });
    const client = StoreClient.connect(store, { domainId: 0, privileged: true });
    // A directory where the temporary snapshot file should go makes the snapshot fail.
    mkdirSync(join(directory, "snapshot.tmp"));
    for (let index = 0; index < 3; index++) expectOk(client.write(`/v/${index}`, "x"));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/cannot write a store snapshot/);
    expect(existsSync(join(directory, snapshotFileName))).toBe(false);
    rmSync(join(directory, "snapshot.tmp"), { recursive: true });
    for (let index = 3; index < 6; index++) expectOk(client.write(`/v/${index}`, "x"));
    expect(existsSync(join(directory, snapshotFileName))).toBe(true);
    expect(logged).toHaveLength(1);
    const reopened = openClient(directory);
    expect(expectOk(reopened.client.directory("/v"))).toEqual(["0", "1", "2", "3", "4", "5"]);
  });

  it("refuses to start from a damaged snapshot with a clear error", () => {
    const directory = createJournalDirectory();
    const first = openClient(directory, 2);
    for (let index = 0; index < 3; index++) expectOk(first.client.write(`/d/${index}`, "a"));
    first.store.close();
    const path = join(directory, snapshotFileName);
    const bytes = readFileSync(path);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0x55;
    writeFileSync(path, bytes);
    expect(() => XenStore.open({ journalDirectory: directory })).toThrow(StoreJournalError);
    expect(() => XenStore.open({ journalDirectory: directory })).toThrow(/snapshot .* is damaged/);
  });

  it("keeps working with fsync after every record", () => {
    const directory = createJournalDirectory();
    const store = XenStore.open({ journalDirectory: directory, flushJournalToDisk: true });
    const client = StoreClient.connect(store, { domainId: 0, privileged: true });
    expectOk(client.write("/synced", "1"));
    const reopened = openClient(directory);
    expect(expectOk(reopened.client.readText("/synced"))).toBe("1");
  });

  it("refuses to append to a closed journal with a StoreJournalError", () => {
    const directory = createJournalDirectory();
    const { journal } = JournalFile.open(directory, { flushToDisk: false });
    journal.close();
    expect(() => journal.append([{ kind: "remove", path: "/x" }])).toThrow(StoreJournalError);
  });

  it("reports an unusable journal directory as a StoreJournalError", () => {
    const directory = createJournalDirectory();
    const file = join(directory, "not-a-directory");
    writeFileSync(file, "x");
    expect(() => XenStore.open({ journalDirectory: file })).toThrow(StoreJournalError);
  });
});
