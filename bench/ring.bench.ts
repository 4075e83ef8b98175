// Shared-ring benchmark: single-threaded produce/consume against a bare copy loop, streaming
// and round trips across two threads (SharedArrayBuffer ring, polling and notified) against
// postMessage of the same bytes, and notifications per message at batch sizes 1 and 32.
import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { ByteStreamRingEndpoint } from "../runtime/ring/byte-stream-ring.js";
import { xenstoreRingLayout } from "../runtime/ring/byte-stream-ring-layout.js";
import { SharedRingBackend } from "../runtime/ring/shared-ring-backend.js";
import { SharedRingFrontend } from "../runtime/ring/shared-ring-frontend.js";
import { computeSharedRingBytes } from "../runtime/ring/shared-ring-layout.js";
import type { RingBenchPeerData } from "./support/ring-bench-peer-worker.js";
import { signalPendingWord, spinThenWaitForPendingWord } from "./support/spin-then-wait-event.js";
import { formatRate } from "./support/figures.js";
import type { BenchSuite } from "./suite.js";

const slotBytes = 64;
const pageOrder = 2; // 16 KiB: 128 slots of 64 bytes
const peerWorkerUrl = new URL("./support/ring-bench-peer-worker.js", import.meta.url);

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Runs `step` (which handles `unit` messages) repeatedly for about `milliseconds`; returns messages per second. */
function measureRate(milliseconds: number, unit: number, step: () => void): number {
  const start = performance.now();
  let messages = 0;
  let now = start;
  while (now - start < milliseconds) {
    for (let repeat = 0; repeat < 64; repeat++) step();
    messages += 64 * unit;
    now = performance.now();
  }
  return (messages * 1000) / (now - start);
}

function measureSingleThreaded(): void {
  const batch = 32;
  const memory = new Uint8Array(computeSharedRingBytes(pageOrder));
  const frontend = SharedRingFrontend.initialize(memory, slotBytes);
  const backend = SharedRingBackend.attach(memory, slotBytes);
  const request = new Uint8Array(slotBytes).fill(1);
  const requestCopy = new Uint8Array(slotBytes);
  const responseCopy = new Uint8Array(slotBytes);
  const ringStep = (): void => {
    for (let index = 0; index < batch; index++) frontend.produceRequest(request);
    frontend.pushRequests();
    backend.beginRequestBatch();
    while (backend.consumeRequestInto(requestCopy)) backend.produceResponse(requestCopy);
    backend.pushResponses();
    frontend.beginResponseBatch();
    while (frontend.consumeResponseInto(responseCopy));
  };
  // The baseline moves the same bytes the same four times per message (request in and out,
  // response in and out) through preallocated slot views, with no indices at all.
  const bareMemory = new Uint8Array(new ArrayBuffer(computeSharedRingBytes(pageOrder)));
  const bareSlots: Uint8Array[] = [];
  for (let slot = 0; slot < 128; slot++) bareSlots.push(bareMemory.subarray(64 + slot * slotBytes, 64 + (slot + 1) * slotBytes));
  let bareIndex = 0;
  const bareStep = (): void => {
    for (let index = 0; index < batch; index++) {
      const slot = bareSlots[(bareIndex + index) & 127] as Uint8Array;
      slot.set(request);
      requestCopy.set(slot);
      slot.set(requestCopy);
      responseCopy.set(slot);
    }
    bareIndex = (bareIndex + batch) & 127;
  };
  measureRate(300, batch, ringStep);
  measureRate(300, batch, bareStep);
  const ringRate = measureRate(1500, batch, ringStep);
  const bareRate = measureRate(1500, batch, bareStep);
  print(`single thread, ${slotBytes}-byte slots, batch ${batch}: ring request+response ${formatRate(ringRate)} msgs; bare ArrayBuffer copy loop ${formatRate(bareRate)}; ring/bare = ${(ringRate / bareRate).toFixed(2)}x`);
}

