// The adversarial catalogue as data: for every clause id of the generated blkif MonitorSpec,
// the attacks that break it (or falsely claim it was broken), each with the malicious role,
// the verdict the policer must reach, the role it must blame and the function that plays it.
// adversarial-catalogue.test.ts runs every entry; catalogue-coverage.test.ts checks that every
// clause of the generated spec and every guarantee of protocols/blkif.proto-desc is covered.
// To add a clause: add an entry under its id (the coverage test names the ones missing).

import { expect } from "vitest";
import type { PolicerVerdict } from "../../runtime/policer/index.js";
import {
  backendDirectory,
  backendFeatureKeys,
  backendId,
  collectResponses,
  connectionName,
  frontendDirectory,
  frontendId,
  grantDataPages,
  issueRequest,
  sendRequest,
  serveRequests,
  writeHeaderWord,
  XenbusState,
  type BlkifAbi,
  type BlkifHost,
  type BlkifHostOptions,
} from "./blkif-host.js";

export type BlkifRole = "frontend" | "backend";

/**
 * How the verdict comes about: the policer observes the violation itself; it confirms a true
 * complaint by its own re-check; or it finds a complaint false and blames the complainer.
 */
export type AttackVerdict = "observed" | "confirmed-complaint" | "false-accusation";

export interface BlkifAttack {
  readonly name: string;
  /** The role that misbehaves (for a false accusation: the lying complainer). */
  readonly maliciousRole: BlkifRole;
  readonly expectedVerdict: AttackVerdict;
  readonly blamedRole: BlkifRole;
  /** The ABIs the attack runs on (ring-level attacks run on both). */
  readonly abis: readonly BlkifAbi[];
  readonly hostOptions?: Omit<BlkifHostOptions, "abi">;
  /** Plays the attack on a freshly connected, policed host; the verdict follows from it. */
  readonly play: (host: BlkifHost) => void;
  /** Further assertions on the verdict's evidence. */
  readonly checkEvidence?: (verdict: PolicerVerdict, host: BlkifHost) => void;
}

const bothAbis: readonly BlkifAbi[] = ["x86_64", "x86_32"];
const nativeAbi: readonly BlkifAbi[] = ["x86_64"];

const operationRead = 0;
const operationWrite = 1;
const operationDiscard = 5;
const operationIndirect = 6;

// Playing helpers: what a hostile party does to shared memory, the store and the hypervisor.

function notifyFromFrontend(host: BlkifHost): void {
  host.hypervisor.sendEvent(frontendId, host.frontendPort);
}

function notifyFromBackend(host: BlkifHost): void {
  host.hypervisor.sendEvent(backendId, host.backendPort);
}

function slotView(host: BlkifHost, index: number): DataView {
  const memory = host.frontendRingMemory;
  return new DataView(memory.buffer, memory.byteOffset + host.wire.slotOffset(index), host.wire.requestBytes);
}

/**
 * A hostile frontend publishes a request it built by hand: `shape` writes the slot's bytes
 * (the slot starts zeroed with a fresh id), then req_prod is pushed and the backend notified.
 */
export function publishHandBuiltRequest(host: BlkifHost, shape: (slot: DataView, host: BlkifHost) => void): number {
  const id = host.nextRequestId++;
  const bytes = new Uint8Array(host.wire.requestBytes);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(host.wire.offsets.id, BigInt(id), true);
  shape(view, host);
  if (!host.frontendRing.produceRequest(bytes)) throw new Error("ring full");
  host.frontendRing.pushRequests();
  notifyFromFrontend(host);
  return id;
}

/** A hostile backend writes raw response bytes at response index `responseIndex`, publishes it and notifies. */
export function publishRawResponse(host: BlkifHost, response: Uint8Array, responseIndex: number): void {
  host.frontendRingMemory.set(response, host.wire.slotOffset(responseIndex));
  writeHeaderWord(host.frontendRingMemory, 8, responseIndex + 1);
  notifyFromBackend(host);
}

/** Writes a u32 into the slot of ring index `index` (a party rewriting shared memory). */
export function rewriteSlotWord(host: BlkifHost, index: number, slotOffset: number, value: number): void {
  slotView(host, index).setUint32(slotOffset, value >>> 0, true);
}

