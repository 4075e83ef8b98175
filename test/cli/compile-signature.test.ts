import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fingerprintCompiler } from "../../compiler/cli/generator-fingerprint.js";
import { run } from "../../compiler/cli/commands/compile.js";
import type { CliIo } from "../../compiler/cli/io.js";
import { CliUsageError } from "../../compiler/cli/io.js";
import { readSignature } from "../../compiler/codegen/signature.js";

// `compile --check` answers from the signed headers only when they prove the files current;
// anything else (another compiler, a hand edit, a changed spec, a missing module) must fall
// back to full generation, which then decides. The fast answer says so in its message.
const fastAnswer = "generated file(s) up to date (signed headers match this compiler and the specs)";

const specOne = `protocol alpha version 1 {
  roles frontend, backend;
  message Ping from frontend {
    value: u32;
    where value_small: value < 100;
  }
}
`;
const specTwo = `protocol beta version 1 {
  roles frontend, backend;
  message Pong from backend {
    echoed: u64;
  }
}
`;

/** Replaces the body of a generated file and signs it again with `generator`, as another compiler would have. */
function signAs(text: string, generator: string, editBody: (body: string) => string): string {
  const signature = readSignature(text);
  if (signature === undefined) throw new Error("expected a signed file");
  const body = editBody(signature.body);
  const generatorLine = `// Generator: ${generator}; module ${signature.moduleIndex} of ${signature.moduleCount}; spec inputs: ${signature.specInputs.join(", ")}`;
  const digestLine = `// Body sha256: ${createHash("sha256").update(body).digest("hex")}`;
  return `${signature.header}${generatorLine}\n${digestLine}\n${body}`;
}

