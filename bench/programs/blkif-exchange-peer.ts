// One domain of the two-worker blkif exchange (bench/monitor-workers and its test): a frontend
// keeping a window of read requests in flight on a real shared ring, or a backend answering
// each, on its own worker thread and notifying over an event channel. In a monitored phase the
// side's library runs a PartyMonitor built from the generated monitorSpecX86_64 on what it
// produces and consumes, and in a "codec" phase it also encodes and decodes every message with
// the generated x86_64 codecs (a "ring" phase moves ids only).

import {
  createRequest,
  createResponse,
  decodeRequestX86_64,
  decodeResponseX86_64,
  encodeRequestX86_64,
  encodeResponseX86_64,
  layoutTables,
  monitorSpecX86_64,
} from "../../drivers/blk/generated/blkif.js";
import type { DomainProgram, SharedMemoryDomainContext } from "../../runtime/execution/index.js";
import { PartyMonitor, type MonitorGrantInspector, type MonitorParty, type Violation } from "../../runtime/monitor/index.js";
import { SharedRingBackend, SharedRingFrontend, describeRingStatus, readSharedRingHeader, sharedRingPageBytes } from "../../runtime/ring/index.js";

export interface BlkifExchangePhase {
  readonly monitored: boolean;
  /** "ring": ids only; "codec": generated encode of what is produced and decode of what is consumed. */
  readonly work: "ring" | "codec";
  readonly messages: number;
}

interface BlkifExchangeCommonInput {
  readonly frontendDomainId: number;
  readonly backendDomainId: number;
  /** This domain's port of the connection's event channel. */
  readonly port: number;
  /** Data pages the frontend granted the backend; each request names two of them. */
  readonly dataReferences: readonly number[];
  /** The phases in order; both sides get the same list and switch at the same message counts. */
  readonly phases: readonly BlkifExchangePhase[];
}

export type BlkifExchangePeerInput =
  | (BlkifExchangeCommonInput & {
      readonly role: "frontend";
      readonly ringFrame: number;
      /** Requests kept in flight (at most the ring's 32 entries). */
      readonly window: number;
      /** Counting every request sent from 0: this read carries no segment (blkif.Request.data_needs_segments). */
      readonly tamperRequestAt?: number;
    })
  | (BlkifExchangeCommonInput & {
      readonly role: "backend";
      readonly ringReference: number;
      /** Counting every response from 0: this one is sent with a non-zero padding byte. */
      readonly tamperResponseAt?: number;
    });

export interface BlkifExchangeViolationSummary {
  readonly clauseId: string;
  readonly blamedRole: string;
  readonly detail: string;
}

export interface BlkifExchangePeerOutput {
  readonly role: "frontend" | "backend";
  /** Wall-clock milliseconds each phase took on this side. */
  readonly phaseMilliseconds: readonly number[];
  /** Times per phase this side found nothing to do and waited for a notification. */
  readonly phaseWaits: readonly number[];
  /** Responses consumed (frontend) or requests served (backend), over all phases. */
  readonly messagesHandled: number;
  /** Frontend: responses whose id was not the next one sent (the backend answers in order). */
  readonly outOfOrderResponses: number;
  /** Peer messages the monitor checked and found broken (refused), over the monitored phases. */
  readonly refusedMessages: number;
  readonly peerMessagesChecked: number;
  readonly ownMessagesRecorded: number;
  readonly outstandingAtEnd: number;
  readonly violations: readonly BlkifExchangeViolationSummary[];
}