function complain(host: BlkifHost, complainerRole: BlkifRole, clauseId: string, evidence: Record<string, number | string> | null): void {
  const answer = host.policer.complain({ connection: connectionName, complainerRole, clauseId, evidence });
  if ("ok" in answer) throw new Error(`complaint refused: ${answer.code} ${answer.reason}`);
}

function readSegmentWith(host: BlkifHost, firstSector: number, lastSector: number): void {
  const [reference] = grantDataPages(host, 1);
  publishHandBuiltRequest(host, (slot, current) => {
    const offsets = current.wire.offsets;
    slot.setUint8(offsets.operation, operationRead);
    slot.setUint8(offsets.segmentCount, 1);
    slot.setUint32(offsets.firstSegment + offsets.segmentReference, reference ?? 0, true);
    slot.setUint8(offsets.firstSegment + offsets.segmentFirstSector, firstSector);
    slot.setUint8(offsets.firstSegment + offsets.segmentLastSector, lastSector);
  });
}

function writeStoreKeys(host: BlkifHost, role: BlkifRole, entries: readonly (readonly [string, string])[]): void {
  const client = role === "frontend" ? host.frontendStore : host.backendStore;
  const directory = role === "frontend" ? frontendDirectory : backendDirectory;
  for (const [key, value] of entries) client.write(`${directory}/${key}`, value);
}

function expectEvidenceDetail(fragment: string): (verdict: PolicerVerdict) => void {
  return (verdict) => expect(verdict.violation?.evidence.detail ?? verdict.reason).toContain(fragment);
}

