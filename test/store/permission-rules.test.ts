import { describe, expect, it } from "vitest";
import { createStoreFixture, errorOf, expectOk } from "./store-fixture.js";

describe("store permission rules", () => {
  it("denies an unprivileged read of a node it has no entry for, with EACCES", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(fixture.toolstack.write("/secret", "x"));
    expect(errorOf(guest.read("/secret"))).toBe("EACCES");
  });

  it("lets privileged connections bypass every list", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(guest.write("mine", "x"));
    expectOk(guest.setPermissions("mine", [{ domainId: 1, access: "n" }]));
    expect(expectOk(fixture.toolstack.readText("/local/domain/1/mine"))).toBe("x");
    expectOk(fixture.toolstack.write("/local/domain/1/mine", "y"));
  });

  it("gives the owner full access even when entry 0 says none", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(guest.write("own", "x"));
    expect(expectOk(guest.readText("own"))).toBe("x");
    expectOk(guest.write("own", "y"));
  });

  it("uses entry 0 as the default for unlisted domains", () => {
    const fixture = createStoreFixture();
    const reader = fixture.guest(2);
    expectOk(fixture.toolstack.write("/shared", "x"));
    expectOk(fixture.toolstack.setPermissions("/shared", [{ domainId: 0, access: "r" }]));
    expect(expectOk(reader.readText("/shared"))).toBe("x");
    expect(errorOf(reader.write("/shared", "y"))).toBe("EACCES");
  });

  it("lets the first matching entry win", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(2);
    expectOk(fixture.toolstack.write("/first", "x"));
    expectOk(
      fixture.toolstack.setPermissions("/first", [
        { domainId: 0, access: "n" },
        { domainId: 2, access: "r" },
        { domainId: 2, access: "b" },
      ]),
    );
    expect(expectOk(guest.readText("/first"))).toBe("x");
    expect(errorOf(guest.write("/first", "y"))).toBe("EACCES");
  });

  it("lets a write-only entry write but not read", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(2);
    expectOk(fixture.toolstack.write("/drop-box", "x"));
    expectOk(fixture.toolstack.setPermissions("/drop-box", [{ domainId: 0, access: "n" }, { domainId: 2, access: "w" }]));
    expectOk(guest.write("/drop-box", "y"));
    expect(errorOf(guest.read("/drop-box"))).toBe("EACCES");
    expect(expectOk(fixture.toolstack.readText("/drop-box"))).toBe("y");
  });

  it("lets new nodes inherit the parent's list", () => {
    const fixture = createStoreFixture();
    expectOk(fixture.toolstack.mkdir("/inherit"));
    expectOk(fixture.toolstack.setPermissions("/inherit", [{ domainId: 0, access: "n" }, { domainId: 5, access: "r" }]));
    expectOk(fixture.toolstack.write("/inherit/child/deep", "v"));
    expect(expectOk(fixture.toolstack.getPermissions("/inherit/child/deep"))).toEqual([
      { domainId: 0, access: "n" },
      { domainId: 5, access: "r" },
    ]);
  });

  it("makes an unprivileged creator the owner of what it creates", () => {
    const fixture = createStoreFixture();
    const backend = fixture.guest(2);
    expectOk(fixture.toolstack.mkdir("/backend"));
    expectOk(fixture.toolstack.setPermissions("/backend", [{ domainId: 0, access: "n" }, { domainId: 2, access: "w" }]));
    expectOk(backend.write("/backend/vbd/state", "1"));
    expect(expectOk(fixture.toolstack.getPermissions("/backend/vbd"))).toEqual([
      { domainId: 2, access: "n" },
      { domainId: 2, access: "w" },
    ]);
    expect(fixture.store.countNodesOwnedBy(2)).toBe(3);
  });

  it("requires write access to the nearest existing ancestor to create", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(fixture.toolstack.mkdir("/readonly"));
    expectOk(fixture.toolstack.setPermissions("/readonly", [{ domainId: 0, access: "r" }]));
    expect(errorOf(guest.write("/readonly/new/node", "v"))).toBe("EACCES");
    expect(errorOf(guest.mkdir("/readonly/new"))).toBe("EACCES");
  });

  it("allows SET_PERMS to the owner only", () => {
    const fixture = createStoreFixture();
    const owner = fixture.guest(1);
    const other = fixture.guest(2);
    expectOk(owner.write("n", "v"));
    expectOk(owner.setPermissions("n", [{ domainId: 1, access: "n" }, { domainId: 2, access: "b" }]));
    expect(errorOf(other.setPermissions("/local/domain/1/n", [{ domainId: 1, access: "b" }]))).toBe("EACCES");
    expect(expectOk(other.readText("/local/domain/1/n"))).toBe("v");
  });

  it("answers EPERM when an unprivileged owner tries to change the owner", () => {
    const fixture = createStoreFixture();
    const owner = fixture.guest(1);
    expectOk(owner.write("n", "v"));
    expect(errorOf(owner.setPermissions("n", [{ domainId: 2, access: "n" }]))).toBe("EPERM");
  });

  it("lets a privileged connection change the owner", () => {
    const fixture = createStoreFixture();
    fixture.guest(1);
    expectOk(fixture.toolstack.write("/local/domain/1/n", "v"));
    expectOk(fixture.toolstack.setPermissions("/local/domain/1/n", [{ domainId: 7, access: "r" }]));
    expect(expectOk(fixture.toolstack.getPermissions("/local/domain/1/n"))).toEqual([{ domainId: 7, access: "r" }]);
  });

  it("hides existence: EACCES for an absent node under a node the caller cannot read", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(fixture.toolstack.mkdir("/hidden"));
    expect(errorOf(guest.read("/hidden/absent"))).toBe("EACCES");
    expect(errorOf(guest.read("/hidden"))).toBe("EACCES");
  });

  it("reports ENOENT for an absent node under a readable parent", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expect(errorOf(guest.read("absent"))).toBe("ENOENT");
  });

  it("denies RM without write access", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(fixture.toolstack.write("/local/domain/1/locked", "v"));
    expectOk(fixture.toolstack.setPermissions("/local/domain/1/locked", [{ domainId: 0, access: "r" }]));
    expect(errorOf(guest.remove("locked"))).toBe("EACCES");
  });

  it("denies DIRECTORY and GET_PERMS without read access", () => {
    const fixture = createStoreFixture();
    const guest = fixture.guest(1);
    expectOk(fixture.toolstack.mkdir("/closed/a"));
    expect(errorOf(guest.directory("/closed"))).toBe("EACCES");
    expect(errorOf(guest.getPermissions("/closed"))).toBe("EACCES");
  });

  it("rejects bad permission strings in SET_PERMS with EINVAL", () => {
    const fixture = createStoreFixture();
    expectOk(fixture.toolstack.mkdir("/p"));
    const reply = fixture.toolstack.connection.handle({
      type: 14,
      requestId: 1,
      transactionId: 0,
      payload: new TextEncoder().encode("/p\0q0\0"),
    });
    expect(new TextDecoder().decode(reply.payload)).toBe("EINVAL\0");
  });

  it("sets up the split-driver directory permissions the toolstack uses", () => {
    const fixture = createStoreFixture();
    const frontend = fixture.guest(1);
    const backend = fixture.guest(2);
    const frontendDirectory = "/local/domain/1/device/vbd/768";
    const backendDirectory = "/local/domain/2/backend/vbd/1/768";
    expectOk(fixture.toolstack.mkdir(frontendDirectory));
    expectOk(fixture.toolstack.setPermissions(frontendDirectory, [{ domainId: 1, access: "n" }, { domainId: 2, access: "r" }]));
    expectOk(fixture.toolstack.mkdir(backendDirectory));
    expectOk(fixture.toolstack.setPermissions(backendDirectory, [{ domainId: 2, access: "n" }, { domainId: 1, access: "r" }]));
    expectOk(frontend.write(`${frontendDirectory}/ring-ref`, "8"));
    expect(expectOk(backend.readText(`${frontendDirectory}/ring-ref`))).toBe("8");
    expect(errorOf(backend.write(`${frontendDirectory}/ring-ref`, "9"))).toBe("EACCES");
    expectOk(backend.write(`${backendDirectory}/state`, "2"));
    expect(expectOk(frontend.readText(`${backendDirectory}/state`))).toBe("2");
  });
});
