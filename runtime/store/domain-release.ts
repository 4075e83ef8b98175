// What releasing a domain does to the tree: every node it owns goes away with its subtree, and
// its entries disappear from the permission lists of the nodes that remain.

import type { NodeTree } from "./node-tree.js";
import type { StoreMutation } from "./mutations.js";
import type { StoreChange } from "./node-operations.js";
import { withoutDomainEntries } from "./permissions.js";
import { parentPathOf } from "./store-paths.js";

export interface PlannedDomainRelease {
  readonly mutations: readonly StoreMutation[];
  readonly changes: readonly StoreChange[];
}

export function planDomainRelease(tree: NodeTree, domainId: number): PlannedDomainRelease {
  const mutations: StoreMutation[] = [];
  const changes: StoreChange[] = [];
  const removedRoots = new Set<string>();
  // The map holds parents before children, so a removed ancestor is always seen first.
  for (const [path, node] of tree.nodes) {
    if (path === "/" || hasRemovedAncestor(removedRoots, path)) continue;
    if (node.permissions[0]?.domainId === domainId) {
      removedRoots.add(path);
      mutations.push({ kind: "remove", path });
      changes.push({ path, removedPermissions: node.permissions });
      continue;
    }
    const remaining = withoutDomainEntries(node.permissions, domainId);
    if (remaining !== undefined) mutations.push({ kind: "set-permissions", path, permissions: remaining });
  }
  for (const [path, permissions] of tree.specialPermissions) {
    const remaining = withoutDomainEntries(permissions, domainId);
    if (remaining !== undefined) mutations.push({ kind: "set-permissions", path, permissions: remaining });
  }
  mutations.push({ kind: "release-domain", domainId });
  return { mutations, changes };
}

function hasRemovedAncestor(removedRoots: ReadonlySet<string>, path: string): boolean {
  if (removedRoots.size === 0) return false;
  for (let current = parentPathOf(path); current !== "/"; current = parentPathOf(current)) {
    if (removedRoots.has(current)) return true;
  }
  return false;
}
