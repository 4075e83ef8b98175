// One test per grant-table rule (Xen v1 semantics, reference/xen-abi.md §6), refusals included.
import { describe, it, expect } from "vitest";
import { GrantEntryFlag, GrantStatus, Hypervisor, pageSizeBytes, policyAllowed, policyDenied, allowAllPolicyHooks, type GrantResult } from "../../../runtime/hypervisor/index.js";

function setUp(): { hypervisor: Hypervisor; granter: number; grantee: number; stranger: number; frame: number } {
  const hypervisor = new Hypervisor({ limits: { grantEntriesPerDomain: 16, defaultFramesPerDomain: 8 } });
  const granter = hypervisor.createDomain({ labels: ["guest"] }).id;
  const grantee = hypervisor.createDomain({ labels: ["backend"] }).id;
  const stranger = hypervisor.createDomain().id;
  const frame = hypervisor.allocatePages(granter) as number;
  return { hypervisor, granter, grantee, stranger, frame };
}

function expectOk<T extends object>(result: GrantResult<T>): T & { ok: true } {
  if (!result.ok) throw new Error(`expected success, got status ${result.status}: ${result.reason}`);
  return result as T & { ok: true };
}

describe("grant access", () => {
  it("hands out references from 8 upward: references 0..7 are reserved", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    expect(expectOk(hypervisor.grantAccess(granter, grantee, frame, false)).reference).toBe(8);
    expect(expectOk(hypervisor.grantAccess(granter, grantee, frame, false)).reference).toBe(9);
  });

  it("writes reserved references only through grantReservedAccess, once each", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    expect(expectOk(hypervisor.grantReservedAccess(granter, 1, grantee, frame, false)).reference).toBe(1);
    expect(hypervisor.grantReservedAccess(granter, 1, grantee, frame, false)).toMatchObject({ ok: false, status: GrantStatus.generalError });
    expect(hypervisor.grantReservedAccess(granter, 8, grantee, frame, false)).toMatchObject({ ok: false, status: GrantStatus.badGrantReference });
    expect(expectOk(hypervisor.mapGrant(grantee, granter, 1, true)).view.byteLength).toBe(pageSizeBytes);
  });

  it("refuses to grant a frame the granter has not allocated", () => {
    const { hypervisor, granter, grantee } = setUp();
    expect(hypervisor.grantAccess(granter, grantee, 5, false)).toMatchObject({ ok: false, status: GrantStatus.badPage });
    expect(hypervisor.grantAccess(granter, grantee, 999, false)).toMatchObject({ ok: false, status: GrantStatus.badPage });
  });

  it("reports no_space when the grant table is full", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    for (let index = 8; index < 16; index += 1) expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    expect(hypervisor.grantAccess(granter, grantee, frame, false)).toMatchObject({ ok: false, status: GrantStatus.noSpace });
  });
});

