// The store's committed state: nodes keyed by absolute path, each with its value bytes, its
// permission list, its children in creation order and a generation that changes with every
// modification (of the node, or of its list of children).

import type { StorePermissionList } from "./permissions.js";

export interface StoreNode {
  /** Immutable once stored: replies hand this array out without copying it. */
  value: Uint8Array;
  permissions: StorePermissionList;
  /** Child names (not paths) in creation order, as Xen lists them. */
  children: string[];
  /** Unique across the store's lifetime; replaced on every change to the node. */
  generation: number;
}

/**
 * What mutations are applied to: the committed tree itself, or a transaction's private overlay
 * on top of it. Reads through an overlay are recorded so a commit can detect conflicts.
 */
export interface NodeTable {
  read(path: string): StoreNode | undefined;
  /** The node to modify in place; an overlay first takes a private copy. */
  modify(path: string): StoreNode | undefined;
  insert(path: string, node: StoreNode): void;
  delete(path: string): void;
  nextGeneration(): number;
  ownedNodeCount(domainId: number): number;
  adjustOwnedNodeCount(domainId: number, delta: number): void;
}

/**
 * The committed tree. Like xenstored's, it starts with "/", "/tool" and "/tool/xenstored",
 * owned by domain 0 and closed to everyone else.
 */
/** The special nodes a watch can name; each has a permission list deciding who sees its events. */
export const specialNodePaths = ["@introduceDomain", "@releaseDomain"] as const;
const initialSpecialPermissions: StorePermissionList = [{ domainId: 0, access: "n" }];

export class NodeTree implements NodeTable {
  readonly nodes = new Map<string, StoreNode>();
  readonly introducedDomains = new Set<number>([0]);
  /** Permissions of @introduceDomain and @releaseDomain: domain 0's alone until changed. */
  readonly specialPermissions = new Map<string, StorePermissionList>(specialNodePaths.map((path) => [path, initialSpecialPermissions]));
  private readonly ownedNodeCounts = new Map<number, number>();
  private generationCounter = 0;

  constructor() {
    const closed: StorePermissionList = [{ domainId: 0, access: "n" }];
    const empty = new Uint8Array(0);
    this.nodes.set("/", { value: empty, permissions: closed, children: ["tool"], generation: 0 });
    this.nodes.set("/tool", { value: empty, permissions: closed, children: ["xenstored"], generation: 0 });
    this.nodes.set("/tool/xenstored", { value: empty, permissions: closed, children: [], generation: 0 });
    this.ownedNodeCounts.set(0, this.nodes.size);
  }

  read(path: string): StoreNode | undefined {
    return this.nodes.get(path);
  }

  modify(path: string): StoreNode | undefined {
    return this.nodes.get(path);
  }

  insert(path: string, node: StoreNode): void {
    this.nodes.set(path, node);
  }

  delete(path: string): void {
    this.nodes.delete(path);
  }

  nextGeneration(): number {
    return ++this.generationCounter;
  }

  /** The generation counter, saved in snapshots so that generations stay unique after recovery. */
  get currentGeneration(): number {
    return this.generationCounter;
  }

  restoreGeneration(generation: number): void {
    this.generationCounter = Math.max(this.generationCounter, generation);
  }

  ownedNodeCount(domainId: number): number {
    return this.ownedNodeCounts.get(domainId) ?? 0;
  }

  adjustOwnedNodeCount(domainId: number, delta: number): void {
    const count = (this.ownedNodeCounts.get(domainId) ?? 0) + delta;
    if (count === 0) this.ownedNodeCounts.delete(domainId);
    else this.ownedNodeCounts.set(domainId, count);
  }
}

/** Rebuilds a tree from saved nodes (parents first); owned-node counts are recomputed. */
export function restoreNodeTree(
  nodes: Iterable<{ readonly path: string; readonly node: StoreNode }>,
  introducedDomains: Iterable<number>,
  specialPermissions: Iterable<{ readonly path: string; readonly permissions: StorePermissionList }>,
  generation: number,
): NodeTree {
  const tree = new NodeTree();
  tree.nodes.clear();
  tree.adjustOwnedNodeCount(0, -tree.ownedNodeCount(0));
  for (const { path, node } of nodes) {
    tree.nodes.set(path, node);
    tree.adjustOwnedNodeCount(node.permissions[0]?.domainId ?? 0, 1);
  }
  for (const domainId of introducedDomains) tree.introducedDomains.add(domainId);
  for (const { path, permissions } of specialPermissions) tree.specialPermissions.set(path, permissions);
  tree.restoreGeneration(generation);
  return tree;
}
