// Benchmark baseline: one side of a postMessage round trip between two worker threads over a
// MessageChannel, carrying a small message each way.

import { parentPort, workerData, type MessagePort } from "node:worker_threads";

interface PostMessagePeerData {
  readonly role: "initiator" | "responder";
  readonly port: MessagePort;
  readonly rounds: number;
}

const data = workerData as PostMessagePeerData;

if (data.role === "responder") {
  let answered = 0;
  data.port.on("message", (value: number) => {
    data.port.postMessage(value + 1);
    answered += 1;
    if (answered === data.rounds) data.port.close();
  });
} else {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  let round = 0;
  await new Promise<void>((resolve) => {
    data.port.on("message", () => {
      round += 1;
      if (round === data.rounds) resolve();
      else data.port.postMessage(round);
    });
    data.port.postMessage(0);
  });
  parentPort?.postMessage({ elapsedMilliseconds: performance.now() - started, rounds: data.rounds });
  data.port.close();
}
