// The blkif protocol as the demo host drives it, taken entirely from the generated module:
// the x86_64 MonitorSpec the code generator built from protocols/blkif.proto-desc, message
// sizes from its layout tables, and the keys each role publishes from the spec's lifecycle.
import type { DemoBlkifProtocol } from "../../runtime/host/demo-host.js";
import type { MonitorSpec } from "../../runtime/monitor/index.js";
import { layoutTables, monitorSpecX86_64 } from "./generated/blkif.js";

/** Per role, the keys its lifecycle transitions publish on entering each state (first transition into a state wins). */
export function listPublishedKeysByRole(spec: MonitorSpec): ReadonlyMap<string, readonly { readonly to: number; readonly keys: readonly string[] }[]> {
  const byRole = new Map<string, { readonly to: number; readonly keys: readonly string[] }[]>();
  for (const transition of spec.lifecycle.transitions) {
    if (transition.requiredKeys.length === 0) continue;
    const entries = byRole.get(transition.role) ?? [];
    if (!entries.some((entry) => entry.to === transition.to)) entries.push({ to: transition.to, keys: transition.requiredKeys });
    byRole.set(transition.role, entries);
  }
  return byRole;
}

/** Builds the demo's blkif description for the native x86_64 ABI the demo's guests use. */
export function describeDemoBlkifProtocolX86_64(): DemoBlkifProtocol {
  const ring = monitorSpecX86_64.rings[0];
  if (ring === undefined) throw new Error("the generated blkif monitor spec has no ring");
  return {
    spec: monitorSpecX86_64,
    requestBytes: layoutTables.x86_64.Request.size,
    responseBytes: layoutTables.x86_64.Response.size,
    ringEntries: ring.entries,
    publishedKeys: listPublishedKeysByRole(monitorSpecX86_64),
  };
}