describe("grant map and unmap", () => {
  it("maps for the named grantee a view sharing the granter's frame", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    const mapped = expectOk(hypervisor.mapGrant(grantee, granter, reference, true));
    const own = hypervisor.viewOwnPages(granter, frame) as Uint8Array;
    own[100] = 42;
    expect(mapped.view[100]).toBe(42);
    mapped.view[200] = 7;
    expect(own[200]).toBe(7);
  });

  it("refuses a mapping by any domain other than the grantee", () => {
    const { hypervisor, granter, grantee, stranger, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    const refused = hypervisor.mapGrant(stranger, granter, reference, false);
    expect(refused).toMatchObject({ ok: false, status: GrantStatus.generalError });
    expect(refused.ok ? "" : refused.reason).toContain(`granted to domain ${grantee}`);
  });

  it("refuses a writable mapping of a read-only grant but allows a read-only one", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, true));
    expect(hypervisor.mapGrant(grantee, granter, reference, true)).toMatchObject({ ok: false, status: GrantStatus.generalError });
    expect(hypervisor.mapGrant(grantee, granter, reference, false).ok).toBe(true);
  });

  it("refuses bad references, unused entries and unknown granters with distinct codes", () => {
    const { hypervisor, granter, grantee } = setUp();
    expect(hypervisor.mapGrant(grantee, granter, 16, false)).toMatchObject({ ok: false, status: GrantStatus.badGrantReference });
    expect(hypervisor.mapGrant(grantee, granter, -1, false)).toMatchObject({ ok: false, status: GrantStatus.badGrantReference });
    expect(hypervisor.mapGrant(grantee, granter, 9, false)).toMatchObject({ ok: false, status: GrantStatus.generalError });
    expect(hypervisor.mapGrant(grantee, 4242, 8, false)).toMatchObject({ ok: false, status: GrantStatus.badDomain });
    expect(hypervisor.mapGrant(4242, granter, 8, false)).toMatchObject({ ok: false, status: GrantStatus.badDomain });
  });

  it("counts pins and keeps the reading and writing bits set until the last unmap", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    const table = hypervisor.findDomain(granter)!.grantTable;
    const reader = expectOk(hypervisor.mapGrant(grantee, granter, reference, false));
    expect(table.flags[reference]! & GrantEntryFlag.reading).not.toBe(0);
    expect(table.flags[reference]! & GrantEntryFlag.writing).toBe(0);
    const writer = expectOk(hypervisor.mapGrant(grantee, granter, reference, true));
    expect(table.flags[reference]! & GrantEntryFlag.writing).not.toBe(0);
    expect([table.readPins[reference], table.writePins[reference]]).toEqual([1, 1]);
    expectOk(hypervisor.unmapGrant(grantee, writer.handle));
    expect(table.flags[reference]! & GrantEntryFlag.writing).toBe(0);
    expect(table.flags[reference]! & GrantEntryFlag.reading).not.toBe(0);
    expectOk(hypervisor.unmapGrant(grantee, reader.handle));
    expect(table.flags[reference]! & (GrantEntryFlag.reading | GrantEntryFlag.writing)).toBe(0);
    expect(table.flags[reference]! & GrantEntryFlag.typeMask).toBe(GrantEntryFlag.permitAccess);
  });

  it("accepts an unmap only from the mapping domain and only once", () => {
    const { hypervisor, granter, grantee, stranger, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    const mapped = expectOk(hypervisor.mapGrant(grantee, granter, reference, false));
    expect(hypervisor.unmapGrant(stranger, mapped.handle)).toMatchObject({ ok: false, status: GrantStatus.badHandle });
    expectOk(hypervisor.unmapGrant(grantee, mapped.handle));
    expect(hypervisor.unmapGrant(grantee, mapped.handle)).toMatchObject({ ok: false, status: GrantStatus.badHandle });
  });

  it("maps several grants as one contiguous view when their frames are consecutive", () => {
    const { hypervisor, granter, grantee } = setUp();
    const first = hypervisor.allocatePages(granter, 4) as number;
    const references = [0, 1, 2, 3].map((offset) => expectOk(hypervisor.grantAccess(granter, grantee, first + offset, false)).reference);
    const mapped = expectOk(hypervisor.mapGrants(grantee, granter, references, true));
    expect(mapped.view.byteLength).toBe(4 * pageSizeBytes);
    expect(mapped.handles).toHaveLength(4);
    (hypervisor.viewOwnPages(granter, first + 3) as Uint8Array)[1] = 9;
    expect(mapped.view[3 * pageSizeBytes + 1]).toBe(9);
  });

  it("refuses a batch whose frames are not contiguous and maps none of it", () => {
    const { hypervisor, granter, grantee } = setUp();
    const first = hypervisor.allocatePages(granter, 3) as number;
    const a = expectOk(hypervisor.grantAccess(granter, grantee, first, false)).reference;
    const c = expectOk(hypervisor.grantAccess(granter, grantee, first + 2, false)).reference;
    const refused = hypervisor.mapGrants(grantee, granter, [a, c], false);
    expect(refused).toMatchObject({ ok: false, status: GrantStatus.generalError });
    expect(refused.ok ? "" : refused.reason).toContain("not contiguous");
    expect(hypervisor.findDomain(grantee)!.grantMappings.size).toBe(0);
    expect(hypervisor.findDomain(granter)!.grantTable.isMapped(a)).toBe(false);
  });
});

describe("ending access", () => {
  it("fails with eagain while the grant is mapped, then succeeds after the unmap", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    const mapped = expectOk(hypervisor.mapGrant(grantee, granter, reference, false));
    expect(hypervisor.endAccess(granter, reference)).toMatchObject({ ok: false, status: GrantStatus.eagain });
    expectOk(hypervisor.unmapGrant(grantee, mapped.handle));
    expect(expectOk(hypervisor.endAccess(granter, reference)).deferred).toBe(false);
    expect(hypervisor.mapGrant(grantee, granter, reference, false)).toMatchObject({ ok: false, status: GrantStatus.generalError });
  });

  it("refuses to end an entry that is not in use", () => {
    const { hypervisor, granter } = setUp();
    expect(hypervisor.endAccess(granter, 12)).toMatchObject({ ok: false, status: GrantStatus.badGrantReference });
  });

  it("defers ending access to the last unmap and does not reuse the reference before", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    const mapped = expectOk(hypervisor.mapGrant(grantee, granter, reference, false));
    expect(expectOk(hypervisor.endAccessDeferred(granter, reference)).deferred).toBe(true);
    expect(expectOk(hypervisor.grantAccess(granter, grantee, frame, false)).reference).not.toBe(reference);
    const table = hypervisor.findDomain(granter)!.grantTable;
    expect(table.isPermitAccess(reference)).toBe(true);
    expectOk(hypervisor.unmapGrant(grantee, mapped.handle));
    expect(table.isPermitAccess(reference)).toBe(false);
  });

  it("keeps a freed frame out of the allocator while another domain maps it (XSA-396)", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    const mapped = expectOk(hypervisor.mapGrant(grantee, granter, reference, true));
    expectOk(hypervisor.endAccessDeferred(granter, reference));
    expect(hypervisor.freePages(granter, frame)).toEqual({ freedNow: 0, deferred: 1 });
    const memory = hypervisor.findDomain(granter)!.memory;
    const others: number[] = [];
    for (let next = hypervisor.allocatePages(granter); next !== undefined; next = hypervisor.allocatePages(granter)) others.push(next);
    expect(others).not.toContain(frame);
    expectOk(hypervisor.unmapGrant(grantee, mapped.handle));
    expect(memory.countDeferredFrames()).toBe(0);
    expect(hypervisor.allocatePages(granter)).toBe(frame);
  });
});

