// Loaded with `node --import` into a CLI process the benchmark spawns: when the process exits, it
// writes the main thread's CPU milliseconds to the file named by PROTO_DESC_BENCH_CPU_REPORT.
import { writeFileSync } from "node:fs";
import { readThreadCpuMilliseconds } from "./thread-cpu-time.js";

const reportPath = process.env["PROTO_DESC_BENCH_CPU_REPORT"];
if (reportPath !== undefined) {
  process.on("exit", () => writeFileSync(reportPath, String(readThreadCpuMilliseconds())));
}
