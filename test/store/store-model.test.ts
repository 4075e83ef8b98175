// A differential test: random operation sequences from a privileged and two unprivileged
// connections run against the store and against a small, naive reference model of Xen's
// node and permission rules. Transactions are checked for serializability: a transaction that
// commits must give the same replies when replayed on the model at its commit point.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StoreAccessLetter, StorePermissionList } from "../../runtime/store/permissions.js";
import { StoreClient } from "../../runtime/store/store-client.js";
import type { StoreResult } from "../../runtime/store/store-client.js";
import { createStoreFixture, expectOk } from "./store-fixture.js";

interface ModelNode {
  value: string;
  permissions: StorePermissionList;
  children: string[];
}

type ModelTree = Map<string, ModelNode>;

type Operation =
  | { readonly kind: "read" | "remove" | "directory"; readonly path: string }
  | { readonly kind: "write"; readonly path: string; readonly value: string }
  | { readonly kind: "set-permissions"; readonly path: string; readonly permissions: StorePermissionList };

type Step =
  | { readonly kind: "direct"; readonly client: number; readonly operation: Operation }
  | { readonly kind: "start"; readonly client: number }
  | { readonly kind: "in-transaction"; readonly client: number; readonly operation: Operation }
  | { readonly kind: "end"; readonly client: number; readonly commit: boolean };

const clientDomains = [0, 1, 2] as const;
const pathArbitrary = fc
  .tuple(
    fc.constantFrom("/local/domain/1", "/local/domain/2", "/shared"),
    fc.array(fc.constantFrom("a", "b"), { minLength: 0, maxLength: 2 }),
  )
  .map(([base, parts]) => [base, ...parts].join("/"));
const permissionsArbitrary = fc.array(
  fc.record({ domainId: fc.constantFrom(0, 1, 2, 3), access: fc.constantFrom<StoreAccessLetter>("n", "r", "w", "b") }),
  { minLength: 1, maxLength: 3 },
);
const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constantFrom("read" as const, "remove" as const, "directory" as const), path: pathArbitrary }),
  fc.record({ kind: fc.constant("write" as const), path: pathArbitrary, value: fc.constantFrom("", "x", "yy") }),
  fc.record({ kind: fc.constant("set-permissions" as const), path: pathArbitrary, permissions: permissionsArbitrary }),
);
const clientArbitrary = fc.integer({ min: 0, max: 2 });
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("direct" as const), client: clientArbitrary, operation: operationArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("start" as const), client: clientArbitrary }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("in-transaction" as const), client: clientArbitrary, operation: operationArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("end" as const), client: clientArbitrary, commit: fc.boolean() }) },
);

const readBit = 1;
const writeBit = 2;
const ownerBit = 4;

function modelAccess(node: ModelNode, domainId: number): number {
  if (domainId === 0) return readBit | writeBit | ownerBit;
  const [owner, ...rest] = node.permissions;
  if (owner!.domainId === domainId) return readBit | writeBit | ownerBit;
  const entry = rest.find((candidate) => candidate.domainId === domainId) ?? owner!;
  return { n: 0, r: readBit, w: writeBit, b: readBit | writeBit }[entry.access];
}

function parentOf(path: string): string {
  const index = path.lastIndexOf("/");
  return index === 0 ? "/" : path.slice(0, index);
}

function nearestAncestor(tree: ModelTree, path: string): string {
  let current = parentOf(path);
  while (!tree.has(current)) current = parentOf(current);
  return current;
}

