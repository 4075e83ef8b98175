import { describe, expect, it } from "vitest";
import { createStoreFixture, errorOf, expectOk } from "./store-fixture.js";

describe("store node operations", () => {
  it("reads back what was written, as bytes", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.write("/tool/x", new Uint8Array([0, 255, 10])));
    expect([...expectOk(toolstack.read("/tool/x"))]).toEqual([0, 255, 10]);
  });

  it("creates missing parents on WRITE, with empty values", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.write("/a/b/c", "v"));
    expect(expectOk(toolstack.readText("/a/b"))).toBe("");
    expect(expectOk(toolstack.directory("/a"))).toEqual(["b"]);
  });

  it("overwrites an existing value and keeps its children", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.write("/a/b", "1"));
    expectOk(toolstack.write("/a", "top"));
    expect(expectOk(toolstack.readText("/a"))).toBe("top");
    expect(expectOk(toolstack.directory("/a"))).toEqual(["b"]);
  });

  it("starts with xenstored's initial nodes, closed to guests", () => {
    const fixture = createStoreFixture();
    expect(expectOk(fixture.toolstack.directory("/tool"))).toEqual(["xenstored"]);
    expect(expectOk(fixture.toolstack.getPermissions("/tool/xenstored"))).toEqual([{ domainId: 0, access: "n" }]);
    expect(errorOf(fixture.guest(1).read("/tool/xenstored"))).toBe("EACCES");
  });

  it("reports ENOENT for reading an absent node", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.read("/nothing"))).toBe("ENOENT");
  });

  it("makes MKDIR idempotent and keeps the existing value", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.write("/d", "keep"));
    expectOk(toolstack.mkdir("/d"));
    expectOk(toolstack.mkdir("/d"));
    expect(expectOk(toolstack.readText("/d"))).toBe("keep");
  });

  it("creates parents on MKDIR", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.mkdir("/m/n/o"));
    expect(expectOk(toolstack.directory("/m/n"))).toEqual(["o"]);
  });

  it("removes recursively", () => {
    const { toolstack, store } = createStoreFixture();
    expectOk(toolstack.write("/r/a/b", "1"));
    expectOk(toolstack.write("/r/c", "2"));
    expectOk(toolstack.remove("/r"));
    expect(errorOf(toolstack.read("/r/a/b"))).toBe("ENOENT");
    expect(store.listNodePaths().some((path) => path.startsWith("/r"))).toBe(false);
  });

  it("accepts RM of an absent node whose parent exists", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.mkdir("/p"));
    expect(errorOf(toolstack.remove("/p/absent"))).toBe("OK");
  });

  it("reports ENOENT for RM when the parent is absent too", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.remove("/absent/child"))).toBe("ENOENT");
  });

  it("refuses to remove the root with EINVAL", () => {
    const { toolstack } = createStoreFixture();
    expect(errorOf(toolstack.remove("/"))).toBe("EINVAL");
  });

  it("lists children in creation order", () => {
    const { toolstack } = createStoreFixture();
    for (const name of ["z", "a", "m"]) expectOk(toolstack.mkdir(`/list/${name}`));
    expectOk(toolstack.remove("/list/a"));
    expectOk(toolstack.mkdir("/list/b"));
    expect(expectOk(toolstack.directory("/list"))).toEqual(["z", "m", "b"]);
  });

  it("lists an empty directory as no children", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.mkdir("/empty"));
    expect(expectOk(toolstack.directory("/empty"))).toEqual([]);
  });

  it("pages DIRECTORY_PART by byte offset with a generation and an end marker", () => {
    const { toolstack } = createStoreFixture();
    const names = Array.from({ length: 300 }, (_, index) => `child-with-a-long-name-${String(index).padStart(4, "0")}`);
    for (const name of names) expectOk(toolstack.mkdir(`/big/${name}`));
    expect(errorOf(toolstack.directory("/big"))).toBe("E2BIG");
    const collected: string[] = [];
    let offset = 0;
    let generation: string | undefined;
    for (let page = 0; page < 10; page++) {
      const part = expectOk(toolstack.directoryPart("/big", offset));
      generation ??= part.generation;
      expect(part.generation).toBe(generation);
      collected.push(...part.children);
      offset += part.children.reduce((sum, child) => sum + child.length + 1, 0);
      if (part.complete) break;
    }
    expect(collected).toEqual(names);
  });

  it("changes DIRECTORY_PART's generation when the children change", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.mkdir("/g/a"));
    const before = expectOk(toolstack.directoryPart("/g", 0)).generation;
    expectOk(toolstack.mkdir("/g/b"));
    expect(expectOk(toolstack.directoryPart("/g", 0)).generation).not.toBe(before);
  });

  it("answers an empty, complete DIRECTORY_PART for an offset at or past the end", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.mkdir("/o/a"));
    expect(expectOk(toolstack.directoryPart("/o", 2))).toMatchObject({ children: [], complete: true });
    expect(expectOk(toolstack.directoryPart("/o", 30))).toMatchObject({ children: [], complete: true });
  });

  it("rejects a DIRECTORY_PART offset that is not a decimal number", () => {
    const { toolstack } = createStoreFixture();
    expectOk(toolstack.mkdir("/o/a"));
    const reply = toolstack.connection.handle({ type: 22, requestId: 1, transactionId: 0, payload: new TextEncoder().encode("/o\0x1\0") });
    expect(new TextDecoder().decode(reply.payload)).toBe("EINVAL\0");
  });

  it("answers GET_DOMAIN_PATH", () => {
    const { toolstack } = createStoreFixture();
    expect(expectOk(toolstack.getDomainPath(12))).toBe("/local/domain/12");
  });

  it("resolves a guest's relative paths under its home", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(3);
    expectOk(guest.write("data/key", "v"));
    expect(expectOk(fixture.toolstack.readText("/local/domain/3/data/key"))).toBe("v");
    expect(expectOk(guest.readText("/local/domain/3/data/key"))).toBe("v");
  });

  it("rejects invalid paths with EINVAL", () => {
    const { toolstack } = createStoreFixture();
    for (const path of ["/a//b", "/a/", "/a b", "/a.b", `/${"x".repeat(3072)}`, "@releaseDomain"]) {
      expect(errorOf(toolstack.write(path, "v")), path).toBe("EINVAL");
      expect(errorOf(toolstack.read(path)), path).toBe("EINVAL");
    }
  });
});
