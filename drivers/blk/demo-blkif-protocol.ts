// The blkif protocol as the demo host drives it, taken entirely from the generated module:
// the x86_64 MonitorSpec the code generator built from protocols/blkif.proto-desc, message
// sizes and field offsets from its layout tables, and the keys each role publishes from the
// spec's lifecycle — plus the honest parties, which are this folder's real drivers
// (BlockFrontend, BlockBackend over a MemoryDisk), used only through their public API.
import type { DemoBlkifProtocol, DemoBlkifWireLayout, DemoBlockDrivers } from "../../runtime/host/demo-host.js";
import type { MonitorSpec } from "../../runtime/monitor/index.js";
import { BlockBackend } from "./block-backend.js";
import { BlockFrontend } from "./block-frontend.js";
import { layoutTables, monitorSpecX86_64, specHash } from "./generated/blkif.js";
import { MemoryDisk } from "./memory-disk.js";

/** The demo's honest block parties: the drivers of drivers/blk on the native x86_64 ABI. */
export const demoBlockDrivers: DemoBlockDrivers = {
  createBackend(context, options) {
    const backend = new BlockBackend(context, {
      store: options.store,
      frontendPath: options.frontendPath,
      backendPath: options.backendPath,
      frontendDomainId: options.frontendDomainId,
      disk: new MemoryDisk(options.diskSectors),
      maximumRingPageOrder: 0,
      persistentGrants: true,
      onProblem: options.onProblem,
    });
    return { start: () => backend.start(), abandon: () => backend.connection.abandon() };
  },
  createFrontend(context, options) {
    const frontend = new BlockFrontend(context, {
      store: options.store,
      frontendPath: options.frontendPath,
      backendPath: options.backendPath,
      backendDomainId: options.backendDomainId,
      abi: "x86_64-abi",
      ringPageOrder: 0,
      dataPageCount: 32,
      inFlightAfterReset: "reissue",
      persistentGrants: true,
      onProblem: options.onProblem,
    });
    return {
      connect: async () => {
        await frontend.connect();
      },
      read: (sector, count) => frontend.read(sector, count),
      write: (sector, data) => frontend.write(sector, data),
      close: () => frontend.close(),
      get connectionCount() {
        return frontend.connection.connectionCount;
      },
      get outstandingRequestCount() {
        return frontend.connection.outstandingRequestCount;
      },
      get usesPersistentGrants() {
        return frontend.usesPersistentGrants;
      },
    };
  },
};

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

/** Field offsets of a read/write request (operation, then the read variant) and a response, from the generated x86_64 layouts. */
export function describeBlkifWireLayoutX86_64(): DemoBlkifWireLayout {
  const tables = layoutTables.x86_64;
  const variant = tables.Request.fields.operation_variant.offset;
  const read = tables.Request_read.fields;
  const trailing = tables.Response.padding[tables.Response.padding.length - 1];
  if (trailing === undefined) throw new Error("the generated blkif Response layout has no padding");
  return {
    requestOperationOffset: tables.Request.fields.operation.offset,
    requestSegmentCountOffset: variant + read.nr_segments.offset,
    requestIdOffset: variant + read.id.offset,
    requestSectorOffset: variant + read.sector_number.offset,
    firstSegmentOffset: variant + read.seg.offset,
    segmentBytes: tables.Segment.size,
    segmentReferenceOffset: tables.Segment.fields.gref.offset,
    segmentFirstSectorOffset: tables.Segment.fields.first_sect.offset,
    segmentLastSectorOffset: tables.Segment.fields.last_sect.offset,
    responseIdOffset: tables.Response.fields.id.offset,
    responseOperationOffset: tables.Response.fields.operation.offset,
    responseStatusOffset: tables.Response.fields.status.offset,
    responseTrailingPadding: { offset: trailing[0], bytes: trailing[1] },
  };
}

/** Builds the demo's blkif description for the native x86_64 ABI the demo's guests use. */
export function describeDemoBlkifProtocolX86_64(): DemoBlkifProtocol {
  const ring = monitorSpecX86_64.rings[0];
  if (ring === undefined) throw new Error("the generated blkif monitor spec has no ring");
  return {
    spec: monitorSpecX86_64,
    specHash,
    drivers: demoBlockDrivers,
    requestBytes: layoutTables.x86_64.Request.size,
    responseBytes: layoutTables.x86_64.Response.size,
    ringEntries: ring.entries,
    publishedKeys: listPublishedKeysByRole(monitorSpecX86_64),
    wire: describeBlkifWireLayoutX86_64(),
  };
}
