import { writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runBinary } from "../support/run-cli.js";
import { StoreSocketClient } from "../../runtime/store/socket-client.js";
import { createScratchDirectory, removeScratchDirectory, startDaemonProcess } from "../store/support/daemon-process.js";

describe("proto-desc store", () => {
  let scratch = "";

  afterEach(() => {
    if (scratch !== "") removeScratchDirectory(scratch);
    scratch = "";
  });

  it("prints its options with --help", () => {
    const run = runBinary(["store", "--help"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("usage: proto-desc store --socket PATH");
    expect(run.stdout).toContain("--quota-outstanding N");
  });

  it.each([
    [[], "proto-desc store: the option '--socket PATH' is required\n"],
    [["--socket"], "proto-desc store: option '--socket' needs a value\n"],
    [["--socket", "/tmp/x.sock", "--quota-nodes", "many"], "proto-desc store: option '--quota-nodes' needs a positive integer (got 'many')\n"],
    [["--socket", "/tmp/x.sock", "--quota-watches", "0"], "proto-desc store: option '--quota-watches' needs a positive integer (got '0')\n"],
    [["--socket", "/tmp/x.sock", "--frobnicate"], "proto-desc store: unknown option '--frobnicate'\n"],
    [["--socket", "/tmp/x.sock", "extra"], "proto-desc store: unexpected argument 'extra'\n"],
  ])("exits 2 with one line for bad arguments %j", (args, message) => {
    const run = runBinary(["store", ...args]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(message);
  });

  it("exits 2 with one line when the socket path is taken by a regular file", () => {
    scratch = createScratchDirectory();
    const path = join(scratch, "not-a-socket");
    writeFileSync(path, "x");
    const run = runBinary(["store", "--socket", path]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`proto-desc store: cannot listen on '${path}': the path exists and is not a socket\n`);
  });

  it("exits 2 with one line when the journal directory cannot be used", () => {
    scratch = createScratchDirectory();
    const journal = join(scratch, "journal-is-a-file");
    writeFileSync(journal, "x");
    const run = runBinary(["store", "--socket", join(scratch, "s.sock"), "--journal", journal]);
    expect(run.status).toBe(2);
    expect(run.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(run.stderr).toMatch(/^proto-desc store: cannot use the journal: /);
  });

  it.each(["SIGINT", "SIGTERM"] as const)("serves until %s, then exits 0 and removes the socket file", async (signal) => {
    scratch = createScratchDirectory();
    const socketPath = join(scratch, "store.sock");
    const daemon = await startDaemonProcess(socketPath, ["--quota-nodes", "50"]);
    const client = await StoreSocketClient.connect(socketPath);
    await client.write("/cli/key", "value");
    expect(await client.read("/cli/key")).toBe("value");
    expect(await daemon.stop(signal)).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
    expect(daemon.stderr()).toContain(`${signal} received, shutting down`);
    expect(client.isClosed).toBe(true);
  });
});
