// Assembles one protocol's generated module from ts-morph structures (sections in a fixed
// order), prints it, formats it once and puts the do-not-edit header on top.
import { type SourceFileStructure, StructureKind } from "ts-morph";
import type { IrProtocol } from "../ir/protocol.js";
import { emitCodecs } from "./emit-codecs.js";
import { createEmitContext } from "./emit-context.js";
import { emitMonitorSpecs } from "./emit-monitor-spec.js";
import { emitStoreKeyClauseTable } from "./emit-store-key-clauses.js";
import { emitStubs } from "./emit-stubs.js";
import { emitCodecTables, emitContextualClauses, emitLayoutTables } from "./emit-tables.js";
import { emitConstants, emitEnums, emitProtocolIdentity, emitRecordTypes } from "./emit-types.js";
import { emitValidators } from "./emit-validators.js";
import { formatModuleStructure } from "./format-module.js";
import type { FormatWorkerPool } from "./format-worker-pool.js";

export interface ModuleEmitOptions {
  /** How generated code imports the runtime's entry point, e.g. "../../../runtime/gen/v1.js". */
  readonly runtimeImportSpecifier: string;
  readonly header: string;
  /** The module's `specHash` constant, as formatSpecHashConstant writes it. */
  readonly specHashConstant: string;
  /** Formats half of the module on this worker's thread; without one, formatting stays on the calling thread. */
  readonly formatWorkers?: FormatWorkerPool;
}

export function buildProtocolModuleStructure(protocol: IrProtocol, runtimeImportSpecifier: string, specHashConstant: string): SourceFileStructure {
  const context = createEmitContext(protocol);
  const body = [
    ...emitProtocolIdentity(context, specHashConstant),
    ...emitConstants(context),
    ...emitEnums(context),
    ...emitRecordTypes(context),
    ...emitValidators(context),
    ...emitCodecs(context),
    ...emitLayoutTables(context),
    ...emitCodecTables(context),
    ...emitContextualClauses(context),
    ...emitStoreKeyClauseTable(context),
    ...emitMonitorSpecs(context),
    ...emitStubs(context),
  ];
  const runtimeImport = context.imports.toImportDeclaration(runtimeImportSpecifier);
  return { kind: StructureKind.SourceFile, statements: runtimeImport === undefined ? body : [runtimeImport, ...body] };
}

export async function emitProtocolModule(protocol: IrProtocol, options: ModuleEmitOptions): Promise<string> {
  const structure = buildProtocolModuleStructure(protocol, options.runtimeImportSpecifier, options.specHashConstant);
  const formatted = await formatModuleStructure(structure, options.formatWorkers);
  return options.header + "\n" + formatted;
}
