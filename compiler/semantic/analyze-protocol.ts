// Analysis of one protocol declaration, step by step in dependency order, ending in its
// ProtocolModel. Each step reports into the shared sink and records what later steps need.
import type { Expression, ProtocolDeclaration } from "../syntax/ast.js";
import { analyzeAllEnums, collectAbis, collectNamedDeclarations, collectRoles, foldAllConstants } from "./analyze-declarations.js";
import { analyzePackets, analyzeRings, analyzeStreams } from "./analyze-channels.js";
import { analyzeAllRecords } from "./analyze-records.js";
import { checkStoreSchemas, collectStoreKeys } from "./analyze-store.js";
import { checkExchanges } from "./check-exchanges.js";
import { checkGuarantees } from "./check-guarantees.js";
import { checkLifecycle } from "./check-lifecycle.js";
import type { DiagnosticSink } from "./diagnostic-sink.js";
import type { ConstantModel, ProtocolModel } from "./model.js";
import { ProtocolContext } from "./protocol-context.js";
import { scalarOfType } from "./analyze-declarations.js";
import { didYouMean } from "./suggest-names.js";
import type { ValueType } from "./value-types.js";

export function analyzeProtocol(declaration: ProtocolDeclaration, file: string, sink: DiagnosticSink, expressionTypes: Map<Expression, ValueType>): ProtocolModel {
  const context = new ProtocolContext(declaration, file, sink, expressionTypes);
  collectRoles(context);
  collectNamedDeclarations(context);
  collectAbis(context);
  foldAllConstants(context);
  analyzeAllEnums(context);
  // Record constraints may read store keys (`nr_segments <= backend.feature-max-indirect-segments`).
  collectStoreKeys(context);
  analyzeAllRecords(context);
  if (context.abiSelector !== undefined) {
    const keys = context.storeKeys.get(context.abiSelector.role);
    if (keys !== undefined && context.findStoreKey(context.abiSelector.role, context.abiSelector.key) === undefined) {
      const selector = declaration.members.find((member) => member.kind === "AbiDeclaration")?.selector;
      sink.report("PD2032", selector?.span ?? declaration.name.span, `role ${context.abiSelector.role} declares no store key '${context.abiSelector.key}' to select the ABI${didYouMean(context.abiSelector.key, keys.keys())}`);
    }
  }
  analyzeRings(context);
  analyzeStreams(context);
  analyzePackets(context);
  // Feature keys may enable packet parts, so the store's details come after the packets.
  checkStoreSchemas(context);
  const lifecycle = checkLifecycle(context);
  const exchanges = checkExchanges(context);
  const guarantees = checkGuarantees(context);
  const constants: ConstantModel[] = [];
  for (const member of declaration.members) {
    if (member.kind !== "ConstDeclaration" || context.declarations.get(member.name.text) !== member) continue;
    const value = context.constantValues.get(member.name.text);
    if (typeof value !== "object") continue;
    constants.push({ name: member.name.text, span: member.name.span, valueKind: value.kind, value: value.value, declaredType: member.type === undefined ? undefined : scalarOfType(member.type), doc: member.doc?.text });
  }
  return {
    kind: "protocol",
    name: context.name,
    version: Number(declaration.version.value),
    span: declaration.name.span,
    file,
    doc: declaration.doc?.text,
    roles: [...context.roles.values()],
    abis: context.abis.length > 0 ? context.abis : context.targetAbis.map((abi) => ({ abi, storeValue: undefined })),
    abiSelector: context.abiSelector,
    constants,
    enums: [...context.enumModels.values()],
    records: [...context.recordModels.values()],
    rings: [...context.ringModels.values()],
    streams: [...context.streamModels.values()],
    packets: [...context.packetModels.values()],
    stores: context.storeModels,
    lifecycle,
    exchanges,
    guarantees,
  };
}
