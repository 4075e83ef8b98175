import { describe, expect, it } from "vitest";
import { runBinary } from "../support/run-cli.js";

describe("proto-desc dispatcher", () => {
  it("prints usage and exits 0 with --help", () => {
    const run = runBinary(["--help"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: proto-desc <command>/);
  });

  it("exits 2 with a one-line message for an unknown command", () => {
    const run = runBinary(["frobnicate"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("proto-desc: unknown command 'frobnicate' (run `proto-desc --help` for the list)\n");
  });

  it("exits 2 with usage when no command is given", () => {
    const run = runBinary([]);
    expect(run.status).toBe(2);
    expect(run.stdout).toContain("commands:");
  });
});
