// The primitive changes the store is made of. Operations plan them, the journal records them,
// and the same function applies them to the committed tree, to a transaction's overlay and
// during recovery, so that all three agree by construction.

import type { NodeTable, NodeTree } from "./node-tree.js";
import { isSpecialPath, joinChildPath, lastComponentOf, parentPathOf } from "./store-paths.js";
import type { StorePermissionList } from "./permissions.js";

export type StoreMutation =
  /** Creates a node whose parent exists and which does not exist yet. */
  | { readonly kind: "create"; readonly path: string; readonly value: Uint8Array; readonly permissions: StorePermissionList }
  | { readonly kind: "set-value"; readonly path: string; readonly value: Uint8Array }
  | { readonly kind: "set-permissions"; readonly path: string; readonly permissions: StorePermissionList }
  /** Removes a node with everything under it. */
  | { readonly kind: "remove"; readonly path: string }
  | { readonly kind: "introduce-domain"; readonly domainId: number }
  | { readonly kind: "release-domain"; readonly domainId: number };

/** Applies one planned mutation; the planner guarantees its preconditions. */
export function applyMutation(table: NodeTable, mutation: StoreMutation): void {
  switch (mutation.kind) {
    case "create": {
      const parent = table.modify(parentPathOf(mutation.path));
      if (parent === undefined) return;
      parent.children.push(lastComponentOf(mutation.path));
      parent.generation = table.nextGeneration();
      table.insert(mutation.path, { value: mutation.value, permissions: mutation.permissions, children: [], generation: table.nextGeneration() });
      table.adjustOwnedNodeCount(mutation.permissions[0]?.domainId ?? 0, 1);
      return;
    }
    case "set-value": {
      const node = table.modify(mutation.path);
      if (node === undefined) return;
      node.value = mutation.value;
      node.generation = table.nextGeneration();
      return;
    }
    case "set-permissions": {
      if (isSpecialPath(mutation.path)) {
        // Special nodes are committed state only and own no quota.
        if (isNodeTree(table)) table.specialPermissions.set(mutation.path, mutation.permissions);
        return;
      }
      const node = table.modify(mutation.path);
      if (node === undefined) return;
      table.adjustOwnedNodeCount(node.permissions[0]?.domainId ?? 0, -1);
      table.adjustOwnedNodeCount(mutation.permissions[0]?.domainId ?? 0, 1);
      node.permissions = mutation.permissions;
      node.generation = table.nextGeneration();
      return;
    }
    case "remove": {
      if (mutation.path === "/" || table.read(mutation.path) === undefined) return;
      removeSubtree(table, mutation.path);
      const parent = table.modify(parentPathOf(mutation.path));
      if (parent === undefined) return;
      const index = parent.children.indexOf(lastComponentOf(mutation.path));
      if (index >= 0) parent.children.splice(index, 1);
      parent.generation = table.nextGeneration();
      return;
    }
    case "introduce-domain":
    case "release-domain":
      // Domain membership is committed state only; transactions never carry these.
      if (!isNodeTree(table)) return;
      if (mutation.kind === "introduce-domain") table.introducedDomains.add(mutation.domainId);
      else table.introducedDomains.delete(mutation.domainId);
      return;
    default:
      return assertNever(mutation);
  }
}

function removeSubtree(table: NodeTable, path: string): void {
  const node = table.read(path);
  if (node === undefined) return;
  for (const childName of node.children) removeSubtree(table, joinChildPath(path, childName));
  table.adjustOwnedNodeCount(node.permissions[0]?.domainId ?? 0, -1);
  table.delete(path);
}

function isNodeTree(table: NodeTable): table is NodeTree {
  return "introducedDomains" in table;
}

function assertNever(value: never): never {
  throw new Error(`unhandled store mutation ${JSON.stringify(value)}`);
}
