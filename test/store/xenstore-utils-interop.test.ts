// Interop with Debian's xenstore-utils: the real Xen client binaries, pointed at the daemon
// (a real child process) through XENSTORED_PATH, must read and change the store as with Xen.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreSocketClient } from "../../runtime/store/socket-client.js";
import { createScratchDirectory, removeScratchDirectory, startDaemonProcess, type DaemonProcess } from "./support/daemon-process.js";

const requiredTools = ["xenstore-read", "xenstore-write", "xenstore-ls", "xenstore-list", "xenstore-exists", "xenstore-rm", "xenstore-chmod", "xenstore-watch"];
const searchPath = (process.env.PATH ?? "").split(delimiter);
const missingTools = requiredTools.filter((tool) => !searchPath.some((directory) => existsSync(join(directory, tool))));
if (missingTools.length > 0) {
  console.warn(`skipping xenstore-utils interop tests: ${missingTools.join(", ")} not installed (apt-get install xenstore-utils; .ci/run does)`);
}

describe.skipIf(missingTools.length > 0)("interop with Debian's xenstore-utils", () => {
  let scratch = "";
  let daemon: DaemonProcess;

  function tool(name: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
    const result = spawnSync(name, args, { env: { ...process.env, XENSTORED_PATH: daemon.socketPath }, encoding: "utf8", timeout: 15_000 });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  beforeAll(async () => {
    scratch = createScratchDirectory();
    daemon = await startDaemonProcess(join(scratch, "xenstored.sock"));
  });

  afterAll(async () => {
    if (daemon !== undefined) expect(await daemon.stop("SIGTERM")).toBe(0);
    expect(existsSync(join(scratch, "xenstored.sock"))).toBe(false);
    removeScratchDirectory(scratch);
  });

  it("xenstore-write then xenstore-read round-trips values, creating missing parents", () => {
    expect(tool("xenstore-write", "/interop/a/b", "hello world", "/interop/c", "").status).toBe(0);
    const read = tool("xenstore-read", "/interop/a/b", "/interop/c", "/interop/a");
    expect(read.status).toBe(0);
    expect(read.stdout).toBe("hello world\n\n\n");
    expect(tool("xenstore-read", "-s", "/interop/a/b").stdout).toBe("hello world\n");
  });

  it("xenstore-read fails for a missing node", () => {
    const read = tool("xenstore-read", "/interop/missing");
    expect(read.status).toBe(1);
    expect(read.stderr).toContain("/interop/missing");
  });

  it("xenstore-exists reports presence through its exit status", () => {
    tool("xenstore-write", "/interop/exists/yes", "1");
    expect(tool("xenstore-exists", "/interop/exists/yes").status).toBe(0);
    expect(tool("xenstore-exists", "/interop/exists/no").status).toBe(1);
  });

  it("xenstore-list and xenstore-ls show children and values", () => {
    tool("xenstore-write", "/interop/tree/x", "1", "/interop/tree/y/z", "deep");
    const list = tool("xenstore-list", "/interop/tree");
    expect(list.status).toBe(0);
    expect(list.stdout.split("\n").filter(Boolean).sort()).toEqual(["x", "y"]);
    const ls = tool("xenstore-ls", "/interop/tree");
    expect(ls.status).toBe(0);
    expect(ls.stdout).toBe('x = "1"\ny = ""\n z = "deep"\n');
    const full = tool("xenstore-ls", "-f", "/interop/tree");
    expect(full.stdout).toContain('/interop/tree/y/z = "deep"');
  });

  it("xenstore-rm removes a whole subtree", () => {
    tool("xenstore-write", "/interop/gone/a/b", "1", "/interop/gone/c", "2");
    expect(tool("xenstore-rm", "/interop/gone").status).toBe(0);
    expect(tool("xenstore-exists", "/interop/gone").status).toBe(1);
    expect(tool("xenstore-exists", "/interop/gone/a/b").status).toBe(1);
  });

  it("xenstore-chmod sets permission lists that GET_PERMS and xenstore-ls -p report", async () => {
    tool("xenstore-write", "/interop/perm", "v");
    expect(tool("xenstore-chmod", "/interop/perm", "n5", "r7", "b9").status).toBe(0);
    const client = await StoreSocketClient.connect(daemon.socketPath);
    try {
      expect(await client.getPermissions("/interop/perm")).toEqual(["n5", "r7", "b9"]);
    } finally {
      client.close();
    }
    expect(tool("xenstore-ls", "-p", "/interop").stdout).toMatch(/perm = "v" .*\(n5,r7,b9\)/);
    expect(tool("xenstore-chmod", "/interop/perm", "x5").status).not.toBe(0);
  });

  it("xenstore-watch prints the initial event and one event per change below the path", async () => {
    tool("xenstore-write", "/interop/watched", "0");
    const watcher = spawn("xenstore-watch", ["-n", "3", "/interop/watched"], {
      env: { ...process.env, XENSTORED_PATH: daemon.socketPath },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    watcher.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => watcher.once("exit", (code) => resolve(code)));
    // The first line is the immediate event; changes made after it are reported.
    while (!output.includes("\n")) await new Promise((resolve) => setTimeout(resolve, 10));
    tool("xenstore-write", "/interop/watched/child", "1");
    tool("xenstore-write", "/interop/unrelated", "1");
    tool("xenstore-rm", "/interop/watched/child");
    expect(await exited).toBe(0);
    expect(output.split("\n").filter(Boolean)).toEqual(["/interop/watched", "/interop/watched/child", "/interop/watched/child"]);
  });

  it("concurrent xenstore-write processes all land (their transactions retry on EAGAIN)", async () => {
    const writers = Array.from({ length: 8 }, (_, index) =>
      new Promise<number | null>((resolve) => {
        const child = spawn("xenstore-write", [`/interop/concurrent/${index}/a`, `value-${index}`, `/interop/concurrent/${index}/b`, `value-${index}`], {
          env: { ...process.env, XENSTORED_PATH: daemon.socketPath },
          stdio: "ignore",
        });
        child.once("exit", (code) => resolve(code));
      }),
    );
    expect(await Promise.all(writers)).toEqual(Array.from({ length: 8 }, () => 0));
    const list = tool("xenstore-list", "/interop/concurrent");
    expect(list.stdout.split("\n").filter(Boolean).sort()).toEqual(Array.from({ length: 8 }, (_, index) => String(index)));
    for (let index = 0; index < 8; index++) {
      expect(tool("xenstore-read", `/interop/concurrent/${index}/a`, `/interop/concurrent/${index}/b`).stdout).toBe(`value-${index}\nvalue-${index}\n`);
    }
  });
});
