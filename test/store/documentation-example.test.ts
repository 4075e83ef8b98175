// The example of docs/store.md ("In-process API"), run as written, so the documentation
// cannot drift from the API's behaviour.

import { describe, expect, it } from "vitest";
import { StoreClient } from "../../runtime/store/store-client.js";
import { XenStore } from "../../runtime/store/store.js";

describe("the in-process API example of docs/store.md", () => {
  it("behaves as the comments in the example say", () => {
    const store = XenStore.open();
    const toolstack = StoreClient.connect(store, { domainId: 0, privileged: true });
    const guest = StoreClient.connect(store, { domainId: 5, privileged: false });

    toolstack.mkdir("/local/domain/5");
    toolstack.setPermissions("/local/domain/5", [{ domainId: 5, access: "n" }]);
    guest.write("device/vif/0/state", "1");
    expect(guest.readText("device/vif/0/state")).toEqual({ ok: true, value: "1" });
    expect(guest.read("/tool")).toEqual({ ok: false, error: "EACCES" });

    guest.watch("device", "my-token");
    expect(guest.takeWatchEvents()).toEqual([{ path: "device", token: "my-token" }]);

    const result = toolstack.transaction((transaction) => {
      const current = toolstack.readText("/counter", transaction);
      const next = current.ok ? Number(current.value) + 1 : 1;
      return toolstack.write("/counter", String(next), transaction);
    });
    expect(result.ok).toBe(true);
    expect(toolstack.readText("/counter")).toEqual({ ok: true, value: "1" });
    store.close();
  });
});
