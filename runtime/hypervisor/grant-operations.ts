// The grant-table rules with Xen v1 semantics (reference/xen-abi.md §6): granting access to one
// domain, ending access (refused while mapped, or deferred to the last unmap), mapping and
// unmapping by the grantee only with pin counts and reading/writing bits, batch mapping into
// one contiguous view, and bounded copy. Every refusal is a typed status, never an exception.

import { GrantEntryFlag, pageSizeBytes } from "./constants.js";
import type { Domain, GrantMapping } from "./domain.js";
import type { DomainId } from "./domain-summary.js";
import { GrantStatus, grantFailure, isGrantFailure, type GrantFailure, type GrantFailureCode, type GrantResult } from "./grant-status.js";
import { maximumPinsPerEntry } from "./grant-table.js";
import type { HypervisorCore } from "./hypervisor-core.js";
import type { HypervisorOperation } from "./observation.js";

export interface GrantAccessGranted {
  readonly reference: number;
}

export interface GrantMapped {
  readonly handle: number;
  /** The granted frame as bytes, shared with the granter (and with worker threads). */
  readonly view: Uint8Array;
}

export interface GrantsMapped {
  /** One handle per reference, in the order given; unmap each when done. */
  readonly handles: readonly number[];
  /** One view over all the frames, which must be contiguous in the granter's memory. */
  readonly view: Uint8Array;
}

export interface GrantEndAccess {
  /** True when the entry stays until its last mapping goes (only for endAccessDeferred). */
  readonly deferred: boolean;
}

/** One side of a copy: a grant reference of another domain, or a frame of the caller's own. */
export type GrantCopyEndpoint =
  | { readonly kind: "grant"; readonly domain: DomainId; readonly reference: number; readonly offset: number }
  | { readonly kind: "local"; readonly frame: number; readonly offset: number };

const okayEmpty = Object.freeze({ ok: true as const, status: 0 as const });

export class GrantOperations {
  constructor(private readonly core: HypervisorCore) {}

  /** The granter lets `granteeId` map `frame` (a frame of its own memory). */
  grantAccess(granter: Domain, granteeId: DomainId, frame: number, readonly: boolean): GrantResult<GrantAccessGranted> {
    if (!granter.isLive) return this.refuse("access", granter.id, GrantStatus.badDomain, `domain ${granter.id} is ${granter.lifecycle}`);
    if (!granter.memory.isAllocated(frame)) {
      return this.refuse("access", granter.id, GrantStatus.badPage, `frame ${frame} is not an allocated frame of domain ${granter.id}`);
    }
    if (!Number.isInteger(granteeId) || granteeId < 0 || granteeId > 0xffff) {
      return this.refuse("access", granter.id, GrantStatus.badDomain, `grantee ${granteeId} is not a domain id`);
    }
    const reference = granter.grantTable.takeFreeReference();
    if (reference === undefined) {
      return this.refuse("access", granter.id, GrantStatus.noSpace, `domain ${granter.id}'s grant table (${granter.grantTable.capacity} entries) is full`);
    }
    granter.grantTable.writeEntry(reference, granteeId, frame, readonly);
    if (this.core.observation.active) {
      this.core.observation.publish({ kind: "grant-access", granter: granter.id, grantee: granteeId, reference, frame, readonly });
    }
    return { ok: true, status: 0, reference };
  }

  /** Writes one of the reserved entries 0..7 (console, xenstore page), as a toolstack does. */
  grantReservedAccess(granter: Domain, reference: number, granteeId: DomainId, frame: number, readonly: boolean): GrantResult<GrantAccessGranted> {
    if (!granter.grantTable.isReservedReference(reference)) {
      return this.refuse("access", granter.id, GrantStatus.badGrantReference, `reference ${reference} is not one of the reserved references 0..7`);
    }
    if (granter.grantTable.isPermitAccess(reference)) {
      return this.refuse("access", granter.id, GrantStatus.generalError, `reserved reference ${reference} of domain ${granter.id} is already in use`);
    }
    if (!granter.memory.isAllocated(frame)) {
      return this.refuse("access", granter.id, GrantStatus.badPage, `frame ${frame} is not an allocated frame of domain ${granter.id}`);
    }
    granter.grantTable.writeEntry(reference, granteeId, frame, readonly);
    if (this.core.observation.active) {
      this.core.observation.publish({ kind: "grant-access", granter: granter.id, grantee: granteeId, reference, frame, readonly });
    }
    return { ok: true, status: 0, reference };
  }

