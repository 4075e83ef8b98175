// Assembles one protocol's generated module from ts-morph structures (sections in a fixed
// order), prints it, formats it once and puts the do-not-edit header on top.
import { printStructure, type SourceFileStructure, StructureKind } from "ts-morph";
import type { IrProtocol } from "../ir/protocol.js";
import { emitCodecs } from "./emit-codecs.js";
import { createEmitContext } from "./emit-context.js";
import { emitMonitorSpecs } from "./emit-monitor-spec.js";
import { emitStoreKeyClauseTable } from "./emit-store-key-clauses.js";
import { emitStubs } from "./emit-stubs.js";
import { emitCodecTables, emitContextualClauses, emitLayoutTables } from "./emit-tables.js";
import { emitConstants, emitEnums, emitProtocolIdentity, emitRecordTypes } from "./emit-types.js";
import { emitValidators } from "./emit-validators.js";
import { formatTypeScript } from "./format.js";

export interface ModuleEmitOptions {
  /** How generated code imports the runtime's entry point, e.g. "../../../runtime/gen/v1.js". */
  readonly runtimeImportSpecifier: string;
  readonly header: string;
  /** The module's `specHash` constant, as formatSpecHashConstant writes it. */
  readonly specHashConstant: string;
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
  // Printing the structure directly writes the same text as creating a ts-morph SourceFile from
  // it and reading that back, without having TypeScript parse the whole module in between
  // (several times faster); prettier then decides every layout detail anyway.
  const printed = printStructure(structure, { newLine: "\n" });
  const formatted = await formatTypeScript(printed);
  return options.header + "\n" + formatted;
}