/** Every attack, keyed by the clause id the verdict names (the generated spec's ids). */
export const blkifAttackCatalogue: Readonly<Record<string, readonly BlkifAttack[]>> = {
  // Store key `where` clauses: judged on the writer's store write (or when it enters the state
  // that publishes the key), blamed on the role whose store states the clause.
  "blkif.backend.sector-size": [
    {
      name: "backend publishes sector-size 7 (not a power of two, below 512)",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      play: (host) => writeStoreKeys(host, "backend", [["sector-size", "7"]]),
      checkEvidence: expectEvidenceDetail("sector-size=7"),
    },
    {
      name: "backend publishes sector-size 1536 (at least 512, not a power of two)",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      play: (host) => writeStoreKeys(host, "backend", [["sector-size", "1536"]]),
    },
  ],
  "blkif.backend.physical-sector-size": [
    {
      name: "backend publishes physical-sector-size 256 below its sector-size 512",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      play: (host) => writeStoreKeys(host, "backend", [["physical-sector-size", "256"]]),
    },
  ],
  "blkif.backend.max-ring-page-order": [
    {
      name: "backend offers max-ring-page-order 5, above MAX_RING_PAGE_ORDER",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      play: (host) => writeStoreKeys(host, "backend", [["max-ring-page-order", "5"]]),
    },
  ],
  "blkif.backend.feature-max-indirect-segments": [
    {
      name: "backend offers 4097 indirect segments, above MAX_INDIRECT_SEGMENTS",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      play: (host) => writeStoreKeys(host, "backend", [["feature-max-indirect-segments", "4097"]]),
    },
  ],
  "blkif.backend.multi-queue-max-queues": [
    {
      name: "backend offers 0 queues",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      play: (host) => writeStoreKeys(host, "backend", [["multi-queue-max-queues", "0"]]),
    },
  ],
  "blkif.frontend.ring-page-order": [
    {
      name: "frontend asks ring-page-order 2 while the backend offers max-ring-page-order 1",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => {
        writeStoreKeys(host, "backend", [...backendFeatureKeys.filter(([key]) => key !== "max-ring-page-order"), ["max-ring-page-order", "1"], ["state", String(XenbusState.initWait)]]);
        writeStoreKeys(host, "frontend", [["ring-page-order", "2"]]);
      },
      checkEvidence: expectEvidenceDetail("backend.max-ring-page-order=1"),
    },
    {
      name: "backend falsely accuses a frontend that asked the order it was offered",
      maliciousRole: "backend",
      expectedVerdict: "false-accusation",
      blamedRole: "backend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => {
        writeStoreKeys(host, "backend", [...backendFeatureKeys.filter(([key]) => key !== "max-ring-page-order"), ["max-ring-page-order", "1"], ["state", String(XenbusState.initWait)]]);
        writeStoreKeys(host, "frontend", [["ring-page-order", "1"]]);
        complain(host, "backend", "blkif.frontend.ring-page-order", null);
      },
    },
  ],
  "blkif.frontend.multi-queue-num-queues": [
    {
      name: "frontend asks 4 queues of a backend offering 2",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => {
        writeStoreKeys(host, "backend", [...backendFeatureKeys, ["multi-queue-max-queues", "2"], ["state", String(XenbusState.initWait)]]);
        writeStoreKeys(host, "frontend", [["multi-queue-num-queues", "4"]]);
      },
    },
  ],
  "blkif.frontend.one_ring_naming": [
    {
      name: "frontend names its ring twice (ring-ref and ring-page-order)",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      play: (host) => writeStoreKeys(host, "frontend", [["ring-page-order", "0"]]),
    },
    {
      name: "frontend enters Initialised without naming any ring",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => {
        writeStoreKeys(host, "backend", [...backendFeatureKeys, ["state", String(XenbusState.initWait)]]);
        writeStoreKeys(host, "frontend", [["event-channel", String(host.frontendPort)], ["state", String(XenbusState.initialised)]]);
      },
      checkEvidence: (verdict) => expect(verdict.violation?.evidence.detail).toContain("entered state 3"),
    },
  ],
  "blkif.lifecycle": [
    {
      name: "frontend claims Connected before the backend is ready",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => writeStoreKeys(host, "frontend", [["state", String(XenbusState.connected)]]),
      checkEvidence: (verdict) => expect(verdict.violation?.evidence.state).toBe(XenbusState.connected),
    },
    {
      name: "backend jumps from Initialising to Connected",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => writeStoreKeys(host, "backend", [["state", String(XenbusState.connected)]]),
    },
  ],
  "blkif.lifecycle_keys_published": [
    {
      name: "frontend enters Initialised without publishing event-channel",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => writeStoreKeys(host, "frontend", [["ring-ref", String(host.ringReference)], ["state", String(XenbusState.initialised)]]),
      checkEvidence: expectEvidenceDetail("event-channel"),
    },
    {
      name: "backend enters InitWait without publishing its features",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => writeStoreKeys(host, "backend", [["feature-flush-cache", "1"], ["state", String(XenbusState.initWait)]]),
      checkEvidence: expectEvidenceDetail("feature-barrier"),
    },
  ],
  "blkif.lifecycle_data": [
    {
      name: "frontend publishes a request before Connected",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      hostOptions: { skipHandshake: true },
      play: (host) => void sendRequest(host, operationWrite, grantDataPages(host, 1)),
    },
  ],
  "blkif.request_index_sane": [
    {
      name: "req_prod runs past the ring",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => {
        writeHeaderWord(host.frontendRingMemory, 0, host.wire.entries + 8);
        notifyFromFrontend(host);
      },
      checkEvidence: (verdict, host) => expect(verdict.violation?.evidence.requestProducer).toBe(host.wire.entries + 8),
    },
  ],
  "blkif.io.response_index": [
    {
      name: "rsp_prod passes req_prod",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: bothAbis,
      play: (host) => {
        issueRequest(host, operationWrite, 1);
        writeHeaderWord(host.frontendRingMemory, 8, 3);
        notifyFromBackend(host);
      },
      checkEvidence: (verdict) => expect(verdict.violation?.evidence.responseProducer).toBe(3),
    },
  ],
  "blkif.io.request_id_unique": [
    {
      name: "two outstanding requests share an id",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => {
        sendRequest(host, operationWrite, grantDataPages(host, 1), 7);
        sendRequest(host, operationWrite, grantDataPages(host, 1), 7);
      },
      checkEvidence: (verdict) => expect(verdict.violation?.evidence.index).toBe(1),
    },
  ],
  "blkif.io.response_id_known": [
    {
      name: "a response to a request never sent",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: bothAbis,
      play: (host) => {
        issueRequest(host, operationWrite, 1);
        publishRawResponse(host, host.wire.encodeResponse(4242, operationWrite, 0), 0);
      },
      checkEvidence: expectEvidenceDetail("4242"),
    },
    {
      name: "a frontend falsely accuses an honest backend of an unknown response id",
      maliciousRole: "frontend",
      expectedVerdict: "false-accusation",
      blamedRole: "frontend",
      abis: nativeAbi,
      play: (host) => {
        issueRequest(host, operationWrite, 1);
        serveRequests(host);
        collectResponses(host);
        complain(host, "frontend", "blkif.io.response_id_known", { index: 0 });
      },
    },
  ],
  "blkif.io.response_exactly_once": [
    {
      name: "a request answered twice",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: bothAbis,
      play: (host) => {
        const first = issueRequest(host, operationWrite, 1);
        issueRequest(host, operationWrite, 1);
        publishRawResponse(host, host.wire.encodeResponse(first, operationWrite, 0), 0);
        expect(host.verdicts).toEqual([]);
        publishRawResponse(host, host.wire.encodeResponse(first, operationWrite, 0), 1);
      },
    },
  ],
  "blkif.request_stable_until_consumed": [
    {
      name: "a published request is rewritten (double-fetch bait), found by the policer's audit",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => {
        issueRequest(host, operationWrite, 2);
        host.policer.auditAll();
        expect(host.verdicts).toEqual([]);
        rewriteSlotWord(host, 0, host.wire.offsets.firstSegment + host.wire.offsets.segmentReference, 3);
        host.policer.auditAll();
      },
    },
    {
      name: "a true complaint of a rewritten slot is confirmed by the policer's re-check",
      maliciousRole: "frontend",
      expectedVerdict: "confirmed-complaint",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => {
        issueRequest(host, operationWrite, 2);
        rewriteSlotWord(host, 0, host.wire.offsets.sectorNumber, 5);
        complain(host, "backend", "blkif.request_stable_until_consumed", { index: 0 });
      },
    },
    {
      name: "a backend claims an intact slot was rewritten",
      maliciousRole: "backend",
      expectedVerdict: "false-accusation",
      blamedRole: "backend",
      abis: nativeAbi,
      play: (host) => {
        issueRequest(host, operationWrite, 2);
        complain(host, "backend", "blkif.request_stable_until_consumed", { index: 0 });
      },
    },
  ],
  "blkif.Request.well_formed": [
    {
      name: "a request with an operation code blkif does not define",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => void publishHandBuiltRequest(host, (slot, current) => slot.setUint8(current.wire.offsets.operation, 9)),
      checkEvidence: (verdict) => expect(verdict.violation?.evidence.bytes?.slice(0, 2)).toBe("09"),
    },
  ],
  "blkif.Request.data_needs_segments": [
    {
      name: "a read that moves no segment",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => void publishHandBuiltRequest(host, (slot, current) => slot.setUint8(current.wire.offsets.operation, operationRead)),
    },
    {
      // Not observable by the policer alone: no notification and no hypercall precede the backend's consumption.
      name: "a read that moves no segment, pushed without a notification: the backend complains before answering",
      maliciousRole: "frontend",
      expectedVerdict: "confirmed-complaint",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => {
        const bytes = new Uint8Array(host.wire.requestBytes);
        const view = new DataView(bytes.buffer);
        view.setBigUint64(host.wire.offsets.id, BigInt(host.nextRequestId++), true);
        view.setUint8(host.wire.offsets.operation, operationRead);
        if (!host.frontendRing.produceRequest(bytes)) throw new Error("ring full");
        host.frontendRing.pushRequests();
        expect(host.backendRing.beginRequestBatch()).toBe(1);
        const index = host.backendRing.inspectPrivateIndices().requestConsumer;
        host.backendRing.consumeRequest();
        expect(host.verdicts).toEqual([]);
        complain(host, "backend", "blkif.Request.data_needs_segments", { index });
      },
    },
  ],
  "blkif.Request.discard_not_empty": [
    {
      name: "a discard of zero sectors",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => void publishHandBuiltRequest(host, (slot, current) => slot.setUint8(current.wire.offsets.operation, operationDiscard)),
    },
  ],
  "blkif.Request.indirect_operation": [
    {
      name: "an indirect request whose inner operation is a barrier",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) =>
        void publishHandBuiltRequest(host, (slot, current) => {
          slot.setUint8(current.wire.offsets.operation, operationIndirect);
          slot.setUint8(current.wire.offsets.indirectOperation, 2);
          slot.setUint16(current.wire.offsets.indirectSegmentCount, 1, true);
        }),
    },
  ],
  "blkif.Segment.sectors_within_frame": [
    {
      name: "a segment that runs past its frame (XSA-229)",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => readSegmentWith(host, 0, 8),
    },
    {
      name: "a segment whose first sector lies after its last",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      play: (host) => readSegmentWith(host, 5, 2),
    },
  ],
  "blkif.Response.well_formed": [
    {
      name: "a response with a status blkif does not define",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: bothAbis,
      play: (host) => {
        const id = issueRequest(host, operationWrite, 1);
        const response = host.wire.encodeResponse(id, operationWrite, 0);
        new DataView(response.buffer).setInt16(host.wire.offsets.responseStatus, 7, true);
        publishRawResponse(host, response, 0);
      },
    },
  ],
  "blkif.response_padding_zero": [
    {
      name: "response padding carries stale bytes (XSA-216)",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: bothAbis,
      play: (host) => {
        const id = issueRequest(host, operationWrite, 1);
        const response = host.wire.encodeResponse(id, operationWrite, 0);
        for (const [offset, bytes] of host.wire.offsets.responsePadding) response.fill(0x5a, offset, offset + bytes);
        publishRawResponse(host, response, 0);
      },
      checkEvidence: (verdict, host) => expect(verdict.violation?.evidence.bytes).toHaveLength(host.wire.responseBytes * 2),
    },
  ],
  "blkif.answers_in_time": [
    {
      name: "a request left unanswered past the deadline",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: bothAbis,
      play: (host) => {
        // The backend keeps answering newer requests (so blkif.io.progress holds) but starves the first.
        const deadline = host.wire.ring.deadline?.milliseconds ?? 0;
        const step = Math.floor((host.wire.ring.progress?.milliseconds ?? deadline) / 2);
        issueRequest(host, operationWrite, 1);
        host.backendRing.beginRequestBatch();
        host.backendRing.consumeRequest();
        // Each answer is written the way Xen's backends do, only the response's own bytes into the
        // next response slot, so the starved request's slot keeps its request bytes.
        const answerNewest = (): void => {
          const id = issueRequest(host, operationWrite, 1);
          host.backendRing.beginRequestBatch();
          host.backendRing.consumeRequest();
          host.backendRing.claimResponseSlot()?.set(host.wire.encodeResponse(id, operationWrite, 0));
          host.backendRing.pushResponses();
          notifyFromBackend(host);
          collectResponses(host);
        };
        let elapsed = 0;
        while (elapsed + step < deadline) {
          answerNewest();
          host.clock.advanceBy(step);
          elapsed += step;
          host.policer.auditAll();
        }
        host.clock.advanceBy(deadline - 1 - elapsed);
        answerNewest();
        host.policer.auditAll();
        expect(host.verdicts).toEqual([]);
        host.clock.advanceBy(2);
        host.policer.auditAll();
      },
    },
    {
      name: "a backend complains about a clause the accused frontend does not own",
      maliciousRole: "backend",
      expectedVerdict: "false-accusation",
      blamedRole: "backend",
      abis: nativeAbi,
      play: (host) => complain(host, "backend", "blkif.answers_in_time", null),
    },
  ],
  "blkif.io.progress": [
    {
      name: "a backend that answers nothing while a request is outstanding",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: bothAbis,
      play: (host) => {
        const window = host.wire.ring.progress?.milliseconds ?? 0;
        issueRequest(host, operationWrite, 1);
        host.clock.advanceBy(window);
        host.policer.auditAll();
        expect(host.verdicts).toEqual([]);
        host.clock.advanceBy(1);
        host.policer.auditAll();
      },
    },
  ],
  "blkif.handshake_in_time": [
    {
      name: "a frontend that never initialises while the backend waits in InitWait",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => {
        const deadline = host.spec.lifecycle.handshakeDeadline?.milliseconds ?? 0;
        for (const [key, value] of backendFeatureKeys) host.backendStore.write(`${backendDirectory}/${key}`, value);
        host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.initWait));
        host.clock.advanceBy(deadline + 1);
        host.policer.auditAll();
      },
    },
    {
      name: "a backend that never connects once the frontend is Initialised",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => {
        const deadline = host.spec.lifecycle.handshakeDeadline?.milliseconds ?? 0;
        for (const [key, value] of backendFeatureKeys) host.backendStore.write(`${backendDirectory}/${key}`, value);
        host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.initWait));
        host.frontendStore.write(`${frontendDirectory}/ring-ref`, String(host.ringReference));
        host.frontendStore.write(`${frontendDirectory}/event-channel`, String(host.frontendPort));
        host.frontendStore.write(`${frontendDirectory}/state`, String(XenbusState.initialised));
        host.clock.advanceBy(deadline + 1);
        host.policer.auditAll();
      },
    },
    {
      name: "the frontend complains about a backend that never connects, before the policer's own audit",
      maliciousRole: "backend",
      expectedVerdict: "confirmed-complaint",
      blamedRole: "backend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => {
        const deadline = host.spec.lifecycle.handshakeDeadline?.milliseconds ?? 0;
        for (const [key, value] of backendFeatureKeys) host.backendStore.write(`${backendDirectory}/${key}`, value);
        host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.initWait));
        host.frontendStore.write(`${frontendDirectory}/ring-ref`, String(host.ringReference));
        host.frontendStore.write(`${frontendDirectory}/event-channel`, String(host.frontendPort));
        host.frontendStore.write(`${frontendDirectory}/state`, String(XenbusState.initialised));
        host.clock.advanceBy(deadline + 1);
        complain(host, "frontend", "blkif.handshake_in_time", null);
      },
    },
    {
      name: "a stalled backend accuses the waiting frontend of missing the handshake deadline",
      maliciousRole: "backend",
      expectedVerdict: "false-accusation",
      blamedRole: "backend",
      abis: nativeAbi,
      hostOptions: { skipHandshake: true },
      play: (host) => {
        const deadline = host.spec.lifecycle.handshakeDeadline?.milliseconds ?? 0;
        for (const [key, value] of backendFeatureKeys) host.backendStore.write(`${backendDirectory}/${key}`, value);
        host.backendStore.write(`${backendDirectory}/state`, String(XenbusState.initWait));
        host.frontendStore.write(`${frontendDirectory}/ring-ref`, String(host.ringReference));
        host.frontendStore.write(`${frontendDirectory}/event-channel`, String(host.frontendPort));
        host.frontendStore.write(`${frontendDirectory}/state`, String(XenbusState.initialised));
        host.clock.advanceBy(deadline + 1);
        complain(host, "backend", "blkif.handshake_in_time", null);
      },
    },
  ],
  "blkif.frontend_event_rate": [
    {
      name: "a frontend notifying once more than its budget within one window",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      play: (host) => {
        const budget = host.spec.eventBudgets?.find((candidate) => candidate.role === "frontend")?.maximumEvents ?? 0;
        for (let event = 0; event <= budget; event += 1) notifyFromFrontend(host);
      },
    },
  ],
  "blkif.backend_event_rate": [
    {
      name: "a backend notifying once more than its budget within one window",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      play: (host) => {
        const budget = host.spec.eventBudgets?.find((candidate) => candidate.role === "backend")?.maximumEvents ?? 0;
        for (let event = 0; event <= budget; event += 1) notifyFromBackend(host);
      },
    },
  ],
  "blkif.frontend_store_quota": [
    {
      name: "a frontend filling the store past its node quota",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      hostOptions: { storeOptions: { quotas: { nodesPerDomain: 40 } } },
      play: (host) => {
        for (let key = 0; key < 60; key += 1) host.frontendStore.write(`${frontendDirectory}/junk-${key}`, "x");
      },
      checkEvidence: (verdict) => expect(verdict.violation?.evidence.path).toMatch(/junk-/),
    },
  ],
  "blkif.backend_store_quota": [
    {
      name: "a backend filling the store past its node quota",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      hostOptions: { storeOptions: { quotas: { nodesPerDomain: 40 } } },
      play: (host) => {
        for (let key = 0; key < 60; key += 1) host.backendStore.write(`${backendDirectory}/junk-${key}`, "x");
      },
    },
  ],
  "blkif.segments_granted_until_unmapped": [
    {
      name: "a segment grant reference that was never granted",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => void sendRequest(host, operationWrite, [999]),
      checkEvidence: (verdict) => expect(verdict.violation?.evidence.grantReference).toBe(999),
    },
  ],
  "blkif.segments_granted_until_unmapped.writable": [
    {
      name: "a read whose segments are granted read-only",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => void sendRequest(host, operationRead, grantDataPages(host, 2, true)),
    },
  ],
  "blkif.segments_granted_until_unmapped.kept": [
    {
      name: "a segment grant ended while its request is in flight",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: bothAbis,
      play: (host) => {
        const references = grantDataPages(host, 1);
        sendRequest(host, operationWrite, references);
        host.hypervisor.endAccess(frontendId, references[0] ?? -1);
      },
    },
  ],
  "blkif.unmapped_before_response": [
    {
      name: "a backend responds while still mapping the segments (XSA-396)",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: bothAbis,
      play: (host) => {
        issueRequest(host, operationRead, 2);
        serveRequests(host, { leaveMapped: true });
      },
    },
    {
      name: "a backend keeps the segments mapped as if persistent grants were agreed, but only the frontend offered them",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      hostOptions: { featurePersistent: { frontend: true, backend: false } },
      play: (host) => {
        issueRequest(host, operationRead, 2);
        serveRequests(host, { leaveMapped: true });
      },
    },
    {
      name: "a backend offers persistent grants only after Connected, then keeps the segments mapped",
      maliciousRole: "backend",
      expectedVerdict: "observed",
      blamedRole: "backend",
      abis: nativeAbi,
      hostOptions: { featurePersistent: { frontend: true, backend: false } },
      play: (host) => {
        host.backendStore.write(`${backendDirectory}/feature-persistent`, "1");
        issueRequest(host, operationRead, 2);
        serveRequests(host, { leaveMapped: true });
      },
    },
  ],
};