describe("grant copy", () => {
  it("copies between a granted frame and a local frame", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    (hypervisor.viewOwnPages(granter, frame) as Uint8Array).set([1, 2, 3, 4], 10);
    const local = hypervisor.allocatePages(grantee) as number;
    expectOk(hypervisor.copyGrant(grantee, { kind: "grant", domain: granter, reference, offset: 10 }, { kind: "local", frame: local, offset: 4000 }, 4));
    expect([...(hypervisor.viewOwnPages(grantee, local) as Uint8Array).subarray(4000, 4004)]).toEqual([1, 2, 3, 4]);
  });

  it("refuses an offset plus length beyond the page with bad_copy_arg", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    const local = hypervisor.allocatePages(grantee) as number;
    expect(hypervisor.copyGrant(grantee, { kind: "grant", domain: granter, reference, offset: 4000 }, { kind: "local", frame: local, offset: 0 }, 97)).toMatchObject({
      ok: false,
      status: GrantStatus.badCopyArgument,
    });
    expect(hypervisor.copyGrant(grantee, { kind: "grant", domain: granter, reference, offset: 0 }, { kind: "local", frame: local, offset: -1 }, 1)).toMatchObject({
      ok: false,
      status: GrantStatus.badCopyArgument,
    });
  });

  it("refuses a copy through a grant made to another domain, into a read-only grant, or from an unallocated frame", () => {
    const { hypervisor, granter, grantee, stranger, frame } = setUp();
    const readonlyReference = expectOk(hypervisor.grantAccess(granter, grantee, frame, true)).reference;
    const local = hypervisor.allocatePages(grantee) as number;
    const strangerLocal = hypervisor.allocatePages(stranger) as number;
    expect(hypervisor.copyGrant(stranger, { kind: "grant", domain: granter, reference: readonlyReference, offset: 0 }, { kind: "local", frame: strangerLocal, offset: 0 }, 8)).toMatchObject({
      ok: false,
      status: GrantStatus.generalError,
    });
    expect(hypervisor.copyGrant(grantee, { kind: "local", frame: local, offset: 0 }, { kind: "grant", domain: granter, reference: readonlyReference, offset: 0 }, 8)).toMatchObject({
      ok: false,
      status: GrantStatus.generalError,
    });
    expect(hypervisor.copyGrant(grantee, { kind: "local", frame: 7, offset: 0 }, { kind: "local", frame: local, offset: 0 }, 8)).toMatchObject({ ok: false, status: GrantStatus.badPage });
  });
});

describe("grant policy hooks", () => {
  it("turns a denied map or copy into permission_denied carrying the policy's reason", () => {
    const { hypervisor, granter, grantee, frame } = setUp();
    hypervisor.setPolicyHooks({
      ...allowAllPolicyHooks,
      checkGrantMap: (request) => (request.writable ? policyDenied("backend may only read") : policyAllowed),
      checkGrantCopy: () => policyDenied("no copies between these types"),
    });
    const { reference } = expectOk(hypervisor.grantAccess(granter, grantee, frame, false));
    const denied = hypervisor.mapGrant(grantee, granter, reference, true);
    expect(denied).toMatchObject({ ok: false, status: GrantStatus.permissionDenied });
    expect(denied.ok ? "" : denied.reason).toContain("backend may only read");
    expect(hypervisor.mapGrant(grantee, granter, reference, false).ok).toBe(true);
    const local = hypervisor.allocatePages(grantee) as number;
    expect(hypervisor.copyGrant(grantee, { kind: "grant", domain: granter, reference, offset: 0 }, { kind: "local", frame: local, offset: 0 }, 1)).toMatchObject({
      ok: false,
      status: GrantStatus.permissionDenied,
    });
  });
});
