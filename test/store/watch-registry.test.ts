import { describe, expect, it } from "vitest";
import { WatchRegistry } from "../../runtime/store/watch-registry.js";

function triggered(registry: WatchRegistry<string>, path: string, isRemoval: boolean): string[] {
  const fired: string[] = [];
  registry.forEachTriggered(path, isRemoval, (watch, eventPath) => fired.push(`${watch.owner}:${watch.token}@${eventPath}`));
  return fired;
}

describe("watch registry", () => {
  it("fires the root watch, ancestors and the path itself, outermost first", () => {
    const registry = new WatchRegistry<string>();
    for (const path of ["/a/b/c", "/", "/a", "/a/b", "/a/bc", "/x"]) registry.add({ owner: "o", path, token: path, relative: false });
    expect(triggered(registry, "/a/b/c", false)).toEqual(["o:/@/a/b/c", "o:/a@/a/b/c", "o:/a/b@/a/b/c", "o:/a/b/c@/a/b/c"]);
  });

  it("fires watches below a removed node with their own paths", () => {
    const registry = new WatchRegistry<string>();
    for (const path of ["/a/b/c", "/a/b", "/a/bc", "/a/b/d/e"]) registry.add({ owner: "o", path, token: "t", relative: false });
    expect(triggered(registry, "/a/b", true)).toEqual(["o:t@/a/b", "o:t@/a/b/c", "o:t@/a/b/d/e"]);
    expect(triggered(registry, "/a/b", false)).toEqual(["o:t@/a/b"]);
  });

  it("matches special paths exactly", () => {
    const registry = new WatchRegistry<string>();
    registry.add({ owner: "o", path: "@releaseDomain", token: "t", relative: false });
    registry.add({ owner: "o", path: "/", token: "root", relative: false });
    expect(triggered(registry, "@releaseDomain", false)).toEqual(["o:t@@releaseDomain"]);
  });

  it("keeps registration order among watches of one path, finds and removes them", () => {
    const registry = new WatchRegistry<string>();
    registry.add({ owner: "a", path: "/p", token: "1", relative: false });
    registry.add({ owner: "b", path: "/p", token: "1", relative: false });
    registry.add({ owner: "a", path: "/q", token: "2", relative: false });
    expect(triggered(registry, "/p", false)).toEqual(["a:1@/p", "b:1@/p"]);
    const found = registry.find("b", "/p", "1");
    expect(found?.owner).toBe("b");
    registry.remove(found!);
    expect(registry.find("b", "/p", "1")).toBeUndefined();
    expect(registry.removeAllOf("a")).toBe(2);
    expect(registry.size).toBe(0);
    expect(triggered(registry, "/p", true)).toEqual([]);
  });

  it("fires the watches that were registered when the change happened, even if a handler edits them", () => {
    const registry = new WatchRegistry<string>();
    registry.add({ owner: "a", path: "/p", token: "1", relative: false });
    registry.add({ owner: "b", path: "/p", token: "2", relative: false });
    const fired: string[] = [];
    registry.forEachTriggered("/p", false, (watch) => {
      fired.push(watch.owner);
      registry.removeAllOf("b");
      registry.add({ owner: "c", path: "/p", token: "3", relative: false });
    });
    expect(fired).toEqual(["a", "b"]);
  });
});
