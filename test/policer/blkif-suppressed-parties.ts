// Honest blkif parties that suppress notifications the way Xen's ring macros let them: the
// frontend pushes batches with RING_PUSH_REQUESTS_AND_CHECK_NOTIFY and notifies only when the
// backend asked for it; the backend serves at most a budget of requests per pass, publishes its
// responses before its next hypercall (as Linux blkback's make_response does) and re-arms with
// RING_FINAL_CHECK_FOR_REQUESTS only when it runs dry; the frontend collects responses until
// RING_FINAL_CHECK_FOR_RESPONSES finds none. Like blkfront's shadow table, the frontend reuses
// the lowest id whose answer it has consumed. The policer sees only the events these rules send.
// With a PersistentGrantSession (both ends published feature-persistent = 1) the frontend lends
// pool pages granted once and the backend maps each once and keeps it mapped, as blkback does.

import { backendId, frontendId, lendDataPages, type BlkifHost } from "./blkif-host.js";

/** One request of a frontend batch: a read (0), write (1) or flush (3) with its segment count. */
export interface HonestRequestShape {
  readonly operation: 0 | 1 | 3;
  readonly segments: number;
}

/**
 * Persistent grants between the honest ends: the frontend's pool pages, granted once (writable)
 * and lent to requests from `freeReferences`; the backend's mapping of each, made on first use
 * and kept across responses.
 */
export interface PersistentGrantSession {
  readonly freeReferences: number[];
  readonly backendMappingHandles: Map<number, number>;
}

/** Grants `poolPages` frontend pages to the backend once, for a whole persistent-grants session. */
export function createPersistentGrantSession(host: BlkifHost, poolPages: number): PersistentGrantSession {
  return { freeReferences: lendDataPages(host, poolPages).references, backendMappingHandles: new Map() };
}

/** The lowest request id with no request in flight (the frontend's outstanding ids are the keys of `lentPages`). */
function allocateRequestId(host: BlkifHost): number {
  let id = 1;
  while (host.lentPages.has(id)) id += 1;
  return id;
}

/** Produces every request of `batch` privately, then pushes once and notifies only if the ring says so. */
export function publishRequestBatch(host: BlkifHost, batch: readonly HonestRequestShape[], session?: PersistentGrantSession): number {
  let published = 0;
  for (const shape of batch) {
    if (host.frontendRing.freeRequestCount() === 0) break;
    const segments = shape.operation === 3 ? 0 : shape.segments;
    // A persistent frontend waits for pool pages rather than granting fresh ones.
    if (session !== undefined && session.freeReferences.length < segments) break;
    const lent = session === undefined ? lendDataPages(host, segments) : { references: session.freeReferences.splice(0, segments), frames: [] };
    const id = allocateRequestId(host);
    if (!host.frontendRing.produceRequest(host.wire.encodeRequest(shape.operation, id, lent.references))) throw new Error("ring full");
    host.lentPages.set(id, lent);
    published += 1;
  }
  if (host.frontendRing.pushRequests()) host.hypervisor.sendEvent(frontendId, host.frontendPort);
  return published;
}

/** Publishes the backend's produced responses, notifying only if the frontend asked for it. */
function pushBackendResponses(host: BlkifHost): void {
  if (host.backendRing.pushResponses()) host.hypervisor.sendEvent(backendId, host.backendPort);
}

/**
 * An honest backend pass answering at most `budget` requests. A pass that stops on its budget
 * leaves req_event alone (it is busy and will come back, so the frontend need not notify); a
 * pass that runs dry re-arms req_event with the final check. Returns the requests answered.
 */
export function serveWithinBudget(host: BlkifHost, budget: number, session?: PersistentGrantSession): number {
  let served = 0;
  for (;;) {
    let batch = host.backendRing.beginRequestBatch();
    if (batch === 0) batch = host.backendRing.finalCheckForRequests();
    if (batch < 0) throw new Error(`backend sees ring fault ${batch}`);
    if (batch === 0 || served >= budget) break;
    while (served < budget) {
      const slot = host.backendRing.consumeRequest();
      if (slot === null) break;
      const request = host.wire.decodeRequest(slot);
      const operation = request.operation;
      const read = request.operationVariant.read;
      const segments = request.operationVariant.arm === "read" ? read.nrSegments : 0;
      const id = read.id;
      const references: number[] = [];
      for (let segment = 0; segment < segments; segment += 1) references.push(read.seg[segment]?.gref ?? -1);
      // Responses produced so far are published before the next hypercall, so no slot holds an unpublished response while anyone looks.
      if (segments > 0) pushBackendResponses(host);
      for (const reference of references) {
        if (session !== undefined) {
          if (!session.backendMappingHandles.has(reference)) {
            // Persistent pages serve reads and writes alike, so each is mapped writable once and kept.
            const mapped = host.hypervisor.mapGrant(backendId, frontendId, reference, true);
            if (!mapped.ok) throw new Error(mapped.reason);
            session.backendMappingHandles.set(reference, mapped.handle);
          }
          continue;
        }
        const mapped = host.hypervisor.mapGrant(backendId, frontendId, reference, operation === 0);
        if (!mapped.ok) throw new Error(mapped.reason);
        if (operation === 0) mapped.view.fill(0xab, 0, 512);
        host.hypervisor.unmapGrant(backendId, mapped.handle);
      }
      host.backendRing.produceResponse(host.wire.encodeResponse(id, operation, 0));
      served += 1;
    }
    pushBackendResponses(host);
  }
  pushBackendResponses(host);
  return served;
}

/** An honest frontend pass: consumes responses (ending access to their pages) until the final check finds none. */
export function collectUntilIdle(host: BlkifHost, session?: PersistentGrantSession): number {
  let collected = 0;
  for (;;) {
    let batch = host.frontendRing.beginResponseBatch();
    if (batch === 0) batch = host.frontendRing.finalCheckForResponses();
    if (batch < 0) throw new Error(`frontend sees ring fault ${batch}`);
    if (batch === 0) return collected;
    for (let response = host.frontendRing.consumeResponse(); response !== null; response = host.frontendRing.consumeResponse()) {
      const id = Number(new DataView(response.buffer, response.byteOffset, response.byteLength).getBigUint64(host.wire.offsets.responseId, true));
      collected += 1;
      const lent = host.lentPages.get(id);
      if (lent === undefined) continue;
      host.lentPages.delete(id);
      if (session !== undefined) {
        // Pool pages go back to the pool, still granted and still mapped by the backend.
        session.freeReferences.push(...lent.references);
        continue;
      }
      for (const reference of lent.references) host.hypervisor.endAccess(frontendId, reference);
      for (const frame of lent.frames) host.hypervisor.freePages(frontendId, frame, 1);
    }
  }
}
