// Checks blkif's indirect request against gcc: Xen's C struct, written both ways (x86_64 with
// its explicit packed padding, i386 with only a trailing u64 pad), compiled to assembly, must
// give the same size and offsets as the layout the bundled protocol description produces.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { LaidOutSwitch, LayoutEntry } from "../../compiler/semantic/layout.js";
import type { TargetAbi } from "../../compiler/semantic/layout-abi.js";
import { repositoryRoot } from "../support/run-cli.js";
import { analyzeSources } from "./support/analyze-sources.js";

/**
 * The indirect request as Xen's io/blkif.h defines it. `PD_X86_64` stands for the header's
 * `#ifdef __x86_64__`, so that x86_32 can be emulated on a gcc without `-m32` by lowering the
 * 64-bit integer's alignment to 4 (the only i386 rule these members depend on).
 */
const indirectRequestInC = `
#include <stddef.h>
#ifdef PD_EMULATE_I386
typedef unsigned long long pd_u64 __attribute__((aligned(4)));
#else
typedef unsigned long long pd_u64;
#endif
struct blkif_request_indirect {
  unsigned char operation;
  unsigned char indirect_op;
  unsigned short nr_segments;
#ifdef PD_X86_64
  unsigned int _pad1;
#endif
  pd_u64 id;
  pd_u64 sector_number;
  unsigned short handle;
#ifdef PD_X86_64
  unsigned short _pad2;
#endif
  unsigned int indirect_grefs[8];
#ifdef PD_X86_64
  unsigned int _pad3;
#else
  pd_u64 _pad3;
#endif
}
#ifdef PD_X86_64
__attribute__((__packed__))
#endif
;
const unsigned int pd_facts[] = {
  sizeof(struct blkif_request_indirect),
  offsetof(struct blkif_request_indirect, indirect_op),
  offsetof(struct blkif_request_indirect, nr_segments),
  offsetof(struct blkif_request_indirect, id),
  offsetof(struct blkif_request_indirect, sector_number),
  offsetof(struct blkif_request_indirect, handle),
  offsetof(struct blkif_request_indirect, indirect_grefs),
};
`;

const factNames = ["size", "indirect_op", "nr_segments", "id", "sector_number", "handle", "indirect_grefs"] as const;

function gccAvailable(): boolean {
  return spawnSync("gcc", ["--version"], { encoding: "utf8" }).status === 0;
}

function gccTargetsI386(): boolean {
  return spawnSync("gcc", ["-m32", "-x", "c", "-S", "-o", "-", "-"], { input: "int probe;\n", encoding: "utf8" }).status === 0;
}

/** Compiles the struct for one ABI to assembly and reads the `pd_facts` array back from its `.long` lines. */
function factsFromGcc(abi: "x86_64" | "x86_32"): Record<string, number> {
  const flags = abi === "x86_64" ? ["-DPD_X86_64"] : gccTargetsI386() ? ["-m32"] : ["-DPD_EMULATE_I386"];
  const compiled = spawnSync("gcc", [...flags, "-x", "c", "-S", "-o", "-", "-"], { input: indirectRequestInC, encoding: "utf8" });
  if (compiled.status !== 0) throw new Error(`gcc failed: ${compiled.stderr}`);
  const values = [...compiled.stdout.matchAll(/^\s*\.long\s+(\d+)\s*$/gm)].map((match) => Number(match[1]));
  expect(values).toHaveLength(factNames.length);
  return Object.fromEntries(factNames.map((name, index) => [name, values[index] ?? -1]));
}

function factsFromSpec(abi: TargetAbi): Record<string, number> {
  const source = readFileSync(`${repositoryRoot}protocols/blkif.proto-desc`, "utf8");
  const analyzed = analyzeSources({ "protocols/blkif.proto-desc": source });
  const request = analyzed.model.protocols.find((protocol) => protocol.name === "blkif")?.records.find((record) => record.name === "Request")?.layouts.get(abi);
  const laidOutSwitch = request?.entries.find((entry): entry is LaidOutSwitch => entry.kind === "switch");
  const indirect = laidOutSwitch?.cases.find((item) => item.labels.includes("indirect"));
  if (indirect === undefined) throw new Error(`blkif.Request has no indirect case on ${abi}`);
  const offsets = Object.fromEntries(indirect.entries.filter((entry: LayoutEntry) => entry.kind === "field").map((entry) => [entry.name, entry.offset]));
  return { size: indirect.end, ...Object.fromEntries(factNames.slice(1).map((name) => [name, offsets[name] ?? -1])) };
}

describe.runIf(gccAvailable())("blkif indirect request agrees with gcc", () => {
  it.each<"x86_64" | "x86_32">(["x86_64", "x86_32"])("on %s", (abi) => {
    const fromGcc = factsFromGcc(abi);
    expect(fromGcc.size).toBe(64);
    expect(factsFromSpec(abi)).toEqual(fromGcc);
  });
});
