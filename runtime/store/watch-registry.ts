// Registered watches and the decision of which of them a change fires: a watch fires when its
// path is a component-wise prefix of the changed path, and a removal also fires every watch
// below the removed node; the store then checks that the watcher may read the node.

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
  private readonly watches: StoreWatch<Owner>[] = [];

  add(watch: StoreWatch<Owner>): void {
    this.watches.push(watch);
  }

  find(owner: Owner, path: string, token: string): StoreWatch<Owner> | undefined {
    return this.watches.find((watch) => watch.owner === owner && watch.path === path && watch.token === token);
  }

  remove(watch: StoreWatch<Owner>): void {
    const index = this.watches.indexOf(watch);
    if (index >= 0) this.watches.splice(index, 1);
  }

  /** Removes every watch of one owner and says how many there were. */
  removeAllOf(owner: Owner): number {
    let removed = 0;
    for (let index = this.watches.length - 1; index >= 0; index--) {
      if (this.watches[index]!.owner === owner) {
        this.watches.splice(index, 1);
        removed++;
      }
    }
    return removed;
  }

  /**
   * Calls `fire(watch, eventPath)` once per watch a change at `path` triggers: watches on the
   * path or an ancestor get the changed path, and (for removals) watches strictly below it get
   * their own path, since those nodes went away too.
   */
  forEachTriggered(path: string, isRemoval: boolean, fire: (watch: StoreWatch<Owner>, eventPath: string) => void): void {
    // Iterate over a copy: a watcher's event handler may add or remove watches.
    for (const watch of this.watches.slice()) {
      if (isComponentPrefix(watch.path, path)) fire(watch, path);
      else if (isRemoval && isComponentPrefix(path, watch.path)) fire(watch, watch.path);
    }
  }
}