function measureByteStream(): void {
  const messageBytes = 100;
  const memory = new Uint8Array(new SharedArrayBuffer(4096));
  const guest = new ByteStreamRingEndpoint(memory, xenstoreRingLayout, "guest");
  const store = new ByteStreamRingEndpoint(memory, xenstoreRingLayout, "backend");
  const message = new Uint8Array(messageBytes).fill(5);
  const received = new Uint8Array(1024);
  const ringStep = (): void => {
    for (let index = 0; index < 8; index++) guest.write(message, 0, messageBytes);
    store.read(received, 0, received.length);
  };
  // The baseline copies the same bytes in and out of a 1 KiB buffer with the same masking.
  const bare = new Uint8Array(1024);
  let bareProducer = 0;
  const bareStep = (): void => {
    const start = bareProducer;
    for (let index = 0; index < 8; index++) {
      for (let byte = 0; byte < messageBytes; byte++) bare[(bareProducer + byte) & 1023] = message[byte] as number;
      bareProducer += messageBytes;
    }
    for (let byte = 0; byte < 8 * messageBytes; byte++) received[byte] = bare[(start + byte) & 1023] as number;
  };
  measureRate(200, 8, ringStep);
  measureRate(200, 8, bareStep);
  const ringRate = measureRate(1000, 8, ringStep);
  const bareRate = measureRate(1000, 8, bareStep);
  print(`single thread, xenstore byte stream, ${messageBytes}-byte messages: ring ${formatRate(ringRate)} msgs (${((ringRate * messageBytes) / 1e6).toFixed(0)} MB/s); bare masked copy loop ${formatRate(bareRate)}; ring/bare = ${(ringRate / bareRate).toFixed(2)}x`);
}

function measureNotificationsPerMessage(): void {
  for (const batch of [1, 32]) {
    const memory = new Uint8Array(computeSharedRingBytes(pageOrder));
    const frontend = SharedRingFrontend.initialize(memory, slotBytes);
    const backend = SharedRingBackend.attach(memory, slotBytes);
    const request = new Uint8Array(slotBytes);
    const messages = 64 * 1024;
    let requestNotifications = 0;
    let responseNotifications = 0;
    for (let sent = 0; sent < messages; sent += batch) {
      for (let index = 0; index < batch; index++) frontend.produceRequest(request);
      if (frontend.pushRequests()) requestNotifications++;
      // Each side drains what it was woken for, re-arms with the final check and sleeps.
      for (let waiting = backend.beginRequestBatch(); waiting > 0; waiting = backend.finalCheckForRequests()) {
        for (let copy = backend.consumeRequest(); copy !== null; copy = backend.consumeRequest()) backend.produceResponse(copy);
        if (backend.pushResponses()) responseNotifications++;
      }
      for (let waiting = frontend.beginResponseBatch(); waiting > 0; waiting = frontend.finalCheckForResponses()) {
        while (frontend.consumeResponse() !== null);
      }
    }
    print(
      `notifications per message at batch ${batch}: requests ${(requestNotifications / messages).toFixed(4)}, responses ${(responseNotifications / messages).toFixed(4)} (bound 1/B = ${(1 / batch).toFixed(4)})`,
    );
  }
}

interface RingPeer {
  readonly frontend: SharedRingFrontend;
  /** Pending words of the emulated event channel (notified mode): 0 backend, 1 frontend. */
  readonly events: Int32Array;
  /** Notifications the backend sent to the frontend so far (notified mode). */
  responseNotifications(): number;
  stop(): Promise<void>;
}

const notifiedSpinPolls = 2000;

async function startRingPeer(mode: "polling-ring-backend" | "notified-ring-backend"): Promise<RingPeer> {
  const ringMemory = new SharedArrayBuffer(computeSharedRingBytes(pageOrder));
  const control = new SharedArrayBuffer(12);
  const controlWords = new Int32Array(control);
  const events = new SharedArrayBuffer(8);
  const eventWords = new Int32Array(events);
  const frontend = SharedRingFrontend.initialize(new Uint8Array(ringMemory), slotBytes);
  const workerData: RingBenchPeerData =
    mode === "polling-ring-backend"
      ? { mode, ringMemory, slotBytes, control }
      : { mode, ringMemory, slotBytes, control, events, spinPolls: notifiedSpinPolls };
  const worker = new Worker(peerWorkerUrl, { workerData });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  while (Atomics.load(controlWords, 1) === 0) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return {
    frontend,
    events: eventWords,
    responseNotifications: () => Atomics.load(controlWords, 2),
    async stop() {
      Atomics.store(controlWords, 0, 1);
      signalPendingWord(eventWords, 0);
      await exited;
    },
  };
}

interface NotifiedRun {
  readonly messagesPerSecond: number;
  readonly requestNotificationsPerMessage: number;
  readonly responseNotificationsPerMessage: number;
}

/** Waits for responses the way a sleeping frontend does: final check, then spin, then sleep. */
function awaitResponses(peer: RingPeer): void {
  while (peer.frontend.beginResponseBatch() === 0 && peer.frontend.finalCheckForResponses() === 0) {
    spinThenWaitForPendingWord(peer.events, 1, notifiedSpinPolls, 100);
  }
}