  /**
   * Ends access now. Fails with eagain while the grantee still maps the entry: Xen never
   * revokes a live mapping, so the granter must keep the page and retry (or defer).
   */
  endAccess(granter: Domain, reference: number): GrantResult<GrantEndAccess> {
    const refusal = this.checkOwnEntry(granter, reference);
    if (refusal !== undefined) return refusal;
    if (granter.grantTable.isMapped(reference)) {
      return this.refuse(
        "end-access",
        granter.id,
        GrantStatus.eagain,
        `reference ${reference} is still mapped by domain ${granter.grantTable.granteeDomainIds[reference]}; keep the page and retry or end access deferred`,
      );
    }
    granter.grantTable.releaseReference(reference);
    if (this.core.observation.active) this.core.observation.publish({ kind: "grant-end-access", granter: granter.id, reference, deferred: false });
    return { ok: true, status: 0, deferred: false };
  }

  /** Ends access now if unmapped, otherwise at the grantee's last unmap (Linux's deferred list). */
  endAccessDeferred(granter: Domain, reference: number): GrantResult<GrantEndAccess> {
    const refusal = this.checkOwnEntry(granter, reference);
    if (refusal !== undefined) return refusal;
    if (!granter.grantTable.isMapped(reference)) return this.endAccess(granter, reference);
    granter.grantTable.endRequested[reference] = 1;
    if (this.core.observation.active) this.core.observation.publish({ kind: "grant-end-access", granter: granter.id, reference, deferred: true });
    return { ok: true, status: 0, deferred: true };
  }

  /** Maps one grant of `granterId` into `mapper`: only the named grantee may, and read-only stays read-only. */
  mapGrant(mapper: Domain, granterId: DomainId, reference: number, writable: boolean): GrantResult<GrantMapped> {
    const granter = this.checkMappable(mapper, granterId, reference, writable);
    if (isGrantFailure(granter)) return granter;
    const mapping = this.pin(mapper, granter, reference, writable);
    return { ok: true, status: 0, handle: mapping.handle, view: granter.memory.viewFrames(mapping.frame, 1) };
  }

  /**
   * Maps several grants of one granter as one contiguous view (a multi-page ring). All or
   * nothing: every reference is checked first, and the frames must be consecutive in the
   * granter's memory, else a typed error and nothing is mapped.
   */
  mapGrants(mapper: Domain, granterId: DomainId, references: readonly number[], writable: boolean): GrantResult<GrantsMapped> {
    if (references.length === 0) return this.refuse("map", mapper.id, GrantStatus.generalError, "no grant references to map");
    let firstFrame = 0;
    for (let index = 0; index < references.length; index += 1) {
      const reference = references[index] ?? -1;
      const granter = this.checkMappable(mapper, granterId, reference, writable);
      if (isGrantFailure(granter)) return granter;
      const frame = granter.grantTable.frames[reference] ?? 0;
      if (index === 0) firstFrame = frame;
      else if (frame !== firstFrame + index) {
        return this.refuse(
          "map",
          mapper.id,
          GrantStatus.generalError,
          `reference ${reference} (index ${index}) grants frame ${frame}, not frame ${firstFrame + index}: the frames are not contiguous in domain ${granterId}'s memory`,
        );
      }
      if (references.indexOf(reference) !== index) {
        return this.refuse("map", mapper.id, GrantStatus.generalError, `reference ${reference} appears twice in one batch`);
      }
    }
    const granter = this.core.findDomain(granterId) as Domain;
    const handles = references.map((reference) => this.pin(mapper, granter, reference, writable).handle);
    return { ok: true, status: 0, handles, view: granter.memory.viewFrames(firstFrame, references.length) };
  }

  /** Unmaps by handle; only the domain that mapped holds the handle. */
  unmapGrant(mapper: Domain, handle: number): GrantResult<object> {
    const mapping = mapper.grantMappings.get(handle);
    if (mapping === undefined) {
      return this.refuse("unmap", mapper.id, GrantStatus.badHandle, `domain ${mapper.id} holds no grant mapping with handle ${handle}`);
    }
    this.unpin(mapper, mapping);
    return okayEmpty;
  }

  /** Unmaps everything `mapper` holds (its destroy or reset). */
  unmapAll(mapper: Domain): number {
    let count = 0;
    for (const mapping of [...mapper.grantMappings.values()]) {
      this.unpin(mapper, mapping);
      count += 1;
    }
    return count;
  }

