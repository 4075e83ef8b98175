// Decides whether the generated files in an output directory are provably current from their
// signed headers alone, so `compile --check` can answer without loading the parser, ts-morph or
// prettier. It reads nothing itself: the CLI hands in the files and spec texts it has read.
import { createHash } from "node:crypto";
import { bodyDigestLinePrefix, computeSpecHash, generatedFileMarker, generatorLinePrefix, type SpecInput } from "./header.js";

/** The signature of one generated file, as read back from its text. */
export interface ReadSignature {
  /** Everything above the signature lines: the do-not-edit header. */
  readonly header: string;
  readonly generator: string;
  readonly moduleIndex: number;
  readonly moduleCount: number;
  readonly specInputs: readonly string[];
  readonly bodyDigest: string;
  /** Everything below the signature lines, which the digest covers. */
  readonly body: string;
}

const generatorLinePattern = /^(.*); module (\d+) of (\d+); spec inputs: (.*)$/;
const digestPattern = /^[0-9a-f]{64}$/;

/** Splits a generated file into header, signature and body; undefined when it carries no well-formed signature. */
export function readSignature(text: string): ReadSignature | undefined {
  if (!text.startsWith(generatedFileMarker)) return undefined;
  const generatorStart = text.indexOf(`\n${generatorLinePrefix}`);
  if (generatorStart < 0) return undefined;
  const generatorEnd = text.indexOf("\n", generatorStart + 1);
  const digestEnd = generatorEnd < 0 ? -1 : text.indexOf("\n", generatorEnd + 1);
  if (digestEnd < 0) return undefined;
  const generatorLine = text.slice(generatorStart + 1 + generatorLinePrefix.length, generatorEnd);
  const digestLine = text.slice(generatorEnd + 1, digestEnd);
  const facts = generatorLinePattern.exec(generatorLine);
  if (facts === null || !digestLine.startsWith(bodyDigestLinePrefix)) return undefined;
  const bodyDigest = digestLine.slice(bodyDigestLinePrefix.length);
  if (!digestPattern.test(bodyDigest)) return undefined;
  return {
    header: text.slice(0, generatorStart + 1),
    generator: facts[1] ?? "",
    moduleIndex: Number(facts[2]),
    moduleCount: Number(facts[3]),
    specInputs: (facts[4] ?? "").split(", "),
    bodyDigest,
    body: text.slice(digestEnd + 1),
  };
}

/** Whether the body below the signature is still the one that was signed (no hand edit since). */
export function bodyMatchesDigest(signature: ReadSignature): boolean {
  return createHash("sha256").update(signature.body).digest("hex") === signature.bodyDigest;
}

/** What the CLI knows before compiling anything: the request and what it has read. */
export interface SignedCheckRequest {
  /** The generator identity this compiler would sign with. */
  readonly generator: string;
  /** The header the compiler would write for these specs and this command, given the spec hash. */
  readonly writeHeader: (specHash: string) => string;
  readonly runtimeImportSpecifier: string;
  /** The root specs as the user named them (already read). */
  readonly roots: readonly SpecInput[];
  /** The `.ts` files of the output directory. */
  readonly existing: readonly { readonly path: string; readonly text: string }[];
  /** Reads a spec input the signatures name that is not a root; undefined when it cannot be read. */
  readonly readInput: (path: string) => string | undefined;
}

export type SignedCheckOutcome = { readonly upToDate: true; readonly fileCount: number } | { readonly upToDate: false; readonly reason: string };

/**
 * Confirms from signatures alone that regenerating would write exactly the files that are there:
 * every generated file in the directory is signed by this very generator (same version and
 * compiler fingerprint), with the header these specs and this command produce (spec hash over
 * the current texts of every input, roots and imports), an untouched body importing the runtime
 * from the expected place, and together they are the complete set of modules of one run.
 * Anything else is not a finding but a reason to fall back to full generation.
 */
export function confirmUpToDateBySignature(request: SignedCheckRequest): SignedCheckOutcome {
  const generated = request.existing.filter((file) => file.text.startsWith(generatedFileMarker));
  if (generated.length === 0) return { upToDate: false, reason: "no generated files" };
  const signatures: ReadSignature[] = [];
  for (const file of generated) {
    const signature = readSignature(file.text);
    if (signature === undefined) return { upToDate: false, reason: `${file.path} carries no signature` };
    signatures.push(signature);
  }
  const first = signatures[0];
  if (first === undefined) return { upToDate: false, reason: "no generated files" };
  const inputsKey = first.specInputs.join("\n");
  if (signatures.some((signature) => signature.specInputs.join("\n") !== inputsKey)) return { upToDate: false, reason: "files from different runs" };
  const rootTexts = new Map(request.roots.map((root) => [root.path, root.text] as const));
  if ([...rootTexts.keys()].some((path) => !first.specInputs.includes(path))) return { upToDate: false, reason: "a spec is not among the signed inputs" };
  const inputs: SpecInput[] = [];
  for (const path of first.specInputs) {
    const text = rootTexts.get(path) ?? request.readInput(path);
    if (text === undefined) return { upToDate: false, reason: `cannot read ${path}` };
    inputs.push({ path, text });
  }
  const expectedHeader = request.writeHeader(computeSpecHash(inputs));
  const seenIndices = new Set<number>();
  const importLine = `from ${JSON.stringify(request.runtimeImportSpecifier)};`;
  for (const [position, signature] of signatures.entries()) {
    const path = generated[position]?.path ?? "";
    if (signature.generator !== request.generator) return { upToDate: false, reason: `${path} was signed by another generator` };
    if (signature.header !== expectedHeader) return { upToDate: false, reason: `${path} was generated from other specs or by another command` };
    const indexInRange = signature.moduleIndex >= 1 && signature.moduleIndex <= signature.moduleCount;
    if (signature.moduleCount !== signatures.length || !indexInRange || seenIndices.has(signature.moduleIndex)) {
      return { upToDate: false, reason: "the set of modules changed" };
    }
    seenIndices.add(signature.moduleIndex);
    if (!bodyMatchesDigest(signature)) return { upToDate: false, reason: `${path} was edited after generation` };
    if (!signature.body.includes(importLine)) return { upToDate: false, reason: `${path} imports the runtime from elsewhere` };
  }
  return { upToDate: true, fileCount: signatures.length };
}
