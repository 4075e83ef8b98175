// Durability: a daemon with --journal is killed with SIGKILL while requests are in flight;
// after a restart every acknowledged write and commit is present and nothing is half-applied.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StoreRequestError, StoreSocketClient } from "../../runtime/store/socket-client.js";
import { createScratchDirectory, removeScratchDirectory, startDaemonProcess, type DaemonProcess } from "./support/daemon-process.js";

describe("daemon durability across kill -9", () => {
  let scratch = "";
  const daemons: DaemonProcess[] = [];

  afterEach(() => {
    for (const daemon of daemons.splice(0)) if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill("SIGKILL");
    removeScratchDirectory(scratch);
  });

  it("keeps every acknowledged write and commit and no part of an unacknowledged transaction", async () => {
    scratch = createScratchDirectory();
    const socketPath = join(scratch, "store.sock");
    const journal = join(scratch, "journal");
    const first = await startDaemonProcess(socketPath, ["--journal", journal]);
    daemons.push(first);
    const client = await StoreSocketClient.connect(socketPath);

    // Acknowledged plain writes, pipelined; more than the core's 1000 records between
    // snapshots, so recovery goes through a snapshot and the journal after it.
    await Promise.all(Array.from({ length: 1200 }, (_, index) => client.write(`/durable/plain/${index}`, `value-${index}`)));
    // Acknowledged transactions, each writing three nodes that must appear together.
    for (let index = 0; index < 30; index++) {
      const transaction = await client.startTransaction();
      for (const key of ["a", "b", "c"]) await client.write(`/durable/tx/${index}/${key}`, `tx-${index}`, transaction);
      await client.endTransaction(transaction, true);
    }
    // A transaction that is never committed.
    const open = await client.startTransaction();
    await client.write("/durable/uncommitted/a", "never", open);
    await client.write("/durable/uncommitted/b", "never", open);

    // In-flight work: writes and transaction commits sent back to back; the daemon is killed
    // as soon as some of their replies have arrived, so some are acknowledged and some not.
    const acknowledgedInFlight = new Set<number>();
    const committedInFlight = new Set<number>();
    const inFlightTransactions: number[] = [];
    // Parents exist beforehand so that the late transactions conflict with nothing.
    await client.mkdir("/durable/late");
    for (let index = 0; index < 10; index++) await client.mkdir(`/durable/late-tx/${index}`);
    for (let index = 0; index < 10; index++) {
      const transaction = await client.startTransaction();
      inFlightTransactions.push(transaction);
      await client.write(`/durable/late-tx/${index}/x`, `late-${index}`, transaction);
      await client.write(`/durable/late-tx/${index}/y`, `late-${index}`, transaction);
    }
    let killed: Promise<number | string> | undefined;
    const killAfterReplies = 25;
    const inFlight: Promise<void>[] = [];
    for (let index = 0; index < 300; index++) {
      inFlight.push(
        client.write(`/durable/late/${index}`, `late-${index}`).then(
          () => {
            acknowledgedInFlight.add(index);
            if (acknowledgedInFlight.size === killAfterReplies) killed = first.stop("SIGKILL");
          },
          () => undefined,
        ),
      );
      if (index % 30 === 0) {
        const transactionIndex = index / 30;
        const transaction = inFlightTransactions[transactionIndex];
        if (transaction !== undefined) {
          inFlight.push(client.endTransaction(transaction, true).then(() => void committedInFlight.add(transactionIndex), () => undefined));
        }
      }
    }
    await Promise.all(inFlight);
    expect(await killed).toBe("SIGKILL");
    expect(acknowledgedInFlight.size).toBeGreaterThanOrEqual(killAfterReplies);
    expect(committedInFlight.size).toBeGreaterThan(0);

    const second = await startDaemonProcess(socketPath, ["--journal", journal]);
    daemons.push(second);
    expect(second.stderr()).toMatch(/recovered \d+ record/);
    const reader = await StoreSocketClient.connect(socketPath);
    expect(second.stderr()).toContain("after a snapshot");
    const plainValues = await Promise.all(Array.from({ length: 1200 }, (_, index) => reader.read(`/durable/plain/${index}`)));
    expect(plainValues).toEqual(Array.from({ length: 1200 }, (_, index) => `value-${index}`));
    for (let index = 0; index < 30; index++) {
      for (const key of ["a", "b", "c"]) expect(await reader.read(`/durable/tx/${index}/${key}`)).toBe(`tx-${index}`);
    }
    await expect(reader.read("/durable/uncommitted/a")).rejects.toThrow(StoreRequestError);
    await expect(reader.read("/durable/uncommitted")).rejects.toThrow(StoreRequestError);
    for (let index = 0; index < 300; index++) {
      const value = await reader.read(`/durable/late/${index}`).catch((error: unknown) => (error instanceof StoreRequestError ? error.errorName : "unexpected"));
      if (acknowledgedInFlight.has(index)) expect(value).toBe(`late-${index}`);
      else expect([`late-${index}`, "ENOENT"]).toContain(value);
    }
    for (let index = 0; index < 10; index++) {
      const values = await Promise.all(
        ["x", "y"].map((key) =>
          reader.read(`/durable/late-tx/${index}/${key}`).catch((error: unknown) => (error instanceof StoreRequestError ? error.errorName : "unexpected")),
        ),
      );
      // A transaction is all or nothing, and an acknowledged commit is all.
      expect(values[0]).toBe(values[1]);
      if (committedInFlight.has(index)) expect(values[0]).toBe(`late-${index}`);
      else expect([`late-${index}`, "ENOENT"]).toContain(values[0]);
    }
    reader.close();
    expect(await second.stop("SIGTERM")).toBe(0);
  });
});
