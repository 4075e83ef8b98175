import { spawnSync } from "node:child_process";
import { writeFileSync, existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runBinary } from "../support/run-cli.js";
import { StoreSocketClient } from "../../runtime/store/socket-client.js";
import { createScratchDirectory, removeScratchDirectory, startDaemonProcess } from "../store/support/daemon-process.js";

const xenstoreTools = ["xenstore-read", "xenstore-write", "xenstore-ls", "xenstore-exists"];
const missingXenstoreTools = xenstoreTools.filter((tool) => !(process.env.PATH ?? "").split(delimiter).some((directory) => existsSync(join(directory, tool))));

function xenstoreTool(socketPath: string, name: string, ...args: string[]): { status: number; stdout: string } {
  const result = spawnSync(name, args, { env: { ...process.env, XENSTORED_PATH: socketPath }, encoding: "utf8", timeout: 15_000 });
  return { status: result.status ?? -1, stdout: result.stdout };
}

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

  it("exits 1 with the rendered diagnostics when the host specs given with --policy do not check", () => {
    scratch = createScratchDirectory();
    const run = runBinary(["store", "--socket", join(scratch, "s.sock"), "--policy", "test/host/fixtures/no-policy", "--audit-log", join(scratch, "audit.jsonl")]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[PD7001]");
    expect(existsSync(join(scratch, "s.sock"))).toBe(false);
  });

  it.each([
    [["store", "--socket", "/tmp/x.sock", "--policy", "protocols/host-policy.proto-desc"], "proto-desc store: '--policy' needs '--audit-log FILE' (the broker audits every decision)\n"],
    [["store", "--socket", "/tmp/x.sock", "--audit-log", "/tmp/a.jsonl"], "proto-desc store: '--audit-log' only applies with '--policy SPEC'\n"],
    [["store", "connect", "vbd", "2", "1"], "proto-desc store connect: the option '--socket PATH' is required\n"],
    [["store", "connect", "--socket", "/tmp/x.sock", "vbd", "2"], "proto-desc store connect: expected <class> <frontend-domid> <backend-domid> [key=value ...] (run 'proto-desc store connect --help')\n"],
    [["store", "connect", "--socket", "/tmp/x.sock", "vbd", "guest", "1"], "proto-desc store connect: <frontend-domid> must be a domain id (got 'guest')\n"],
    [["store", "connect", "--socket", "/tmp/x.sock", "vbd", "2", "1", "devid"], "proto-desc store connect: parameter 'devid' is not key=value\n"],
    [["store", "disconnect", "--socket", "/tmp/x.sock", "vbd", "2", "51712", "extra"], "proto-desc store disconnect: unexpected argument 'extra'\n"],
  ])("exits 2 with one line for bad broker arguments %j", (args, message) => {
    const run = runBinary(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(message);
  });

  it("store connect exits 2 with one line when no daemon listens, or the daemon hosts no broker", async () => {
    scratch = createScratchDirectory();
    const socketPath = join(scratch, "store.sock");
    const unreachable = runBinary(["store", "connect", "--socket", socketPath, "vbd", "2", "1", "devid=51712"]);
    expect(unreachable.status).toBe(2);
    expect(unreachable.stderr).toBe(`proto-desc store connect: cannot reach the store daemon at '${socketPath}': ENOENT\n`);
    const daemon = await startDaemonProcess(socketPath);
    try {
      const noBroker = runBinary(["store", "connect", "--socket", socketPath, "vbd", "2", "1", "devid=51712"]);
      expect(noBroker.status).toBe(2);
      expect(noBroker.stderr).toBe("proto-desc store connect: the store daemon refused proto-desc-connect with EINVAL: it hosts no broker (start it with 'proto-desc store --policy SPEC --audit-log FILE')\n");
    } finally {
      expect(await daemon.stop("SIGTERM")).toBe(0);
    }
  });

  it.skipIf(missingXenstoreTools.length > 0)("a daemon hosting the broker connects and disconnects a vbd over its socket; xenstore-utils read back the layout", async () => {
    scratch = createScratchDirectory();
    const socketPath = join(scratch, "store.sock");
    const auditPath = join(scratch, "audit.jsonl");
    const daemon = await startDaemonProcess(socketPath, ["--policy", "protocols/host-policy.proto-desc", "--audit-log", auditPath]);
    try {
      expect(daemon.stderr()).toContain("broker: policy 'host', resource classes vbd, vif, vcon, 0 instance(s) recovered; serving proto-desc-connect, proto-desc-disconnect to socket clients as 'dom0'");
      // The toolstack names domains in the store when it creates them, as xl does.
      expect(xenstoreTool(socketPath, "xenstore-write", "/local/domain/1/name", "storage-domain", "/local/domain/2/name", "bank-a-payroll", "/local/domain/3/name", "network-domain").status).toBe(0);

      const connected = runBinary(["store", "connect", "--socket", socketPath, "vbd", "2", "1", "devid=51712"]);
      expect(connected.stderr).toBe("");
      expect(connected.status).toBe(0);
      expect(connected.stdout).toMatch(/^connected vbd\/2\/51712: frontend \/local\/domain\/2\/device\/vbd\/51712, backend \/local\/domain\/1\/backend\/vbd\/2\/51712, spec sha256:[0-9a-f]{64}; allowed by rbac-permission:privileged\/\*\/connect, /);
      const specHash = /spec sha256:([0-9a-f]{64})/.exec(connected.stdout)?.[1];
      const backend = "/local/domain/1/backend/vbd/2/51712";
      expect(xenstoreTool(socketPath, "xenstore-read", `${backend}/proto-desc/protocol`, `${backend}/proto-desc/version`, `${backend}/proto-desc/spec-hash`, `${backend}/state`).stdout).toBe(`blkif\n1\n${specHash}\n1\n`);
      const listing = xenstoreTool(socketPath, "xenstore-ls", "-p", "/local/domain/2/device/vbd").stdout;
      expect(listing).toMatch(/51712 = ""\s[ .]*\(n2,r1\)/);
      expect(xenstoreTool(socketPath, "xenstore-ls", "-p", "/local/domain/1/backend/vbd/2").stdout).toMatch(/51712 = ""\s[ .]*\(n1,r2\)/);

      const again = runBinary(["store", "connect", "--socket", socketPath, "vbd", "2", "1", "devid=51712"]);
      expect(again.status).toBe(1);
      expect(again.stderr).toBe("proto-desc store connect: PDB112 vbd/2/51712 is already connected\n");
      const denied = runBinary(["store", "connect", "--socket", socketPath, "--json", "vbd", "2", "3", "devid=51728"]);
      expect(denied.status).toBe(1);
      expect(JSON.parse(denied.stdout)).toMatchObject({ outcome: "denied", rule: "default-deny:no-permission/vbd/provide" });
      expect(xenstoreTool(socketPath, "xenstore-exists", "/local/domain/2/device/vbd/51728").status).toBe(1);

      const disconnected = runBinary(["store", "disconnect", "--socket", socketPath, "vbd", "2", "51712"]);
      expect(disconnected.status).toBe(0);
      expect(disconnected.stdout).toBe("disconnected vbd/2/51712\n");
      expect(xenstoreTool(socketPath, "xenstore-exists", backend).status).toBe(1);
      expect(runBinary(["store", "disconnect", "--socket", socketPath, "vbd", "2", "51712"]).stderr).toBe("proto-desc store disconnect: PDB113 vbd/2/51712 is not connected\n");
    } finally {
      expect(await daemon.stop("SIGTERM")).toBe(0);
    }
    // Every decision, allowed or denied, is in the audit log with the tool principal that asked.
    const decisions = readFileSync(auditPath, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { operation?: string; principal?: string; allowed?: boolean; rule?: string });
    expect(decisions.filter((record) => record.operation === "connect" && record.allowed === false).map((record) => [record.principal, record.rule])).toEqual([["dom0", "default-deny:no-permission/vbd/provide"]]);
    expect(decisions.filter((record) => record.operation === "disconnect").map((record) => [record.principal, record.allowed])).toEqual([["dom0", true], ["dom0", true]]);
    const audit = runBinary(["audit", auditPath]);
    expect(audit.status).toBe(0);
    expect(audit.stdout).toMatch(/0 invalid lines/);
  });
});
