// The back end's entry point: checks generated names, then emits one module per protocol.
// It returns file contents keyed by relative path; writing them is the CLI's job.
import type { Diagnostic, PhaseResult } from "../diagnostics/diagnostic.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { createDiagnostic } from "../diagnostics/definition.js";
import { codegenDiagnostics } from "../diagnostics/codes/codegen.js";
import type { IrCompilationUnit } from "../ir/protocol.js";
import { emitProtocolModule } from "./emit-protocol-module.js";
import type { FormatWorkerPool } from "./format-worker-pool.js";
import { formatSpecHashConstant, writeGeneratedHeader, writeSignatureLines } from "./header.js";
import { checkGeneratedNames, moduleFileNameOf } from "./names.js";

export interface GeneratedFile {
  /** Relative to the output directory, `/` separators. */
  readonly path: string;
  readonly text: string;
}

export interface EmitOptions {
  readonly runtimeImportSpecifier: string;
  /** The command that regenerates these files, shown in every header. */
  readonly regenerateCommand: string;
  /**
   * The generator identity signed into every file (the CLI passes its version and a fingerprint
   * of the compiler it runs); in-process callers get one that no `--check` fast path accepts.
   */
  readonly generator?: string;
  /**
   * A formatting worker the caller started (and closes): each module is then formatted half on
   * the calling thread and half on the worker's. Without one, formatting stays on the calling
   * thread. The output is the same bytes either way.
   */
  readonly formatWorkers?: FormatWorkerPool;
}

/** The identity written when the caller names none: never equal to a fingerprinted CLI's. */
export const unfingerprintedGenerator = "proto-desc (in-process, no fingerprint)";

export async function emitGeneratedFiles(unit: IrCompilationUnit, options: EmitOptions): Promise<PhaseResult<readonly GeneratedFile[]>> {
  const diagnostics: Diagnostic[] = [];
  const owners = new Map<string, string>();
  for (const protocol of unit.protocols) {
    diagnostics.push(...checkGeneratedNames(protocol));
    const path = moduleFileNameOf(protocol.name);
    const owner = owners.get(path);
    if (owner !== undefined) {
      diagnostics.push(
        createDiagnostic(codegenDiagnostics.PD6005, protocol.span, `protocols '${owner}' and '${protocol.name}' would both be written to '${path}'`, {
          notes: ["rename one of the protocols"],
        }),
      );
    }
    owners.set(path, protocol.name);
  }
  if (hasErrors(diagnostics)) return { value: [], diagnostics };
  const header = writeGeneratedHeader({ specFiles: unit.specFiles, regenerateCommand: options.regenerateCommand, specHash: unit.specHash });
  const files: GeneratedFile[] = [];
  const sortedProtocols = [...unit.protocols].sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  for (const [index, protocol] of sortedProtocols.entries()) {
    const moduleText = await emitProtocolModule(protocol, {
      runtimeImportSpecifier: options.runtimeImportSpecifier,
      header,
      specHashConstant: formatSpecHashConstant(unit.specHash),
      ...(options.formatWorkers === undefined ? {} : { formatWorkers: options.formatWorkers }),
    });
    const body = moduleText.slice(header.length);
    const signature = writeSignatureLines(
      {
        generator: options.generator ?? unfingerprintedGenerator,
        specInputs: unit.specInputs ?? unit.specFiles,
        moduleIndex: index + 1,
        moduleCount: sortedProtocols.length,
      },
      body,
    );
    files.push({ path: moduleFileNameOf(protocol.name), text: header + signature + body });
  }
  return { value: files, diagnostics };
}
