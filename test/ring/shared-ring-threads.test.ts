// Shared rings across real threads (worker_threads over SharedArrayBuffer): copy-once
// consumption stays consistent while a hostile thread rewrites slots, hostile index writes
// are reported as faults and never overrun the ring, and a backend that sleeps between
// batches is never left asleep with work (no lost wake-up). Workers load the compiled
// JavaScript from dist/, so run `npx tsc -p .` first.
import { describe, it, expect } from "vitest";
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { SharedRingBackend } from "../../runtime/ring/shared-ring-backend.js";
import { SharedRingFrontend } from "../../runtime/ring/shared-ring-frontend.js";
import { repositoryRoot } from "../support/run-cli.js";
import { ByteStreamRingEndpoint } from "../../runtime/ring/byte-stream-ring.js";
import { xenstoreRingLayout } from "../../runtime/ring/byte-stream-ring-layout.js";
import { RingStatus } from "../../runtime/ring/ring-status.js";
import type { HostileIndexScribblerData } from "./support/hostile-index-scribbler-worker.js";
import type { HostileSlotRewriterData } from "./support/hostile-slot-rewriter-worker.js";
import type { SleepingEchoBackendData, SleepingEchoBackendReport } from "./support/sleeping-echo-backend-worker.js";
import { signalPendingEvent, waitForPendingEvent } from "./support/pending-event-word.js";

function compiledWorkerPath(name: string): string {
  const path = `${repositoryRoot}dist/test/ring/support/${name}.js`;
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npx tsc -p .\` before these tests`);
  }
  return path;
}

function waitForExit(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", resolve);
  });
}

/** True when every 32-bit word of the slot copy holds the same value (the writer's invariant). */
function isUniformSlot(words: Int32Array): boolean {
  const first = words[0];
  for (let index = 1; index < words.length; index++) {
    if (words[index] !== first) return false;
  }
  return true;
}

