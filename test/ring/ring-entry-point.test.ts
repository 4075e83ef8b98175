// The public entry point of runtime/ring/: everything other parts of the system use is
// exported from index.js, and every fault code is distinct, negative and described.
import { describe, it, expect } from "vitest";
import * as ring from "../../runtime/ring/index.js";

describe("runtime/ring entry point", () => {
  it("exports both ring kinds, both layouts and the observers", () => {
    expect(typeof ring.SharedRingFrontend.initialize).toBe("function");
    expect(typeof ring.SharedRingBackend.attach).toBe("function");
    expect(typeof ring.ByteStreamRingEndpoint).toBe("function");
    expect(ring.consoleRingLayout.totalBytes).toBe(3092);
    expect(ring.xenstoreRingLayout.totalBytes).toBe(2080);
    expect(ring.xenstoreRingFieldOffsets.eventChannelPort).toBe(2076);
    expect(ring.consoleRingFieldOffsets.connection).toBe(3088);
    expect(ring.sharedRingHeaderOffsets).toMatchObject({ requestProducer: 0, requestEvent: 4, responseProducer: 8, responseEvent: 12, protocolPrivate: 16, reserved: 20, slots: 64 });
    expect(typeof ring.readSharedRingHeader).toBe("function");
  });

  it("has distinct negative fault codes, each with its own description", () => {
    const codes = Object.values(ring.RingStatus);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) {
      expect(code).toBeLessThan(0);
      expect(ring.isRingFault(code)).toBe(true);
      expect(ring.describeRingStatus(code)).not.toMatch(/unknown|ok/);
    }
    expect(new Set(codes.map((code) => ring.describeRingStatus(code))).size).toBe(codes.length);
    expect(ring.isRingFault(0)).toBe(false);
    expect(ring.describeRingStatus(-99)).toMatch(/unknown/);
  });
});
