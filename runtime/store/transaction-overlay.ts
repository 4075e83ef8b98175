// A transaction's private view of the tree: changed nodes live in an overlay, unchanged ones are
// read from the committed tree, and every committed node looked up (present or absent) is
// remembered with its generation so that the commit can tell whether anything moved meanwhile.

import type { NodeTable, NodeTree, StoreNode } from "./node-tree.js";

// The generation recorded for a node that was absent when the transaction looked it up.
const absentGeneration = -1;

export class TransactionOverlay implements NodeTable {
  // A null entry means the transaction deleted the node.
  private readonly changedNodes = new Map<string, StoreNode | null>();
  private readonly accessedGenerations = new Map<string, number>();
  private readonly ownedNodeDeltas = new Map<number, number>();

  constructor(private readonly committed: NodeTree) {}

  read(path: string): StoreNode | undefined {
    const changed = this.changedNodes.get(path);
    if (changed !== undefined) return changed ?? undefined;
    const node = this.committed.read(path);
    if (!this.accessedGenerations.has(path)) this.accessedGenerations.set(path, node?.generation ?? absentGeneration);
    return node;
  }

  modify(path: string): StoreNode | undefined {
    const changed = this.changedNodes.get(path);
    if (changed !== undefined) return changed ?? undefined;
    const node = this.read(path);
    if (node === undefined) return undefined;
    const copy: StoreNode = { value: node.value, permissions: node.permissions, children: node.children.slice(), generation: node.generation };
    this.changedNodes.set(path, copy);
    return copy;
  }

  insert(path: string, node: StoreNode): void {
    if (!this.accessedGenerations.has(path) && !this.changedNodes.has(path)) {
      this.accessedGenerations.set(path, this.committed.read(path)?.generation ?? absentGeneration);
    }
    this.changedNodes.set(path, node);
  }

  delete(path: string): void {
    this.changedNodes.set(path, null);
  }

  nextGeneration(): number {
    return this.committed.nextGeneration();
  }

  ownedNodeCount(domainId: number): number {
    return this.committed.ownedNodeCount(domainId) + (this.ownedNodeDeltas.get(domainId) ?? 0);
  }

  adjustOwnedNodeCount(domainId: number, delta: number): void {
    this.ownedNodeDeltas.set(domainId, (this.ownedNodeDeltas.get(domainId) ?? 0) + delta);
  }

  /** True when every node the transaction looked up still has the generation it saw. */
  isStillConsistent(): boolean {
    for (const [path, generation] of this.accessedGenerations) {
      if ((this.committed.read(path)?.generation ?? absentGeneration) !== generation) return false;
    }
    return true;
  }
}