describe("proto-desc compile --check: signed generated files", () => {
  const workspace = mkdtempSync(join(tmpdir(), "proto-desc-signature-"));
  mkdirSync(join(workspace, "specs"));
  writeFileSync(join(workspace, "specs/alpha.proto-desc"), specOne);
  writeFileSync(join(workspace, "specs/beta.proto-desc"), specTwo);
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  const specs = ["specs/alpha.proto-desc", "specs/beta.proto-desc"];
  const runtime = ["--runtime-import", "proto-desc/runtime/gen/v1"];

  async function compile(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), stdoutIsTty: false, cwd: workspace, env: {} };
    try {
      return { status: await run(args, io), stdout, stderr };
    } catch (error) {
      if (error instanceof CliUsageError) return { status: 2, stdout, stderr: `${stderr}proto-desc ${error.message}\n` };
      throw error;
    }
  }
  const check = (): Promise<{ status: number; stdout: string; stderr: string }> => compile(...specs, "--out", "gen", ...runtime, "--check");
  const alphaPath = join(workspace, "gen/alpha.ts");

  it("signs every module with the generator, the module's place in the run, the inputs and a digest of its body", { timeout: 180_000 }, async () => {
    const written = await compile(...specs, "--out", "gen", ...runtime);
    expect(written.status).toBe(0);
    const alpha = readFileSync(alphaPath, "utf8").split("\n");
    expect(alpha[3]).toMatch(/^\/\/ Generator: proto-desc \d+\.\d+\.\d+ codegen [0-9a-f]{16}; module 1 of 2; spec inputs: specs\/alpha\.proto-desc, specs\/beta\.proto-desc$/);
    expect(alpha[4]).toMatch(/^\/\/ Body sha256: [0-9a-f]{64}$/);
    const beta = readSignature(readFileSync(join(workspace, "gen/beta.ts"), "utf8"));
    expect(beta?.moduleIndex).toBe(2);
    expect(createHash("sha256").update(beta?.body ?? "").digest("hex")).toBe(beta?.bodyDigest);
    const checked = await check();
    expect(checked).toEqual({ status: 0, stdout: `gen: 2 ${fastAnswer}\n`, stderr: "" });
  });

  it("does not trust a file signed by another compiler: its different output is reported as modified", async () => {
    const current = readFileSync(alphaPath, "utf8");
    // What an older codegen might have written, correctly signed by that older compiler.
    writeFileSync(alphaPath, signAs(current, "proto-desc 0.0.9 codegen 0123456789abcdef", (body) => body.replace("value < 100", "value <= 100")));
    const checked = await check();
    expect(checked.status).toBe(1);
    expect(checked.stdout).toContain("modified: gen/alpha.ts");
    writeFileSync(alphaPath, current);
  });

  it("confirms by full generation a file whose output another compiler left unchanged, and compile re-signs it", async () => {
    const current = readFileSync(alphaPath, "utf8");
    writeFileSync(alphaPath, signAs(current, "proto-desc 0.0.9 codegen 0123456789abcdef", (body) => body));
    const checked = await check();
    expect(checked).toEqual({ status: 0, stdout: "gen: 2 generated file(s) up to date (1 signed by another compiler version; `compile` re-signs them)\n", stderr: "" });
    const rewritten = await compile(...specs, "--out", "gen", ...runtime);
    expect(rewritten.stdout).toBe("gen: 2 file(s) generated, 1 written, 0 orphan(s) removed\n");
    expect(readFileSync(alphaPath, "utf8")).toBe(current);
    expect((await check()).stdout).toBe(`gen: 2 ${fastAnswer}\n`);
  });

  it("falls back to full generation after a hand edit, a spec edit, a lost module or another runtime import", async () => {
    const current = readFileSync(alphaPath, "utf8");
    writeFileSync(alphaPath, current.replace("value < 100", "value < 1000"));
    expect((await check()).stdout).toContain("modified: gen/alpha.ts");
    writeFileSync(alphaPath, current);

    writeFileSync(join(workspace, "specs/beta.proto-desc"), specTwo.replace("echoed: u64;", "echoed: u64;\n    extra: u8;"));
    const afterSpecEdit = await check();
    expect(afterSpecEdit.status).toBe(1);
    expect(afterSpecEdit.stdout).toContain("modified: gen/alpha.ts");
    expect(afterSpecEdit.stdout).toContain("modified: gen/beta.ts");
    writeFileSync(join(workspace, "specs/beta.proto-desc"), specTwo);

    const beta = readFileSync(join(workspace, "gen/beta.ts"), "utf8");
    unlinkSync(join(workspace, "gen/beta.ts"));
    const afterLoss = await check();
    expect(afterLoss.status).toBe(1);
    expect(afterLoss.stdout).toContain("missing:  gen/beta.ts");
    writeFileSync(join(workspace, "gen/beta.ts"), beta);

    const otherRuntime = await compile(...specs, "--out", "gen", "--runtime-import", "elsewhere/v1", "--check");
    expect(otherRuntime.status).toBe(1);
    expect(otherRuntime.stdout).toContain("modified: gen/alpha.ts");
    expect((await check()).stdout).toBe(`gen: 2 ${fastAnswer}\n`);
  });
});

describe("generator fingerprint", () => {
  const root = mkdtempSync(join(tmpdir(), "proto-desc-fingerprint-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("changes with any compiled module or package version, and ignores compiled modules whose source is gone", () => {
    const compiled = join(root, "dist/compiler");
    const sources = join(root, "compiler");
    mkdirSync(join(compiled, "codegen"), { recursive: true });
    mkdirSync(join(sources, "codegen"), { recursive: true });
    for (const name of ["codegen/emit.ts", "main.ts"]) writeFileSync(join(sources, name), "// source\n");
    writeFileSync(join(compiled, "codegen/emit.js"), "export const a = 1;\n");
    writeFileSync(join(compiled, "main.js"), "export const b = 2;\n");
    const modules = { directory: compiled, extension: ".js", sourceDirectory: sources } as const;
    const original = fingerprintCompiler(modules, ["prettier@3.10.1"]);
    expect(original).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintCompiler(modules, ["prettier@3.10.1"])).toBe(original);
    expect(fingerprintCompiler(modules, ["prettier@3.10.2"])).not.toBe(original);
    writeFileSync(join(compiled, "stale-leftover.js"), "export const gone = 0;\n");
    expect(fingerprintCompiler(modules, ["prettier@3.10.1"])).toBe(original);
    writeFileSync(join(compiled, "codegen/emit.js"), "export const a = 2;\n");
    expect(fingerprintCompiler(modules, ["prettier@3.10.1"])).not.toBe(original);
  });
});