/** Streams with notifications instead of polling: each side sleeps when it has nothing to do. */
function streamThroughNotifiedRing(peer: RingPeer, milliseconds: number): NotifiedRun {
  const frontend = peer.frontend;
  const request = new Uint8Array(slotBytes).fill(2);
  const responseCopy = new Uint8Array(slotBytes);
  const responseNotificationsAtStart = peer.responseNotifications();
  let answered = 0;
  let requestNotifications = 0;
  const start = performance.now();
  let now = start;
  for (let round = 0; now - start < milliseconds; round++) {
    while (frontend.produceRequest(request));
    if (frontend.pushRequests()) {
      requestNotifications++;
      signalPendingWord(peer.events, 0);
    }
    awaitResponses(peer);
    while (frontend.consumeResponseInto(responseCopy)) answered++;
    if ((round & 15) === 0) now = performance.now();
  }
  now = performance.now();
  const responseNotifications = peer.responseNotifications() - responseNotificationsAtStart;
  while (frontend.outstandingRequestCount() > 0) {
    awaitResponses(peer);
    while (frontend.consumeResponseInto(responseCopy));
  }
  return {
    messagesPerSecond: (answered * 1000) / (now - start),
    requestNotificationsPerMessage: requestNotifications / answered,
    responseNotificationsPerMessage: responseNotifications / answered,
  };
}

/** One request at a time, sleeping (after a short spin) until its response is notified. */
function roundTripThroughNotifiedRing(peer: RingPeer, milliseconds: number): number {
  const frontend = peer.frontend;
  const request = new Uint8Array(slotBytes).fill(3);
  const responseCopy = new Uint8Array(slotBytes);
  let roundTrips = 0;
  const start = performance.now();
  let now = start;
  while (now - start < milliseconds) {
    for (let repeat = 0; repeat < 16; repeat++) {
      frontend.produceRequest(request);
      if (frontend.pushRequests()) signalPendingWord(peer.events, 0);
      awaitResponses(peer);
      frontend.consumeResponseInto(responseCopy);
      roundTrips++;
    }
    now = performance.now();
  }
  return (roundTrips * 1000) / (now - start);
}

/** Streams requests through the ring, keeping it as full as possible; returns answered messages per second. */
function streamThroughRing(frontend: SharedRingFrontend, milliseconds: number): number {
  const request = new Uint8Array(slotBytes).fill(2);
  const responseCopy = new Uint8Array(slotBytes);
  let answered = 0;
  const start = performance.now();
  let now = start;
  for (let round = 0; now - start < milliseconds; round++) {
    while (frontend.produceRequest(request));
    frontend.pushRequests();
    frontend.beginResponseBatch();
    while (frontend.consumeResponseInto(responseCopy)) answered++;
    if ((round & 255) === 0) now = performance.now();
  }
  now = performance.now();
  // Drain what is still in flight so the next measurement starts from an empty ring.
  while (frontend.outstandingRequestCount() > 0) {
    frontend.beginResponseBatch();
    while (frontend.consumeResponseInto(responseCopy));
  }
  return (answered * 1000) / (now - start);
}

/** One request at a time, spinning for its response; returns round trips per second. */
function roundTripThroughRing(frontend: SharedRingFrontend, milliseconds: number): number {
  const request = new Uint8Array(slotBytes).fill(3);
  const responseCopy = new Uint8Array(slotBytes);
  let roundTrips = 0;
  const start = performance.now();
  let now = start;
  while (now - start < milliseconds) {
    for (let repeat = 0; repeat < 64; repeat++) {
      frontend.produceRequest(request);
      frontend.pushRequests();
      while (frontend.beginResponseBatch() === 0);
      frontend.consumeResponseInto(responseCopy);
      roundTrips++;
    }
    now = performance.now();
  }
  return (roundTrips * 1000) / (now - start);
}

async function withEchoWorker<T>(use: (worker: Worker) => Promise<T>): Promise<T> {
  const workerData: RingBenchPeerData = { mode: "post-message-echo" };
  const worker = new Worker(peerWorkerUrl, { workerData });
  await new Promise<void>((resolve) => worker.once("online", () => resolve()));
  try {
    return await use(worker);
  } finally {
    await worker.terminate();
  }
}