const layout = layoutTables.x86_64;
const requestBytes = layout.Request.size;
const variantOffset = layout.Request.fields.operation_variant.offset;
const requestOperationOffset = layout.Request.fields.operation.offset;
const requestSegmentCountOffset = variantOffset + layout.Request_read.fields.nr_segments.offset;
const requestIdOffset = variantOffset + layout.Request_read.fields.id.offset;
const requestSectorOffset = variantOffset + layout.Request_read.fields.sector_number.offset;
const firstSegmentOffset = variantOffset + layout.Request_read.fields.seg.offset;
const segmentBytes = layout.Segment.size;
const responseIdOffset = layout.Response.fields.id.offset;
const responseOperationOffset = layout.Response.fields.operation.offset;
const responseStatusOffset = layout.Response.fields.status.offset;
const responseBytes = layout.Response.size;
/** The first byte of the Response's trailing padding run, which must stay zero (XSA-216). */
const responseTrailingPaddingOffset = layout.Response.padding[layout.Response.padding.length - 1]?.[0] ?? responseBytes - 1;
const blkifOperationRead = 0;
const blkifResponseError = -1;
/** The high word of every request id, so ids use all 64 bits (below 2^53, as the codecs require). */
const requestIdHighWord = 0x5eed;
/** Waits of the running phase (each domain runs one program on its own thread). */
let waitsInPhase = 0;
/** Longest wait for the peer before the run is declared stuck (never reached by a working peer). */
const stuckAfterMilliseconds = 10_000;

function summarize(violations: readonly Violation[]): BlkifExchangeViolationSummary[] {
  return violations.map((violation) => ({ clauseId: violation.clauseId, blamedRole: violation.blamedRole, detail: violation.evidence.detail }));
}

function describeParties(input: BlkifExchangeCommonInput): readonly [MonitorParty, MonitorParty] {
  return [
    { role: "frontend", domainId: input.frontendDomainId, directory: `/local/domain/${input.frontendDomainId}/device/vbd/51712` },
    { role: "backend", domainId: input.backendDomainId, directory: `/local/domain/${input.backendDomainId}/backend/vbd/${input.frontendDomainId}/51712` },
  ];
}

function waitForPeer(context: SharedMemoryDomainContext, port: number, role: string): void {
  waitsInPhase += 1;
  if (!context.waitForEventBlocking(port, stuckAfterMilliseconds)) throw new Error(`${role}: no notification from the peer within ${stuckAfterMilliseconds} ms`);
}

