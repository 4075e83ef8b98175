// Registered watches and the decision of which of them a change fires: a watch fires when its
// path is a component-wise prefix of the changed path, and a removal also fires every watch
// below the removed node; the store then checks that the watcher may read the node. Watches
// are indexed by path so that a change costs one lookup per component of its path, however
// many watches exist.

import { isComponentPrefix } from "./store-paths.js";

/** One registered watch; `owner` identifies the connection that holds it. */
export interface StoreWatch<Owner> {
  readonly owner: Owner;
  /** Absolute node path, or a special path such as @releaseDomain. */
  readonly path: string;
  readonly token: string;
  /** The client gave a relative path, so events show paths relative to its home. */
  readonly relative: boolean;
}

export class WatchRegistry<Owner> {
  // Watches by watched path, each list in registration order.
  private readonly watchesByPath = new Map<string, StoreWatch<Owner>[]>();
  private watchCount = 0;

  get size(): number {
    return this.watchCount;
  }

  add(watch: StoreWatch<Owner>): void {
    const list = this.watchesByPath.get(watch.path);
    if (list === undefined) this.watchesByPath.set(watch.path, [watch]);
    else list.push(watch);
    this.watchCount++;
  }

  find(owner: Owner, path: string, token: string): StoreWatch<Owner> | undefined {
    return this.watchesByPath.get(path)?.find((watch) => watch.owner === owner && watch.token === token);
  }

  remove(watch: StoreWatch<Owner>): void {
    const list = this.watchesByPath.get(watch.path);
    const index = list?.indexOf(watch) ?? -1;
    if (list === undefined || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.watchesByPath.delete(watch.path);
    this.watchCount--;
  }

  /** Removes every watch of one owner and says how many there were. */
  removeAllOf(owner: Owner): number {
    let removed = 0;
    for (const [path, list] of this.watchesByPath) {
      const kept = list.filter((watch) => watch.owner !== owner);
      removed += list.length - kept.length;
      if (kept.length === 0) this.watchesByPath.delete(path);
      else if (kept.length !== list.length) this.watchesByPath.set(path, kept);
    }
    this.watchCount -= removed;
    return removed;
  }

  /**
   * Calls `fire(watch, eventPath)` once per watch a change at `path` triggers: watches on the
   * path or an ancestor (outermost first) get the changed path, and for removals watches
   * strictly below it get their own path, since those nodes went away too.
   */
  forEachTriggered(path: string, isRemoval: boolean, fire: (watch: StoreWatch<Owner>, eventPath: string) => void): void {
    if (this.watchCount === 0) return;
    // Collect first: a watcher's event handler may add or remove watches while we fire.
    const triggered: [StoreWatch<Owner>, string][] = [];
    const collect = (watchedPath: string, eventPath: string): void => {
      const list = this.watchesByPath.get(watchedPath);
      if (list !== undefined) for (const watch of list) triggered.push([watch, eventPath]);
    };
    if (path.startsWith("/")) {
      collect("/", path);
      for (let slash = path.indexOf("/", 1); slash > 0; slash = path.indexOf("/", slash + 1)) collect(path.slice(0, slash), path);
      if (path !== "/") collect(path, path);
    } else {
      collect(path, path);
    }
    if (isRemoval) {
      for (const watchedPath of this.watchesByPath.keys()) {
        if (watchedPath !== path && isComponentPrefix(path, watchedPath)) collect(watchedPath, watchedPath);
      }
    }
    for (const [watch, eventPath] of triggered) fire(watch, eventPath);
  }
}
