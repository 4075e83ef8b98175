import { describe, expect, it } from "vitest";
import {
  StoreAccess,
  computeAccess,
  formatPermissionList,
  inheritPermissions,
  parsePermissionEntries,
  withoutDomainEntries,
} from "../../runtime/store/permissions.js";
import type { StorePermissionList } from "../../runtime/store/permissions.js";

const list: StorePermissionList = [
  { domainId: 1, access: "r" },
  { domainId: 2, access: "w" },
  { domainId: 2, access: "b" },
  { domainId: 3, access: "n" },
];

describe("store permissions", () => {
  it("gives the owner everything", () => {
    expect(computeAccess(list, 1, false)).toBe(StoreAccess.read | StoreAccess.write | StoreAccess.owner);
  });

  it("lets privileged connections bypass the list", () => {
    expect(computeAccess([{ domainId: 5, access: "n" }], 0, true) & StoreAccess.write).toBe(StoreAccess.write);
  });

  it("uses the first matching entry after the owner", () => {
    expect(computeAccess(list, 2, false)).toBe(StoreAccess.write);
    expect(computeAccess(list, 3, false)).toBe(StoreAccess.none);
  });

  it("falls back to entry 0's access for unlisted domains", () => {
    expect(computeAccess(list, 9, false)).toBe(StoreAccess.read);
  });

  it("parses and formats the wire form", () => {
    const parsed = parsePermissionEntries(["b0", "r12", "n65535"]);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(formatPermissionList(parsed.permissions)).toBe("b0\0r12\0n65535\0");
  });

  it("rejects bad permission strings", () => {
    for (const bad of [[], ["x0"], ["r"], ["r-1"], ["r65536"], ["r1x"], [""]]) {
      expect(parsePermissionEntries(bad)).toEqual({ ok: false, error: "EINVAL" });
    }
  });

  it("makes an unprivileged creator the owner of an inherited list", () => {
    expect(inheritPermissions([{ domainId: 0, access: "r" }, { domainId: 4, access: "b" }], 4, false)).toEqual([
      { domainId: 4, access: "r" },
      { domainId: 4, access: "b" },
    ]);
    expect(inheritPermissions([{ domainId: 0, access: "r" }], 4, true)).toEqual([{ domainId: 0, access: "r" }]);
  });

  it("drops a departed domain's entries but not the owner", () => {
    expect(withoutDomainEntries(list, 2)).toEqual([list[0], list[3]]);
    expect(withoutDomainEntries(list, 7)).toBeUndefined();
  });
});
