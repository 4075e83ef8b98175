// Xen's rules for the requests that read or change nodes (READ, WRITE, MKDIR, RM, DIRECTORY,
// DIRECTORY_PART, GET_PERMS, SET_PERMS): each is planned against a table without changing it,
// yielding the reply, the mutations to apply and the changes that fire watches.

import type { NodeTable, StoreNode } from "./node-tree.js";
import type { StoreMutation } from "./mutations.js";
import {
  StoreAccess,
  computeAccess,
  formatPermissionList,
  inheritPermissions,
  parsePermissionEntries,
} from "./permissions.js";
import type { StoreAccessBits, StorePermissionList } from "./permissions.js";
import type { StoreQuotas } from "./quotas.js";
import { parentPathOf, resolveNodePath } from "./store-paths.js";
import {
  decodeArgumentList,
  decodePathAndValue,
  decodeSingleArgument,
  emptyPayload,
  encodeWireText,
  okReplyPayload,
} from "./wire-arguments.js";
import { XsMessageType, xsPayloadMaxBytes } from "./wire-types.js";
import type { XsErrorName } from "./wire-types.js";

/** Who is asking: the identity permissions and quotas are checked against. */
export interface OperationCaller {
  readonly domainId: number;
  readonly privileged: boolean;
}

/** A change that fires watches: the changed path, and for removals the permissions it had. */
export interface StoreChange {
  readonly path: string;
  /** Present for removals: the removed node's permissions decide who may see the event. */
  readonly removedPermissions?: StorePermissionList;
}

export type PlannedOperation =
  | {
      readonly ok: true;
      readonly reply: Uint8Array;
      readonly mutations: readonly StoreMutation[];
      readonly changes: readonly StoreChange[];
    }
  | { readonly ok: false; readonly error: XsErrorName };

const noMutations: readonly StoreMutation[] = [];
const noChanges: readonly StoreChange[] = [];

function fail(error: XsErrorName): PlannedOperation {
  return { ok: false, error };
}

function answer(reply: Uint8Array): PlannedOperation {
  return { ok: true, reply, mutations: noMutations, changes: noChanges };
}

function change(mutations: readonly StoreMutation[], changes: readonly StoreChange[]): PlannedOperation {
  return { ok: true, reply: okReplyPayload, mutations, changes };
}

/** True for the message types planNodeOperation handles. */
export function isNodeOperation(type: number): boolean {
  switch (type) {
    case XsMessageType.read:
    case XsMessageType.write:
    case XsMessageType.mkdir:
    case XsMessageType.rm:
    case XsMessageType.directory:
    case XsMessageType.directoryPart:
    case XsMessageType.getPerms:
    case XsMessageType.setPerms:
      return true;
    default:
      return false;
  }
}

/** Plans one node request; reads go through `table` so that a transaction records them. */
export function planNodeOperation(
  table: NodeTable,
  caller: OperationCaller,
  quotas: StoreQuotas,
  type: number,
  payload: Uint8Array,
): PlannedOperation {
  switch (type) {
    case XsMessageType.read:
      return planRead(table, caller, payload);
    case XsMessageType.write: {
      const decoded = decodePathAndValue(payload);
      if (decoded === undefined) return fail("EINVAL");
      return planWrite(table, caller, quotas, decoded.path, decoded.value, false);
    }
    case XsMessageType.mkdir: {
      const path = decodeSingleArgument(payload);
      if (path === undefined) return fail("EINVAL");
      return planWrite(table, caller, quotas, path, emptyPayload, true);
    }
    case XsMessageType.rm:
      return planRemove(table, caller, payload);
    case XsMessageType.directory:
      return planDirectory(table, caller, payload);
    case XsMessageType.directoryPart:
      return planDirectoryPart(table, caller, payload);
    case XsMessageType.getPerms:
      return planGetPermissions(table, caller, payload);
    case XsMessageType.setPerms:
      return planSetPermissions(table, caller, quotas, payload);
    default:
      return fail("ENOSYS");
  }
}

type NodeLookup = { readonly ok: true; readonly node: StoreNode } | { readonly ok: false; readonly error: XsErrorName };