/**
 * Clauses of the generated spec that no message sequence can break under their own id, because
 * a check the monitor runs first always fires instead. Each names the clause that shadows it and
 * an attack that shows it: the coverage test plays the attack and requires the shadowing clause,
 * so the day the shadow lifts the test demands a real entry in the catalogue.
 */
export interface ShadowedClause {
  readonly shadowedBy: string;
  readonly reason: string;
  readonly attack: BlkifAttack;
}

export const shadowedBlkifClauses: Readonly<Record<string, ShadowedClause>> = {
  "blkif.io.outstanding_bound": {
    shadowedBy: "blkif.request_index_sane",
    reason: "the exchange bounds outstanding requests by entries(io), the ring size; a 33rd request in flight needs req_prod more than a ring ahead of the responses, which the index check reports first",
    attack: {
      name: "one request more than the ring holds",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      play: (host) => {
        for (let request = 0; request < host.wire.entries; request += 1) issueRequest(host, operationWrite, 1);
        expect(host.verdicts).toEqual([]);
        writeHeaderWord(host.frontendRingMemory, 0, host.wire.entries + 1);
        notifyFromFrontend(host);
      },
    },
  },
  "blkif.Request.segment_count": {
    shadowedBy: "blkif.Request.well_formed",
    reason: "the generated decoder refuses nr_segments above the array's 11 elements (count-exceeds-capacity) before the `where` clause is evaluated",
    attack: {
      name: "a request naming 12 segments",
      maliciousRole: "frontend",
      expectedVerdict: "observed",
      blamedRole: "frontend",
      abis: nativeAbi,
      play: (host) =>
        void publishHandBuiltRequest(host, (slot, current) => {
          slot.setUint8(current.wire.offsets.operation, operationWrite);
          slot.setUint8(current.wire.offsets.segmentCount, 12);
        }),
    },
  },
};

/**
 * Guarantees of protocols/blkif.proto-desc the generated spec does not carry as clauses yet.
 * The coverage test requires each to be absent from the generated spec: once the `clauses`
 * work emits one, the test fails until the entry moves into the catalogue with an attack.
 */
export const blkifGuaranteesAwaitingClauses: Readonly<Record<string, string>> = {
  "blkif.segments_within_frame": "the generated validator checks Segment's `where sectors_within_frame` first, so a segment past its frame is reported as blkif.Segment.sectors_within_frame (covered above) and the guarantee's own id never appears",
};