/** Applies one operation to the model and returns the reply, rendered as text. */
function applyToModel(tree: ModelTree, domainId: number, operation: Operation): string {
  const node = tree.get(operation.path);
  const denied = (required: number): string => {
    const ancestor = tree.get(nearestAncestor(tree, operation.path))!;
    return (modelAccess(ancestor, domainId) & required) !== 0 ? "ENOENT" : "EACCES";
  };
  switch (operation.kind) {
    case "read":
      if (node === undefined) return denied(readBit);
      return modelAccess(node, domainId) & readBit ? `value:${node.value}` : "EACCES";
    case "directory":
      if (node === undefined) return denied(readBit);
      return modelAccess(node, domainId) & readBit ? `children:${node.children.join(",")}` : "EACCES";
    case "write": {
      if (node !== undefined) {
        if (!(modelAccess(node, domainId) & writeBit)) return "EACCES";
        node.value = operation.value;
        return "OK";
      }
      const ancestorPath = nearestAncestor(tree, operation.path);
      if (!(modelAccess(tree.get(ancestorPath)!, domainId) & writeBit)) return "EACCES";
      const missing: string[] = [];
      for (let current = operation.path; current !== ancestorPath; current = parentOf(current)) missing.unshift(current);
      for (const path of missing) {
        const parent = tree.get(parentOf(path))!;
        const permissions =
          domainId === 0 ? parent.permissions : [{ domainId, access: parent.permissions[0]!.access }, ...parent.permissions.slice(1)];
        parent.children.push(path.slice(path.lastIndexOf("/") + 1));
        tree.set(path, { value: path === operation.path ? operation.value : "", permissions, children: [] });
      }
      return "OK";
    }
    case "remove": {
      if (node === undefined) {
        const error = denied(writeBit);
        if (error === "ENOENT" && tree.has(parentOf(operation.path))) return "OK";
        return error;
      }
      if (!(modelAccess(node, domainId) & writeBit)) return "EACCES";
      for (const path of [...tree.keys()]) if (path === operation.path || path.startsWith(`${operation.path}/`)) tree.delete(path);
      const parent = tree.get(parentOf(operation.path))!;
      parent.children = parent.children.filter((child) => child !== operation.path.slice(operation.path.lastIndexOf("/") + 1));
      return "OK";
    }
    case "set-permissions": {
      if (node === undefined) return denied(writeBit | ownerBit);
      if ((modelAccess(node, domainId) & (writeBit | ownerBit)) !== (writeBit | ownerBit)) return "EACCES";
      if (domainId !== 0 && operation.permissions[0]!.domainId !== node.permissions[0]!.domainId) return "EPERM";
      node.permissions = operation.permissions;
      return "OK";
    }
  }
}

function applyToStore(client: StoreClient, operation: Operation, transaction: number): string {
  const render = <T>(result: StoreResult<T>, show: (value: T) => string): string => (result.ok ? show(result.value) : result.error);
  switch (operation.kind) {
    case "read":
      return render(client.readText(operation.path, transaction), (value) => `value:${value}`);
    case "directory":
      return render(client.directory(operation.path, transaction), (value) => `children:${value.join(",")}`);
    case "write":
      return render(client.write(operation.path, operation.value, transaction), () => "OK");
    case "remove":
      return render(client.remove(operation.path, transaction), () => "OK");
    case "set-permissions":
      return render(client.setPermissions(operation.path, operation.permissions, transaction), () => "OK");
  }
}

/** A request that may have changed a node (writing an equal value still counts, as in Xen). */
function isSuccessfulChange(operation: Operation, reply: string): boolean {
  return reply === "OK" && operation.kind !== "read" && operation.kind !== "directory";
}

function cloneTree(tree: ModelTree): ModelTree {
  return new Map([...tree].map(([path, node]) => [path, { value: node.value, permissions: node.permissions, children: [...node.children] }]));
}

interface OpenModelTransaction {
  readonly id: number;
  readonly operations: { readonly operation: Operation; readonly reply: string }[];
  readonly commitsAtStart: number;
}

