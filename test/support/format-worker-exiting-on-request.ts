// A stand-in formatting worker entry that reports ready and then exits with code 3 on its first
// request, so tests can see how the pool answers a worker that dies while work is in flight.
import { parentPort } from "node:worker_threads";

const port = parentPort;
if (port !== null) {
  port.on("message", () => process.exit(3));
  port.postMessage({ kind: "ready" });
}