/**
 * Finds a node the caller needs `required` access to. A missing node is ENOENT only when the
 * nearest existing ancestor grants some of that access; otherwise EACCES, so that a denied
 * caller cannot probe which nodes exist.
 */
function lookUpNode(table: NodeTable, caller: OperationCaller, path: string, required: StoreAccessBits): NodeLookup {
  const node = table.read(path);
  if (node !== undefined) {
    if ((computeAccess(node.permissions, caller.domainId, caller.privileged) & required) !== required) {
      return { ok: false, error: "EACCES" };
    }
    return { ok: true, node };
  }
  return { ok: false, error: absentNodeError(table, caller, path, required) };
}

function absentNodeError(table: NodeTable, caller: OperationCaller, path: string, required: StoreAccessBits): XsErrorName {
  const ancestor = nearestExistingAncestor(table, path);
  const access = computeAccess(ancestor.node.permissions, caller.domainId, caller.privileged);
  // xenstored asks for any of the required bits here, not all of them.
  return (access & required) !== 0 ? "ENOENT" : "EACCES";
}

function nearestExistingAncestor(table: NodeTable, path: string): { readonly path: string; readonly node: StoreNode } {
  let current = path;
  while (current !== "/") {
    current = parentPathOf(current);
    const node = table.read(current);
    if (node !== undefined) return { path: current, node };
  }
  // The root always exists; reaching here means the table lost it, which mutations never do.
  const root = table.read("/");
  if (root === undefined) throw new Error("the store's root node is missing");
  return { path: "/", node: root };
}

function resolveSinglePath(caller: OperationCaller, payload: Uint8Array): string | undefined {
  const rawPath = decodeSingleArgument(payload);
  if (rawPath === undefined) return undefined;
  const resolved = resolveNodePath(rawPath, caller.domainId);
  return resolved.ok ? resolved.path.absolute : undefined;
}

function planRead(table: NodeTable, caller: OperationCaller, payload: Uint8Array): PlannedOperation {
  const path = resolveSinglePath(caller, payload);
  if (path === undefined) return fail("EINVAL");
  const lookup = lookUpNode(table, caller, path, StoreAccess.read);
  return lookup.ok ? answer(lookup.node.value) : fail(lookup.error);
}

function planWrite(
  table: NodeTable,
  caller: OperationCaller,
  quotas: StoreQuotas,
  rawPath: string,
  value: Uint8Array,
  isMkdir: boolean,
): PlannedOperation {
  const resolved = resolveNodePath(rawPath, caller.domainId);
  if (!resolved.ok) return fail(resolved.error);
  const path = resolved.path.absolute;
  if (!caller.privileged && value.length > quotas.nodeValueBytes) return fail("ENOSPC");
  const existing = table.read(path);
  if (existing !== undefined) {
    if ((computeAccess(existing.permissions, caller.domainId, caller.privileged) & StoreAccess.write) === 0) return fail("EACCES");
    // MKDIR of an existing node succeeds without touching it, as in Xen.
    if (isMkdir) return answer(okReplyPayload);
    return change([{ kind: "set-value", path, value }], [{ path }]);
  }
  const ancestor = nearestExistingAncestor(table, path);
  if ((computeAccess(ancestor.node.permissions, caller.domainId, caller.privileged) & StoreAccess.write) === 0) return fail("EACCES");
  const missingPaths: string[] = [];
  for (let current = path; current !== ancestor.path; current = parentPathOf(current)) missingPaths.push(current);
  missingPaths.reverse();
  if (!caller.privileged && table.ownedNodeCount(caller.domainId) + missingPaths.length > quotas.nodesPerDomain) return fail("ENOSPC");
  const mutations: StoreMutation[] = [];
  let permissions = ancestor.node.permissions;
  for (const missingPath of missingPaths) {
    permissions = inheritPermissions(permissions, caller.domainId, caller.privileged);
    mutations.push({ kind: "create", path: missingPath, value: missingPath === path ? value : emptyPayload, permissions });
  }
  return change(mutations, [{ path }]);
}

