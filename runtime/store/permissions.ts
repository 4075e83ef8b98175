// Node permissions as Xen defines them: a list of (domain, access) entries whose first entry is
// both the owner and the default for unlisted domains, parsed from and formatted to "r0\0w1\0".

import type { XsErrorName } from "./wire-types.js";

/** n: none, r: read, w: write, b: both. */
export type StoreAccessLetter = "n" | "r" | "w" | "b";

export interface StorePermissionEntry {
  readonly domainId: number;
  readonly access: StoreAccessLetter;
}

/** Never empty: entry 0 is the owner and the default. */
export type StorePermissionList = readonly StorePermissionEntry[];

export const StoreAccess = { none: 0, read: 1, write: 2, owner: 4 } as const;
/** A bit set of StoreAccess values. */
export type StoreAccessBits = number;

const accessBitsOfLetter: Readonly<Record<StoreAccessLetter, StoreAccessBits>> = {
  n: StoreAccess.none,
  r: StoreAccess.read,
  w: StoreAccess.write,
  b: StoreAccess.read | StoreAccess.write,
};
const allAccess = StoreAccess.read | StoreAccess.write | StoreAccess.owner;
const maximumDomainId = 0xffff;

/**
 * What a connection may do to a node: privileged connections and the owner may do everything;
 * otherwise the first entry after the owner naming the domain decides, else entry 0's letter.
 */
export function computeAccess(permissions: StorePermissionList, domainId: number, privileged: boolean): StoreAccessBits {
  if (privileged) return allAccess;
  const owner = permissions[0];
  if (owner === undefined) return StoreAccess.none;
  if (owner.domainId === domainId) return allAccess;
  for (let index = 1; index < permissions.length; index++) {
    const entry = permissions[index]!;
    if (entry.domainId === domainId) return accessBitsOfLetter[entry.access];
  }
  return accessBitsOfLetter[owner.access];
}

export type PermissionParse =
  | { readonly ok: true; readonly permissions: StorePermissionList }
  | { readonly ok: false; readonly error: XsErrorName };

/** Parses entries such as "b0", "r12": a letter followed by a decimal domain id. */
export function parsePermissionEntries(entries: readonly string[]): PermissionParse {
  if (entries.length === 0) return { ok: false, error: "EINVAL" };
  const permissions: StorePermissionEntry[] = [];
  for (const entry of entries) {
    const letter = entry.charAt(0);
    const digits = entry.slice(1);
    if (letter !== "n" && letter !== "r" && letter !== "w" && letter !== "b") return { ok: false, error: "EINVAL" };
    if (!/^[0-9]{1,5}$/.test(digits)) return { ok: false, error: "EINVAL" };
    const domainId = Number(digits);
    if (domainId > maximumDomainId) return { ok: false, error: "EINVAL" };
    permissions.push({ domainId, access: letter });
  }
  return { ok: true, permissions };
}

/** The text of one entry, e.g. "r1". */
export function formatPermissionEntry(entry: StorePermissionEntry): string {
  return `${entry.access}${entry.domainId}`;
}

/** The GET_PERMS reply text: every entry NUL-terminated. */
export function formatPermissionList(permissions: StorePermissionList): string {
  let text = "";
  for (const entry of permissions) text += `${formatPermissionEntry(entry)}\0`;
  return text;
}

/** Permissions inherited by a new node: the parent's, with an unprivileged creator as owner. */
export function inheritPermissions(parentPermissions: StorePermissionList, creatorDomainId: number, creatorPrivileged: boolean): StorePermissionList {
  if (creatorPrivileged) return parentPermissions;
  const owner = parentPermissions[0];
  if (owner === undefined || owner.domainId === creatorDomainId) return parentPermissions;
  return [{ domainId: creatorDomainId, access: owner.access }, ...parentPermissions.slice(1)];
}

/**
 * The list after a domain went away: entries naming it (other than entry 0, whose node is
 * removed with its owner) disappear, or undefined when nothing changes.
 */
export function withoutDomainEntries(permissions: StorePermissionList, domainId: number): StorePermissionList | undefined {
  let found = false;
  for (let index = 1; index < permissions.length; index++) if (permissions[index]!.domainId === domainId) found = true;
  if (!found) return undefined;
  return permissions.filter((entry, index) => index === 0 || entry.domainId !== domainId);
}
