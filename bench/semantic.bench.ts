// Semantic-phase throughput: analysing the bundled protocols against parsing them (the
// baseline every `check` pays anyway), the layout engine against a naive sum of field sizes,
// and the lifecycle product search against single-machine reachability, each in the same run.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { analyze } from "../compiler/semantic/analyze.js";
import { LayoutEngine, type LayoutMemberShape, type LayoutTypeShape, type RecordShape } from "../compiler/semantic/layout.js";
import { findUnreachableStates } from "../compiler/semantic/lifecycle-graph.js";
import { exploreLifecycleProduct } from "../compiler/semantic/lifecycle-product.js";
import type { LifecycleMachineShape } from "../compiler/semantic/lifecycle-shapes.js";
import { parse } from "../compiler/syntax/parse.js";
import type { BenchSuite } from "./suite.js";

const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `body` repeatedly for about `milliseconds` and returns iterations per second. */
function measure(body: () => void, milliseconds = 1500): number {
  body();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < milliseconds) {
    body();
    iterations++;
    elapsed = performance.now() - start;
  }
  return (iterations * 1000) / elapsed;
}

function report(label: string, rate: number, unit: string, baselineLabel: string, baselineRate: number): void {
  process.stdout.write(`${label}: ${rate.toFixed(0)} ${unit}/s; ${baselineLabel}: ${baselineRate.toFixed(0)} ${unit}/s; ratio ${(rate / baselineRate).toFixed(2)}x\n`);
}

function wideRecord(fieldCount: number): RecordShape {
  const scalars = ["u8", "u16", "u32", "u64"] as const;
  const fields: LayoutMemberShape[] = [];
  for (let index = 0; index < fieldCount; index++) {
    const type: LayoutTypeShape = { kind: "scalar", scalar: scalars[index % scalars.length] ?? "u8" };
    fields.push({ name: `f${index}`, type });
  }
  return { kind: "record", name: "Wide", isUnion: false, fields };
}

function keyHeavyMachines(keys: number): [LifecycleMachineShape, LifecycleMachineShape] {
  const transitions = Array.from({ length: keys }, (_, index) => ({
    from: index % 2 === 0 ? "Initialising" : "Initialised",
    to: index % 2 === 0 ? "Initialised" : "Initialising",
    guard: undefined,
    publishes: [`k${index}`],
  }));
  const states = ["Initialising", "Initialised", "Closing", "Closed"];
  const teardown = states.filter((state) => state !== "Closing" && state !== "Closed").map((from) => ({ from, to: "Closing", guard: undefined, publishes: [] }));
  const close = { from: "Closing", to: "Closed", guard: undefined, publishes: [] };
  return [
    { role: "frontend", states, initialState: "Initialising", closedState: "Closed", transitions: [...transitions, ...teardown, close] },
    { role: "backend", states, initialState: "Initialising", closedState: "Closed", transitions: [...teardown, close] },
  ];
}

export const suite: BenchSuite = {
  name: "semantic analysis",
  async run() {
    const directory = `${repositoryRoot}protocols`;
    const files = readdirSync(directory).filter((name) => name.endsWith(".proto-desc")).map((name) => ({ file: `protocols/${name}`, text: readFileSync(`${directory}/${name}`, "utf8") }));
    const lines = files.reduce((total, file) => total + file.text.split("\n").length, 0);
    const asts = files.map((file) => parse(file.file, file.text).value);
    const parseRate = measure(() => { for (const file of files) parse(file.file, file.text); });
    const analyzeRate = measure(() => { analyze(asts); });
    report(`analyze ${files.length} bundled specs (${lines} lines)`, analyzeRate * lines, "lines", "parse the same specs", parseRate * lines);

    const record = wideRecord(256);
    const naiveRate = measure(() => {
      let total = 0;
      for (const field of record.fields) if (field.kind !== "switch" && field.type.kind === "scalar") total += field.type.scalar.length;
      if (total < 0) throw new Error("unreachable");
    }, 500);
    const layoutRate = measure(() => { new LayoutEngine("x86_32").layOutRecord(record); }, 1000);
    report("lay out a 256-field struct", layoutRate * 256, "fields", "naive loop over the same fields", naiveRate * 256);

    const machines = keyHeavyMachines(8);
    let explored = 0;
    const productRate = measure(() => { explored = exploreLifecycleProduct(machines).exploredStates; }, 2000);
    const singleRate = measure(() => { findUnreachableStates(machines[0]); }, 500);
    report(`product search (${explored} joint states)`, productRate * explored, "states", "single-machine reachability", singleRate * machines[0].states.length);
  },
};