describe("shared ring across threads", () => {
  it("keeps a validated private copy consistent while a hostile thread rewrites the slot", async () => {
    const slotBytes = 256;
    const ringMemory = new SharedArrayBuffer(4096);
    const control = new SharedArrayBuffer(8);
    const controlWords = new Int32Array(control);
    const frontend = SharedRingFrontend.initialize(new Uint8Array(ringMemory), slotBytes);
    const backend = SharedRingBackend.attach(new Uint8Array(ringMemory), slotBytes);
    const workerData: HostileSlotRewriterData = { ringMemory, control, slotBytes, entryCount: frontend.entryCount };
    const worker = new Worker(compiledWorkerPath("hostile-slot-rewriter-worker"), { workerData });
    const exited = waitForExit(worker);
    try {
      // Start only once the hostile writer is running, so the loop below really races it.
      while (Atomics.load(controlWords, 1) === 0) Atomics.wait(controlWords, 1, 0, 5);
      const rewritesAtStart = Atomics.load(controlWords, 1);
      const privateCopy = new Uint8Array(slotBytes);
      const privateWords = new Int32Array(privateCopy.buffer);
      const request = new Uint8Array(slotBytes);
      let accepted = 0;
      let rejectedAsTorn = 0;
      let changedAfterValidation = 0;
      let consumed = 0;
      // Run a fixed amount of work, extended until the writer has made progress during it
      // (bounded, so a starved worker cannot hang the test).
      for (let round = 0; round < 400_000 && (round < 10_000 || Atomics.load(controlWords, 1) - rewritesAtStart < 50); round++) {
        frontend.produceRequest(request);
        frontend.pushRequests();
        expect(backend.beginRequestBatch()).toBeGreaterThan(0);
        // Alternate between the caller-owned buffer and the end's own private buffer.
        for (;;) {
          const copy = round % 2 === 0 ? (backend.consumeRequestInto(privateCopy) ? privateWords : null) : backend.consumeRequest();
          if (copy === null) break;
          const words = copy instanceof Int32Array ? copy : new Int32Array(copy.buffer, copy.byteOffset, slotBytes / 4);
          consumed++;
          if (!isUniformSlot(words)) {
            rejectedAsTorn++;
          } else {
            accepted++;
            const validatedValue = words[0];
            // "Use" the request after giving the writer time to rewrite the shared slot.
            for (let spin = 0; spin < 50; spin++) Atomics.load(controlWords, 1);
            if (!isUniformSlot(words) || words[0] !== validatedValue) changedAfterValidation++;
          }
          backend.produceResponse(request);
        }
        backend.pushResponses();
        frontend.beginResponseBatch();
        while (frontend.consumeResponse() !== null);
      }
      const rewritesDuringRun = Atomics.load(controlWords, 1) - rewritesAtStart;
      expect(consumed).toBe(accepted + rejectedAsTorn);
      expect(rewritesDuringRun).toBeGreaterThan(0);
      expect(accepted).toBeGreaterThan(0);
      expect(changedAfterValidation).toBe(0);
    } finally {
      Atomics.store(controlWords, 0, 1);
      await exited;
    }
  });

  it("never leaves a backend that sleeps between batches asleep with requests pending", async () => {
    const slotBytes = 64;
    const requestCount = 20_000;
    const ringMemory = new SharedArrayBuffer(4096);
    const events = new SharedArrayBuffer(8);
    const eventWords = new Int32Array(events);
    const frontend = SharedRingFrontend.initialize(new Uint8Array(ringMemory), slotBytes);
    const workerData: SleepingEchoBackendData = { ringMemory, slotBytes, events, requestCount, lostWakeUpTimeoutMilliseconds: 10_000 };
    const worker = new Worker(compiledWorkerPath("sleeping-echo-backend-worker"), { workerData });
    const reported = new Promise<SleepingEchoBackendReport>((resolve) => worker.once("message", resolve));
    const exited = waitForExit(worker);
    const request = new Uint8Array(slotBytes);
    const requestView = new DataView(request.buffer);
    let sent = 0;
    let received = 0;
    let frontendLostWakeUps = 0;
    let outOfOrder = 0;
    // Varying batch sizes make the backend alternate between draining and sleeping.
    for (let batch = 1; received < requestCount; batch = (batch % 7) + 1) {
      for (let index = 0; index < batch && sent < requestCount && frontend.freeRequestCount() > 0; index++) {
        requestView.setUint32(0, sent, true);
        frontend.produceRequest(request);
        sent++;
      }
      if (frontend.pushRequests()) signalPendingEvent(eventWords, 0);
      let waiting = frontend.beginResponseBatch();
      for (;;) {
        for (let response = frontend.consumeResponse(); response !== null; response = frontend.consumeResponse()) {
          if (new DataView(response.buffer).getUint32(0, true) !== received) outOfOrder++;
          received++;
        }
        if (received === sent && sent < requestCount) break;
        waiting = frontend.finalCheckForResponses();
        expect(waiting).toBeGreaterThanOrEqual(0);
        if (waiting > 0) continue;
        if (received === requestCount) break;
        if (!waitForPendingEvent(eventWords, 1, 10_000) && frontend.beginResponseBatch() > 0) frontendLostWakeUps++;
        waiting = frontend.beginResponseBatch();
      }
    }
    const report = await reported;
    await exited;
    expect(report.faults).toBe(0);
    expect(report.requestsAnswered).toBe(requestCount);
    expect(report.lostWakeUps).toBe(0);
    expect(frontendLostWakeUps).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(received).toBe(requestCount);
  });

  it("reports a hostile thread's index writes as faults and never consumes beyond the ring", async () => {
    const slotBytes = 112;
    const ringMemory = new SharedArrayBuffer(4096);
    const control = new SharedArrayBuffer(8);
    const controlWords = new Int32Array(control);
    const memory = new Uint8Array(ringMemory);
    SharedRingFrontend.initialize(memory, slotBytes);
    const backend = SharedRingBackend.attach(memory, slotBytes);
    // The hostile frontend publishes req_prod values near the backend's rsp_prod (plausible,
    // overflowing or behind) and now and then anything at all.
    const workerData: HostileIndexScribblerData = { ringMemory, targets: [{ offset: 0, anchorOffset: 8, spread: 48 }], control, seed: 0x5eed };
    const worker = new Worker(compiledWorkerPath("hostile-index-scribbler-worker"), { workerData });
    const exited = waitForExit(worker);
    try {
      while (Atomics.load(controlWords, 1) === 0) Atomics.wait(controlWords, 1, 0, 5);
      const privateCopy = new Uint8Array(slotBytes);
      let faults = 0;
      let consumed = 0;
      let oversizedBatches = 0;
      let overrunUnanswered = 0;
      // Run until both a fault and an accepted request were seen, so the race was real; the
      // bound only stops a starved hostile thread from hanging the test.
      for (let round = 0; round < 20_000_000 && (round < 20_000 || faults === 0 || consumed === 0); round++) {
        const waiting = backend.beginRequestBatch();
        if (waiting < 0) {
          expect(waiting).toBe(RingStatus.frontendRequestOverflow);
          faults++;
        } else if (waiting > backend.entryCount) {
          oversizedBatches++;
        }
        while (backend.consumeRequestInto(privateCopy)) consumed++;
        if (backend.unansweredRequestCount() > backend.entryCount) overrunUnanswered++;
        while (backend.produceResponse(privateCopy));
        backend.pushResponses();
      }
      expect(faults).toBeGreaterThan(0);
      expect(consumed).toBeGreaterThan(0);
      expect(oversizedBatches).toBe(0);
      expect(overrunUnanswered).toBe(0);
    } finally {
      Atomics.store(controlWords, 0, 1);
      await exited;
    }
  });

  it("reports a hostile thread's byte-stream index writes as faults and never reads past the buffer", async () => {
    const ringMemory = new SharedArrayBuffer(4096);
    const control = new SharedArrayBuffer(8);
    const controlWords = new Int32Array(control);
    const store = new ByteStreamRingEndpoint(new Uint8Array(ringMemory), xenstoreRingLayout, "backend");
    const { guestToBackend, backendToGuest } = xenstoreRingLayout;
    const workerData: HostileIndexScribblerData = {
      ringMemory,
      targets: [
        { offset: guestToBackend.producerIndexOffset, anchorOffset: guestToBackend.consumerIndexOffset, spread: 1100 },
        { offset: backendToGuest.consumerIndexOffset, anchorOffset: backendToGuest.producerIndexOffset, spread: 1100 },
      ],
      control,
      seed: 0xbad,
    };
    const worker = new Worker(compiledWorkerPath("hostile-index-scribbler-worker"), { workerData });
    const exited = waitForExit(worker);
    try {
      while (Atomics.load(controlWords, 1) === 0) Atomics.wait(controlWords, 1, 0, 5);
      const target = new Uint8Array(4096);
      const reply = new Uint8Array(64).fill(0x4f);
      let faults = 0;
      let overlong = 0;
      let transfers = 0;
      for (let round = 0; round < 10_000_000 && (round < 20_000 || faults === 0 || transfers === 0); round++) {
        const read = store.read(target);
        const written = store.write(reply);
        for (const result of [read, written]) {
          if (result === RingStatus.byteStreamIndicesOutOfRange) faults++;
          else if (result > 1024) overlong++;
          else if (result > 0) transfers++;
        }
      }
      expect(faults).toBeGreaterThan(0);
      expect(overlong).toBe(0);
      expect(transfers).toBeGreaterThan(0);
    } finally {
      Atomics.store(controlWords, 0, 1);
      await exited;
    }
  });
});
