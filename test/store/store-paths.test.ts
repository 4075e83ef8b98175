import { describe, expect, it } from "vitest";
import {
  isComponentPrefix,
  isValidAbsolutePath,
  parentPathOf,
  presentPathTo,
  resolveNodePath,
  resolveWatchPath,
} from "../../runtime/store/store-paths.js";

describe("store paths", () => {
  it("accepts Xen's character set and rejects others", () => {
    expect(isValidAbsolutePath("/local/domain/1/device/vbd-768_x@y")).toBe(true);
    expect(isValidAbsolutePath("/a b")).toBe(false);
    expect(isValidAbsolutePath("/a.b")).toBe(false);
    expect(isValidAbsolutePath("/a\u00e9")).toBe(false);
  });

  it("rejects a double slash, a trailing slash and the empty path", () => {
    expect(isValidAbsolutePath("/a//b")).toBe(false);
    expect(isValidAbsolutePath("/a/")).toBe(false);
    expect(isValidAbsolutePath("")).toBe(false);
    expect(isValidAbsolutePath("/")).toBe(true);
  });

  it("resolves relative paths under the domain's home", () => {
    expect(resolveNodePath("device/vif", 7)).toEqual({ ok: true, path: { absolute: "/local/domain/7/device/vif", relative: true } });
    expect(resolveNodePath("", 7)).toEqual({ ok: false, error: "EINVAL" });
  });

  it("enforces 3072 characters for absolute and 2048 for relative paths", () => {
    expect(resolveNodePath(`/${"a".repeat(3071)}`, 0).ok).toBe(true);
    expect(resolveNodePath(`/${"a".repeat(3072)}`, 0)).toEqual({ ok: false, error: "EINVAL" });
    expect(resolveNodePath("a".repeat(2048), 0).ok).toBe(true);
    expect(resolveNodePath("a".repeat(2049), 0)).toEqual({ ok: false, error: "EINVAL" });
  });

  it("accepts special paths only for watches", () => {
    expect(resolveNodePath("@releaseDomain", 0)).toEqual({ ok: false, error: "EINVAL" });
    expect(resolveWatchPath("@releaseDomain", 3)).toEqual({ ok: true, path: { absolute: "@releaseDomain", relative: false } });
    expect(resolveWatchPath("@", 3).ok).toBe(false);
  });

  it("matches prefixes component by component", () => {
    expect(isComponentPrefix("/a/b", "/a/b")).toBe(true);
    expect(isComponentPrefix("/a/b", "/a/b/c")).toBe(true);
    expect(isComponentPrefix("/a/b", "/a/bc")).toBe(false);
    expect(isComponentPrefix("/", "/x")).toBe(true);
    expect(isComponentPrefix("/", "@releaseDomain")).toBe(false);
  });

  it("finds parents and presents relative event paths", () => {
    expect(parentPathOf("/a")).toBe("/");
    expect(parentPathOf("/a/b/c")).toBe("/a/b");
    expect(presentPathTo("/local/domain/4/x/y", true, 4)).toBe("x/y");
    expect(presentPathTo("/local/domain/4/x/y", false, 4)).toBe("/local/domain/4/x/y");
    expect(presentPathTo("/other", true, 4)).toBe("/other");
  });
});