function planRemove(table: NodeTable, caller: OperationCaller, payload: Uint8Array): PlannedOperation {
  const path = resolveSinglePath(caller, payload);
  if (path === undefined) return fail("EINVAL");
  const lookup = lookUpNode(table, caller, path, StoreAccess.write);
  if (!lookup.ok) {
    // Removing an absent node is fine as long as its parent exists.
    if (lookup.error === "ENOENT" && table.read(parentPathOf(path)) !== undefined) return answer(okReplyPayload);
    return fail(lookup.error);
  }
  if (path === "/") return fail("EINVAL");
  return change([{ kind: "remove", path }], [{ path, removedPermissions: lookup.node.permissions }]);
}

function planDirectory(table: NodeTable, caller: OperationCaller, payload: Uint8Array): PlannedOperation {
  const path = resolveSinglePath(caller, payload);
  if (path === undefined) return fail("EINVAL");
  const lookup = lookUpNode(table, caller, path, StoreAccess.read);
  if (!lookup.ok) return fail(lookup.error);
  const listing = formatChildList(lookup.node.children);
  if (listing.length > xsPayloadMaxBytes) return fail("E2BIG");
  return answer(encodeWireText(listing));
}

function formatChildList(children: readonly string[]): string {
  let listing = "";
  for (const child of children) listing += `${child}\0`;
  return listing;
}

/**
 * DIRECTORY_PART: the node's generation, then as many whole child names as fit starting at a
 * byte offset into the NUL-separated list, then an empty string once the list is complete.
 */
function planDirectoryPart(table: NodeTable, caller: OperationCaller, payload: Uint8Array): PlannedOperation {
  const argumentList = decodeArgumentList(payload);
  if (argumentList === undefined || argumentList.length !== 2) return fail("EINVAL");
  const [rawPath, rawOffset] = argumentList as [string, string];
  const resolved = resolveNodePath(rawPath, caller.domainId);
  if (!resolved.ok) return fail(resolved.error);
  if (!/^[0-9]{1,10}$/.test(rawOffset)) return fail("EINVAL");
  const offset = Number(rawOffset);
  const lookup = lookUpNode(table, caller, resolved.path.absolute, StoreAccess.read);
  if (!lookup.ok) return fail(lookup.error);
  const listing = formatChildList(lookup.node.children);
  const header = `${lookup.node.generation}\0`;
  // An offset at or past the end answers an empty, complete listing, as xenstored does.
  if (offset >= listing.length) return answer(encodeWireText(`${header}\0`));
  const room = xsPayloadMaxBytes - header.length - 1;
  let end = offset;
  while (end < listing.length) {
    const nextEnd = listing.indexOf("\0", end) + 1;
    if (nextEnd - offset > room) break;
    end = nextEnd;
  }
  const complete = end === listing.length;
  return answer(encodeWireText(`${header}${listing.slice(offset, end)}${complete ? "\0" : ""}`));
}

function planGetPermissions(table: NodeTable, caller: OperationCaller, payload: Uint8Array): PlannedOperation {
  const path = resolveSinglePath(caller, payload);
  if (path === undefined) return fail("EINVAL");
  const lookup = lookUpNode(table, caller, path, StoreAccess.read);
  return lookup.ok ? answer(encodeWireText(formatPermissionList(lookup.node.permissions))) : fail(lookup.error);
}

function planSetPermissions(table: NodeTable, caller: OperationCaller, quotas: StoreQuotas, payload: Uint8Array): PlannedOperation {
  const argumentList = decodeArgumentList(payload);
  if (argumentList === undefined || argumentList.length < 2) return fail("EINVAL");
  const resolved = resolveNodePath(argumentList[0]!, caller.domainId);
  if (!resolved.ok) return fail(resolved.error);
  const parsed = parsePermissionEntries(argumentList.slice(1));
  if (!parsed.ok) return fail(parsed.error);
  if (!caller.privileged && parsed.permissions.length > quotas.permissionsPerNode) return fail("ENOSPC");
  const path = resolved.path.absolute;
  const lookup = lookUpNode(table, caller, path, StoreAccess.write | StoreAccess.owner);
  if (!lookup.ok) return fail(lookup.error);
  if (!caller.privileged && parsed.permissions[0]!.domainId !== lookup.node.permissions[0]?.domainId) return fail("EPERM");
  return change([{ kind: "set-permissions", path, permissions: parsed.permissions }], [{ path }]);
}