async function runFrontend(context: SharedMemoryDomainContext, input: Extract<BlkifExchangePeerInput, { role: "frontend" }>): Promise<BlkifExchangePeerOutput> {
  const ringStart = input.ringFrame * sharedRingPageBytes;
  const ringMemory = context.memory.subarray(ringStart, ringStart + sharedRingPageBytes);
  const ring = SharedRingFrontend.initialize(ringMemory, requestBytes);
  const clock = { now: () => performance.now() };
  const monitor = new PartyMonitor({ spec: monitorSpecX86_64, parties: describeParties(input), role: "frontend", clock });
  monitor.observeState("frontend", monitorSpecX86_64.lifecycle.connectedState);
  monitor.observeState("backend", monitorSpecX86_64.lifecycle.connectedState);
  const request = new Uint8Array(requestBytes);
  const requestView = new DataView(request.buffer);
  request[requestOperationOffset] = blkifOperationRead;
  request[requestSegmentCountOffset] = 2;
  for (let segment = 0; segment < 2; segment += 1) {
    const offset = firstSegmentOffset + segment * segmentBytes;
    requestView.setUint32(offset + layout.Segment.fields.gref.offset, input.dataReferences[segment] ?? 0, true);
    request[offset + layout.Segment.fields.first_sect.offset] = 0;
    request[offset + layout.Segment.fields.last_sect.offset] = 7;
  }
  const response = new Uint8Array(requestBytes);
  const responseView = new DataView(response.buffer);
  const requestValue = createRequest();
  const readValue = requestValue.operationVariant.read;
  readValue.nrSegments = 2;
  for (let segment = 0; segment < 2; segment += 1) {
    const value = readValue.seg[segment];
    if (value === undefined) continue;
    value.gref = input.dataReferences[segment] ?? 0;
    value.lastSect = 7;
  }
  const responseValue = createResponse();
  const window = Math.max(1, Math.min(input.window, ring.freeRequestCount()));
  const phaseMilliseconds: number[] = [];
  const phaseWaits: number[] = [];
  let nextId = 0;
  let expectedId = 0;
  let handled = 0;
  let outOfOrder = 0;
  let refused = 0;
  for (const phase of input.phases) {
    const monitored = phase.monitored;
    const codec = phase.work === "codec";
    const started = performance.now();
    waitsInPhase = 0;
    let sent = 0;
    let received = 0;
    while (received < phase.messages) {
      if (monitored) monitor.beginBatch();
      while (sent < phase.messages && sent - received < window) {
        if (codec) {
          readValue.id = requestIdHighWord * 2 ** 32 + nextId;
          readValue.sectorNumber = (nextId & 1023) * 8;
          if (encodeRequestX86_64(requestValue, requestView, 0) !== undefined) throw new Error("frontend: the generated encoder refused an honest request");
        } else {
          requestView.setUint32(requestIdOffset, nextId, true);
          requestView.setUint32(requestIdOffset + 4, requestIdHighWord, true);
          requestView.setUint32(requestSectorOffset, (nextId & 1023) * 8, true);
        }
        request[requestSegmentCountOffset] = nextId === input.tamperRequestAt ? 0 : 2;
        if (monitored) monitor.recordRequestProduced(request);
        ring.produceRequest(request);
        nextId += 1;
        sent += 1;
      }
      if (ring.pushRequests()) context.notify(input.port);
      let waiting = ring.beginResponseBatch();
      if (waiting === 0) waiting = ring.armEventAndCheckForResponses();
      if (waiting < 0) {
        const header = readSharedRingHeader(ringMemory);
        monitor.reportPeerIndexFault(header.requestProducer, header.responseProducer, `the frontend's ring end refused rsp_prod: ${describeRingStatus(waiting)}`);
        throw new Error(`frontend: ${describeRingStatus(waiting)}`);
      }
      if (waiting === 0) {
        waitForPeer(context, input.port, "frontend");
        continue;
      }
      while (ring.consumeResponseInto(response)) {
        received += 1;
        if (monitored && !monitor.checkResponseConsumed(response)) refused += 1;
        if (codec) {
          if (decodeResponseX86_64(responseView, 0, responseValue) !== undefined || responseValue.id !== requestIdHighWord * 2 ** 32 + expectedId) outOfOrder += 1;
        } else if (responseView.getUint32(responseIdOffset, true) !== expectedId) {
          outOfOrder += 1;
        }
        expectedId += 1;
      }
    }
    phaseMilliseconds.push(performance.now() - started);
    phaseWaits.push(waitsInPhase);
    handled += received;
  }
  return {
    role: "frontend",
    phaseMilliseconds,
    phaseWaits,
    messagesHandled: handled,
    outOfOrderResponses: outOfOrder,
    refusedMessages: refused,
    peerMessagesChecked: monitor.peerMessagesChecked,
    ownMessagesRecorded: monitor.ownMessagesRecorded,
    outstandingAtEnd: monitor.outstandingCount,
    violations: summarize(monitor.violations),
  };
}

/**
 * What the backend's library knows of the frontend's grants: the data references it mapped
 * at connect time (blkif's persistent grants), writable or, failing that, read-only.
 */
async function mapDataReferences(context: SharedMemoryDomainContext, input: BlkifExchangeCommonInput): Promise<MonitorGrantInspector> {
  const mappedAccess = new Uint8Array(4096);
  for (const reference of input.dataReferences) {
    const writable = await context.hypercalls.mapGrant(input.frontendDomainId, reference, true);
    if (writable.ok) {
      mappedAccess[reference] = 1;
      continue;
    }
    const readOnly = await context.hypercalls.mapGrant(input.frontendDomainId, reference, false);
    if (readOnly.ok) mappedAccess[reference] = 2;
  }
  return {
    isGrantedTo: (granterId, reference, granteeId) => granterId === input.frontendDomainId && granteeId === input.backendDomainId && (mappedAccess[reference] ?? 0) !== 0,
    isReadOnly: (_granterId, reference) => mappedAccess[reference] === 2,
  };
}