/** Streams 64-byte messages through postMessage with as many in flight as the ring has slots. */
function streamThroughPostMessage(worker: Worker, milliseconds: number): Promise<number> {
  return new Promise((resolve) => {
    const payload = new Uint8Array(slotBytes).fill(2);
    const window = 128;
    let answered = 0;
    let inFlight = 0;
    let stopping = false;
    const start = performance.now();
    const onMessage = (): void => {
      answered++;
      inFlight--;
      if (!stopping && (answered & 63) === 0 && performance.now() - start >= milliseconds) stopping = true;
      if (!stopping) {
        worker.postMessage(payload);
        inFlight++;
      } else if (inFlight === 0) {
        worker.off("message", onMessage);
        resolve((answered * 1000) / (performance.now() - start));
      }
    };
    worker.on("message", onMessage);
    for (; inFlight < window; inFlight++) worker.postMessage(payload);
  });
}

function roundTripThroughPostMessage(worker: Worker, milliseconds: number): Promise<number> {
  return new Promise((resolve) => {
    const payload = new Uint8Array(slotBytes).fill(3);
    let roundTrips = 0;
    const start = performance.now();
    const onMessage = (): void => {
      roundTrips++;
      const elapsed = performance.now() - start;
      if (elapsed >= milliseconds) {
        worker.off("message", onMessage);
        resolve((roundTrips * 1000) / elapsed);
      } else {
        worker.postMessage(payload);
      }
    };
    worker.on("message", onMessage);
    worker.postMessage(payload);
  });
}

async function measureAcrossThreads(): Promise<void> {
  const pollingPeer = await startRingPeer("polling-ring-backend");
  let ringStreaming: number;
  let ringRoundTrips: number;
  try {
    streamThroughRing(pollingPeer.frontend, 300);
    ringStreaming = streamThroughRing(pollingPeer.frontend, 2500);
    roundTripThroughRing(pollingPeer.frontend, 200);
    ringRoundTrips = roundTripThroughRing(pollingPeer.frontend, 2000);
  } finally {
    await pollingPeer.stop();
  }
  const notifiedPeer = await startRingPeer("notified-ring-backend");
  let notifiedStreaming: NotifiedRun;
  let notifiedRoundTrips: number;
  try {
    streamThroughNotifiedRing(notifiedPeer, 300);
    notifiedStreaming = streamThroughNotifiedRing(notifiedPeer, 2500);
    notifiedRoundTrips = roundTripThroughNotifiedRing(notifiedPeer, 2000);
  } finally {
    await notifiedPeer.stop();
  }
  const [postStreaming, postRoundTrips] = await withEchoWorker(async (worker) => {
    await streamThroughPostMessage(worker, 300);
    const streaming = await streamThroughPostMessage(worker, 2500);
    await roundTripThroughPostMessage(worker, 200);
    const roundTrips = await roundTripThroughPostMessage(worker, 2000);
    return [streaming, roundTrips] as const;
  });
  print(`two threads, streaming ${slotBytes}-byte requests with echoed responses (${formatRate(postStreaming)} msgs through postMessage = 1x):`);
  print(`  SAB ring, polling: ${formatRate(ringStreaming)} msgs = ${(ringStreaming / postStreaming).toFixed(1)}x (goal: >= 3M/s)`);
  print(
    `  SAB ring, notified (spin ${notifiedSpinPolls} polls, then Atomics.wait): ${formatRate(notifiedStreaming.messagesPerSecond)} msgs = ${(notifiedStreaming.messagesPerSecond / postStreaming).toFixed(1)}x; notifications per message: requests ${notifiedStreaming.requestNotificationsPerMessage.toFixed(4)}, responses ${notifiedStreaming.responseNotificationsPerMessage.toFixed(4)}`,
  );
  print(`two threads, round trip of one ${slotBytes}-byte request (${formatRate(postRoundTrips)}, ${(1e6 / postRoundTrips).toFixed(1)} us each through postMessage = 1x):`);
  print(`  SAB ring, polling: ${formatRate(ringRoundTrips)} (${(1e6 / ringRoundTrips).toFixed(2)} us each) = ${(ringRoundTrips / postRoundTrips).toFixed(1)}x (goal: >= 50x)`);
  print(`  SAB ring, notified: ${formatRate(notifiedRoundTrips)} (${(1e6 / notifiedRoundTrips).toFixed(2)} us each) = ${(notifiedRoundTrips / postRoundTrips).toFixed(1)}x`);
}

export const suite: BenchSuite = {
  name: "ring",
  async run() {
    // Cross-thread figures depend on both threads getting a core at once; say how busy the box was.
    print(`machine: ${availableParallelism()} cores, load average ${loadavg().map((load) => load.toFixed(1)).join(" ")}`);
    measureSingleThreaded();
    measureByteStream();
    measureNotificationsPerMessage();
    await measureAcrossThreads();
  },
};