function runSteps(steps: readonly Step[]): void {
  const fixture = createStoreFixture();
  const clients = clientDomains.map((domainId) => (domainId === 0 ? fixture.toolstack : fixture.guest(domainId)));
  expectOk(fixture.toolstack.mkdir("/shared"));
  expectOk(fixture.toolstack.setPermissions("/shared", [{ domainId: 0, access: "r" }, { domainId: 1, access: "b" }]));
  // The model starts from the fixture's committed state, read back through the store.
  const model: ModelTree = new Map();
  for (const path of fixture.store.listNodePaths()) {
    model.set(path, {
      value: expectOk(fixture.toolstack.readText(path)),
      permissions: expectOk(fixture.toolstack.getPermissions(path)),
      children: expectOk(fixture.toolstack.directory(path)),
    });
  }
  const transactions = new Map<number, OpenModelTransaction>();
  let committedChanges = 0;
  for (const step of steps) {
    const client = clients[step.client]!;
    const domainId = clientDomains[step.client]!;
    switch (step.kind) {
      case "direct": {
        const reply = applyToModel(model, domainId, step.operation);
        expect(applyToStore(client, step.operation, 0), JSON.stringify(step)).toBe(reply);
        if (isSuccessfulChange(step.operation, reply)) committedChanges++;
        break;
      }
      case "start":
        if (!transactions.has(step.client)) {
          transactions.set(step.client, { id: expectOk(client.startTransaction()), operations: [], commitsAtStart: committedChanges });
        }
        break;
      case "in-transaction": {
        const transaction = transactions.get(step.client);
        if (transaction === undefined) break;
        transaction.operations.push({ operation: step.operation, reply: applyToStore(client, step.operation, transaction.id) });
        break;
      }
      case "end": {
        const transaction = transactions.get(step.client);
        if (transaction === undefined) break;
        transactions.delete(step.client);
        const ended = client.endTransaction(transaction.id, step.commit);
        if (!step.commit) {
          expect(ended.ok).toBe(true);
          break;
        }
        if (!ended.ok) {
          expect(ended.error).toBe("EAGAIN");
          // Nothing changed by anyone since it started: it had no reason to fail.
          expect(committedChanges).toBeGreaterThan(transaction.commitsAtStart);
          break;
        }
        const replay = cloneTree(model);
        for (const { operation, reply } of transaction.operations) {
          expect(applyToModel(replay, domainId, operation), `replay of ${JSON.stringify(operation)}`).toBe(reply);
        }
        if (transaction.operations.some(({ operation, reply }) => isSuccessfulChange(operation, reply))) committedChanges++;
        model.clear();
        for (const [path, node] of replay) model.set(path, node);
        break;
      }
    }
  }
  expect(new Set(fixture.store.listNodePaths())).toEqual(new Set(model.keys()));
  const owned = new Map<number, number>();
  for (const [path, node] of model) {
    expect(expectOk(fixture.toolstack.readText(path))).toBe(node.value);
    expect(expectOk(fixture.toolstack.getPermissions(path))).toEqual(node.permissions);
    expect(expectOk(fixture.toolstack.directory(path))).toEqual(node.children);
    owned.set(node.permissions[0]!.domainId, (owned.get(node.permissions[0]!.domainId) ?? 0) + 1);
  }
  for (const domainId of [0, 1, 2, 3]) expect(fixture.store.countNodesOwnedBy(domainId)).toBe(owned.get(domainId) ?? 0);
}

describe("store against a reference model", () => {
  it("detects a stale read in a committed transaction (the property can fail)", () => {
    runSteps([
      { kind: "start", client: 0 },
      { kind: "in-transaction", client: 0, operation: { kind: "read", path: "/shared" } },
      { kind: "direct", client: 0, operation: { kind: "write", path: "/shared", value: "x" } },
      { kind: "in-transaction", client: 0, operation: { kind: "write", path: "/shared/a", value: "y" } },
      { kind: "end", client: 0, commit: true },
    ]);
  });

  it("agrees on every reply and on the final tree; committed transactions are serializable", () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary, { minLength: 1, maxLength: 80, size: "max" }), (steps) => runSteps(steps)),
      { numRuns: 250, seed: 20261128 },
    );
  });
});