  /**
   * Copies `length` bytes between two endpoints, each a grant (which must be granted to the
   * caller; a read-only grant cannot be a destination) or one of the caller's own frames.
   */
  copy(caller: Domain, source: GrantCopyEndpoint, destination: GrantCopyEndpoint, length: number): GrantResult<object> {
    if (!caller.isLive) return this.refuse("copy", caller.id, GrantStatus.badDomain, `domain ${caller.id} is ${caller.lifecycle}`);
    if (!Number.isInteger(length) || length < 0) return this.refuse("copy", caller.id, GrantStatus.badCopyArgument, `copy length ${length} is not a byte count`);
    for (const endpoint of [source, destination]) {
      if (!Number.isInteger(endpoint.offset) || endpoint.offset < 0 || endpoint.offset + length > pageSizeBytes) {
        return this.refuse("copy", caller.id, GrantStatus.badCopyArgument, `offset ${endpoint.offset} + length ${length} exceeds the ${pageSizeBytes}-byte page`);
      }
    }
    const sourceBytes = this.resolveCopyEndpoint(caller, source, false);
    if (isGrantFailure(sourceBytes)) return sourceBytes;
    const destinationBytes = this.resolveCopyEndpoint(caller, destination, true);
    if (isGrantFailure(destinationBytes)) return destinationBytes;
    const decision = this.core.currentPolicyHooks().checkGrantCopy({ caller, sourceOwner: sourceBytes.owner, destinationOwner: destinationBytes.owner });
    if (!decision.allowed) return this.refuse("copy", caller.id, GrantStatus.permissionDenied, `policy denied the copy: ${decision.reason}`);
    const sourceStart = sourceBytes.frame * pageSizeBytes + source.offset;
    const destinationStart = destinationBytes.frame * pageSizeBytes + destination.offset;
    if (sourceBytes.bytes === destinationBytes.bytes) sourceBytes.bytes.copyWithin(destinationStart, sourceStart, sourceStart + length);
    else destinationBytes.bytes.set(sourceBytes.bytes.subarray(sourceStart, sourceStart + length), destinationStart);
    if (this.core.observation.active) {
      this.core.observation.publish({ kind: "grant-copy", caller: caller.id, sourceOwner: sourceBytes.owner.id, destinationOwner: destinationBytes.owner.id, length });
    }
    return okayEmpty;
  }

  private resolveCopyEndpoint(caller: Domain, endpoint: GrantCopyEndpoint, writing: boolean): { readonly bytes: Uint8Array; readonly frame: number; readonly owner: Domain } | GrantFailure {
    if (endpoint.kind === "local") {
      if (!caller.memory.isAllocated(endpoint.frame)) {
        return this.refuse("copy", caller.id, GrantStatus.badPage, `frame ${endpoint.frame} is not an allocated frame of domain ${caller.id}`);
      }
      return { bytes: caller.memory.bytes, frame: endpoint.frame, owner: caller };
    }
    const owner = this.core.findDomain(endpoint.domain);
    if (owner === undefined || !owner.isLive) return this.refuse("copy", caller.id, GrantStatus.badDomain, `domain ${endpoint.domain} does not exist or is dying`);
    const table = owner.grantTable;
    if (!table.isValidReference(endpoint.reference)) {
      return this.refuse("copy", caller.id, GrantStatus.badGrantReference, `reference ${endpoint.reference} is outside domain ${owner.id}'s grant table`);
    }
    if (!table.isPermitAccess(endpoint.reference) || table.granteeDomainIds[endpoint.reference] !== caller.id) {
      return this.refuse("copy", caller.id, GrantStatus.generalError, `reference ${endpoint.reference} of domain ${owner.id} is not granted to domain ${caller.id}`);
    }
    if (writing && ((table.flags[endpoint.reference] ?? 0) & GrantEntryFlag.readonly) !== 0) {
      return this.refuse("copy", caller.id, GrantStatus.generalError, `reference ${endpoint.reference} of domain ${owner.id} is read-only and cannot be a copy destination`);
    }
    return { bytes: owner.memory.bytes, frame: table.frames[endpoint.reference] ?? 0, owner };
  }

  private checkOwnEntry(granter: Domain, reference: number): GrantFailure | undefined {
    if (!granter.grantTable.isValidReference(reference) || !granter.grantTable.isPermitAccess(reference)) {
      return this.refuse("end-access", granter.id, GrantStatus.badGrantReference, `reference ${reference} of domain ${granter.id} is not in use`);
    }
    return undefined;
  }

