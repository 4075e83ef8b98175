import { describe, expect, it } from "vitest";
import { emitGeneratedFiles } from "../../compiler/codegen/emit.js";
import { FormatWorkerPool } from "../../compiler/codegen/format-worker-pool.js";
import { computeSpecHash, generatedFileMarker } from "../../compiler/codegen/header.js";
import { protocol as blockLike } from "./golden/02-block-like/input.js";
import { protocol as scalars } from "./golden/01-scalars/input.js";

describe("deterministic output", () => {
  const options = { runtimeImportSpecifier: "../runtime/gen/v1.js", regenerateCommand: "npx proto-desc compile a.proto-desc b.proto-desc --out gen" };

  it("emits byte-identical files whatever the order of the protocols, with the header first and LF only", async () => {
    const forward = await emitGeneratedFiles({ protocols: [blockLike, scalars], specFiles: ["a.proto-desc"], specHash: "abc" }, options);
    const backward = await emitGeneratedFiles({ protocols: [scalars, blockLike], specFiles: ["a.proto-desc"], specHash: "abc" }, options);
    expect(forward.value.map((file) => file.path)).toEqual(["block-like.ts", "scalars.ts"]);
    expect(backward.value).toEqual(forward.value);
    for (const file of forward.value) {
      expect(file.text.startsWith(`${generatedFileMarker} from a.proto-desc. DO NOT EDIT.\n// Regenerate with: ${options.regenerateCommand}\n// Spec sha256: abc\n`)).toBe(true);
      expect(file.text).toContain('export const specHash = "sha256:abc";');
      expect(file.text).not.toContain("\r");
      expect(file.text.endsWith("\n")).toBe(true);
    }
  });

  it("emits the same bytes formatting on one thread or on two, and again with the same worker", async () => {
    const formatWorkers = FormatWorkerPool.start();
    try {
      expect(await formatWorkers.ready).toBe(true);
      const unit = { protocols: [blockLike, scalars], specFiles: ["a.proto-desc"], specHash: "abc" };
      const oneThread = await emitGeneratedFiles(unit, options);
      const twoThreads = await emitGeneratedFiles(unit, { ...options, formatWorkers });
      const twoThreadsAgain = await emitGeneratedFiles(unit, { ...options, formatWorkers });
      expect(twoThreads.value).toEqual(oneThread.value);
      expect(twoThreadsAgain.value).toEqual(oneThread.value);
    } finally {
      await formatWorkers.close();
    }
  });

  it("hashes specs independently of their order and line endings, and sensitively to content", () => {
    const a = { path: "a.proto-desc", text: "protocol a {}\n" };
    const b = { path: "b.proto-desc", text: "protocol b {}\n" };
    expect(computeSpecHash([a, b])).toBe(computeSpecHash([b, a]));
    expect(computeSpecHash([{ ...a, text: "protocol a {}\r\n" }, b])).toBe(computeSpecHash([a, b]));
    expect(computeSpecHash([{ ...a, text: "protocol a { }\n" }, b])).not.toBe(computeSpecHash([a, b]));
    expect(computeSpecHash([a, b])).toMatch(/^[0-9a-f]{64}$/);
  });

  it("hashes a spec the same whichever directory it was named through, but not under another file name", () => {
    const named = { path: "protocols/blkif.proto-desc", text: "protocol blkif {}\n" };
    expect(computeSpecHash([{ ...named, path: "/tmp/copy/blkif.proto-desc" }])).toBe(computeSpecHash([named]));
    expect(computeSpecHash([{ ...named, path: "blkif.proto-desc" }])).toBe(computeSpecHash([named]));
    expect(computeSpecHash([{ ...named, path: "protocols/netif.proto-desc" }])).not.toBe(computeSpecHash([named]));
  });
});