async function runBackend(context: SharedMemoryDomainContext, input: Extract<BlkifExchangePeerInput, { role: "backend" }>): Promise<BlkifExchangePeerOutput> {
  const mappedRing = await context.hypercalls.mapGrant(input.frontendDomainId, input.ringReference, true);
  if (!mappedRing.ok) throw new Error(`backend: cannot map the ring: ${mappedRing.reason}`);
  const ring = SharedRingBackend.attach(mappedRing.view, requestBytes);
  const clock = { now: () => performance.now() };
  const grants = await mapDataReferences(context, input);
  const monitor = new PartyMonitor({ spec: monitorSpecX86_64, parties: describeParties(input), role: "backend", clock, grants });
  monitor.observeState("frontend", monitorSpecX86_64.lifecycle.connectedState);
  monitor.observeState("backend", monitorSpecX86_64.lifecycle.connectedState);
  const request = new Uint8Array(requestBytes);
  const requestView = new DataView(request.buffer);
  const response = new Uint8Array(responseBytes);
  const responseView = new DataView(response.buffer);
  const requestValue = createRequest();
  const responseValue = createResponse();
  const phaseMilliseconds: number[] = [];
  const phaseWaits: number[] = [];
  let answered = 0;
  let refused = 0;
  for (const phase of input.phases) {
    const monitored = phase.monitored;
    const codec = phase.work === "codec";
    const started = performance.now();
    waitsInPhase = 0;
    let served = 0;
    while (served < phase.messages) {
      let waiting = ring.beginRequestBatch();
      if (waiting === 0) waiting = ring.armEventAndCheckForRequests();
      if (waiting < 0) {
        const header = readSharedRingHeader(mappedRing.view);
        monitor.reportPeerIndexFault(header.requestProducer, header.responseProducer, `the backend's ring end refused req_prod: ${describeRingStatus(waiting)}`);
        throw new Error(`backend: ${describeRingStatus(waiting)}`);
      }
      if (waiting === 0) {
        waitForPeer(context, input.port, "backend");
        continue;
      }
      if (monitored) monitor.beginBatch();
      while (served < phase.messages && ring.consumeRequestInto(request)) {
        const accepted = !monitored || monitor.checkRequestConsumed(request);
        if (!accepted) refused += 1;
        if (codec && accepted) {
          // A request the monitor refused may not decode at all; it is answered from its raw id below.
          if (decodeRequestX86_64(requestView, 0, requestValue) !== undefined) throw new Error("backend: the generated decoder refused a request the monitor accepted");
          responseValue.id = requestValue.operationVariant.read.id;
          responseValue.operation = requestValue.operation;
          responseValue.status = 0;
          if (encodeResponseX86_64(responseValue, responseView, 0) !== undefined) throw new Error("backend: the generated encoder refused a response");
        } else {
          responseView.setUint32(responseIdOffset, requestView.getUint32(requestIdOffset, true), true);
          responseView.setUint32(responseIdOffset + 4, requestView.getUint32(requestIdOffset + 4, true), true);
          response[responseOperationOffset] = request[requestOperationOffset] ?? 0;
          responseView.setInt16(responseStatusOffset, accepted ? 0 : blkifResponseError, true);
        }
        response[responseTrailingPaddingOffset] = answered === input.tamperResponseAt ? 0xa5 : 0;
        if (monitored) monitor.recordResponseProduced(response);
        ring.produceResponse(response);
        answered += 1;
        served += 1;
      }
      if (ring.pushResponses()) context.notify(input.port);
    }
    phaseMilliseconds.push(performance.now() - started);
    phaseWaits.push(waitsInPhase);
  }
  return {
    role: "backend",
    phaseMilliseconds,
    phaseWaits,
    messagesHandled: answered,
    outOfOrderResponses: 0,
    refusedMessages: refused,
    peerMessagesChecked: monitor.peerMessagesChecked,
    ownMessagesRecorded: monitor.ownMessagesRecorded,
    outstandingAtEnd: monitor.outstandingCount,
    violations: summarize(monitor.violations),
  };
}

export const domainProgram: DomainProgram<BlkifExchangePeerInput, BlkifExchangePeerOutput> = async (context, input) => {
  const shared = context as SharedMemoryDomainContext;
  return input.role === "frontend" ? runFrontend(shared, input) : runBackend(shared, input);
};