  /** Checks every map rule for one reference; returns the granter when all pass. */
  private checkMappable(mapper: Domain, granterId: DomainId, reference: number, writable: boolean): Domain | GrantFailure {
    if (!mapper.isLive) return this.refuse("map", mapper.id, GrantStatus.badDomain, `domain ${mapper.id} is ${mapper.lifecycle}`);
    const granter = this.core.findDomain(granterId);
    if (granter === undefined || !granter.isLive) return this.refuse("map", mapper.id, GrantStatus.badDomain, `domain ${granterId} does not exist or is dying`);
    const table = granter.grantTable;
    if (!table.isValidReference(reference)) {
      return this.refuse("map", mapper.id, GrantStatus.badGrantReference, `reference ${reference} is outside domain ${granterId}'s grant table (0..${table.capacity - 1})`);
    }
    if (!table.isPermitAccess(reference)) {
      return this.refuse("map", mapper.id, GrantStatus.generalError, `reference ${reference} of domain ${granterId} is not a permit-access entry`);
    }
    if (table.granteeDomainIds[reference] !== mapper.id) {
      return this.refuse(
        "map",
        mapper.id,
        GrantStatus.generalError,
        `reference ${reference} of domain ${granterId} is granted to domain ${table.granteeDomainIds[reference]}, not to domain ${mapper.id}`,
      );
    }
    if (writable && ((table.flags[reference] ?? 0) & GrantEntryFlag.readonly) !== 0) {
      return this.refuse("map", mapper.id, GrantStatus.generalError, `reference ${reference} of domain ${granterId} is read-only; a writable mapping is refused`);
    }
    const pins = writable ? table.writePins : table.readPins;
    if ((pins[reference] ?? 0) >= maximumPinsPerEntry) {
      return this.refuse("map", mapper.id, GrantStatus.generalError, `reference ${reference} of domain ${granterId} is pinned ${maximumPinsPerEntry} times; refusing to overflow the pin count`);
    }
    const decision = this.core.currentPolicyHooks().checkGrantMap({ mapper, granter, grantReference: reference, writable });
    if (!decision.allowed) return this.refuse("map", mapper.id, GrantStatus.permissionDenied, `policy denied the mapping: ${decision.reason}`);
    return granter;
  }

  private pin(mapper: Domain, granter: Domain, reference: number, writable: boolean): GrantMapping {
    const table = granter.grantTable;
    const pins = writable ? table.writePins : table.readPins;
    pins[reference] = (pins[reference] ?? 0) + 1;
    table.updateMappedFlags(reference);
    const frame = table.frames[reference] ?? 0;
    granter.memory.pinForeignMapping(frame);
    const mapping: GrantMapping = { handle: mapper.takeGrantHandle(), granter, reference, frame, writable, granterEpoch: table.epoch };
    mapper.grantMappings.set(mapping.handle, mapping);
    if (this.core.observation.active) {
      this.core.observation.publish({ kind: "grant-map", mapper: mapper.id, granter: granter.id, reference, writable, handle: mapping.handle });
    }
    return mapping;
  }

  private unpin(mapper: Domain, mapping: GrantMapping): void {
    mapper.grantMappings.delete(mapping.handle);
    const granter = mapping.granter;
    const table = granter.grantTable;
    // After the granter's table was torn down (reset, destroy) the entry is gone; only the
    // page reference that kept the frame alive remains to be dropped.
    if (table.epoch === mapping.granterEpoch) {
      const pins = mapping.writable ? table.writePins : table.readPins;
      pins[mapping.reference] = Math.max(0, (pins[mapping.reference] ?? 0) - 1);
      table.updateMappedFlags(mapping.reference);
      if (table.endRequested[mapping.reference] === 1 && !table.isMapped(mapping.reference)) {
        table.releaseReference(mapping.reference);
        if (this.core.observation.active) this.core.observation.publish({ kind: "grant-end-access", granter: granter.id, reference: mapping.reference, deferred: false });
      }
    }
    if (this.core.observation.active) {
      this.core.observation.publish({ kind: "grant-unmap", mapper: mapper.id, granter: granter.id, reference: mapping.reference, handle: mapping.handle });
    }
    if (granter.memory.unpinForeignMapping(mapping.frame)) this.core.noteForeignFrameReleased(granter);
  }

  private refuse(operation: Extract<HypervisorOperation, { kind: "grant-refused" }>["operation"], caller: DomainId, status: GrantFailureCode, reason: string): GrantFailure {
    if (this.core.observation.active) this.core.observation.publish({ kind: "grant-refused", operation, caller, status, reason });
    return grantFailure(status, reason);
  }
}
