// Emits the tables tools and stubs use at run time: the layout of every record per ABI, the
// codecs per ABI (with `arm` sharing x86_64's), and the choice of ABI from the `protocol` key.
import { StructureKind, type FunctionDeclarationStructure, type StatementStructures, type TypeAliasDeclarationStructure } from "ts-morph";
import type { IrLayoutAbi, IrRecord } from "../ir/protocol.js";
import type { EmitContext } from "./emit-context.js";
import { exportedConstant } from "./emit-types.js";
import {
  codecTableNameOf,
  createFunctionNameOf,
  decodeFunctionNameOf,
  decodeValidatedFunctionNameOf,
  encodeFunctionNameOf,
  typeNameOf,
  validateFunctionNameOf,
} from "./names.js";

export function emitLayoutTables(context: EmitContext): StatementStructures[] {
  context.imports.useType("RecordLayout");
  const perAbi = context.layoutAbis.map((abi) => {
    const records = context.protocol.records.map((record) => `${JSON.stringify(record.name)}: ${writeRecordLayout(record, abi)},`);
    return `${abi}: {\n${records.join("\n")}\n},`;
  });
  const table = exportedConstant(
    "layoutTables",
    `{\n${perAbi.join("\n")}\n} as const satisfies Readonly<Record<string, Readonly<Record<string, RecordLayout>>>>`,
  );
  table.docs = ["Size, alignment, field offsets and padding of every record, per layout ABI, keyed by spec names."];
  return [table];
}

function writeRecordLayout(record: IrRecord, abi: IrLayoutAbi): string {
  const layout = record.layouts[abi];
  const fields = record.fields.map((field, index) => {
    const fieldLayout = layout.fields[index];
    return `${JSON.stringify(field.name)}: { offset: ${fieldLayout?.offset ?? 0}, size: ${fieldLayout?.size ?? 0} },`;
  });
  const padding = layout.padding.map((range) => `[${range.offset}, ${range.length}]`).join(", ");
  return `{ size: ${layout.size}, alignment: ${layout.alignment}, fields: {\n${fields.join("\n")}\n}, padding: [${padding}] }`;
}

/** The `where` clauses validators cannot decide (they read the store or other messages), for monitors. */
export function emitContextualClauses(context: EmitContext): StatementStructures[] {
  const entries = context.protocol.records.flatMap((record) =>
    record.contextualClauses.map(
      (clause) =>
        `{ clauseId: ${JSON.stringify(clause.clauseId)}, record: ${JSON.stringify(record.name)}, reason: ${JSON.stringify(clause.reason)}, specSpan: { file: ${JSON.stringify(clause.span.file)}, start: ${clause.span.start}, end: ${clause.span.end} } },`,
    ),
  );
  const table = exportedConstant("contextualClauses", `[\n${entries.join("\n")}\n] as const`);
  table.docs = ["`where` clauses that read more than one message; monitors check them, validators cannot."];
  return [table];
}

export function emitCodecTables(context: EmitContext): StatementStructures[] {
  context.imports.useType("RecordCodec");
  const statements: StatementStructures[] = [];
  for (const abi of context.layoutAbis) {
    const entries = context.protocol.records.map((record) => {
      const name = typeNameOf(record.name);
      return (
        `${name}: { size: ${record.layouts[abi].size}, create: ${createFunctionNameOf(record.name)}, decode: ${decodeFunctionNameOf(record.name, abi)}, ` +
        `decodeValidated: ${decodeValidatedFunctionNameOf(record.name, abi)}, ` +
        `encode: ${encodeFunctionNameOf(record.name, abi)}, validate: ${validateFunctionNameOf(record.name)} } satisfies RecordCodec<${name}>,`
      );
    });
    const table = exportedConstant(codecTableNameOf(abi), `{\n${entries.join("\n")}\n}`);
    table.docs = [`Every record's codec for the ${abi} layout.`];
    statements.push(table);
  }
  const abis = context.protocol.abis;
  const abiName: TypeAliasDeclarationStructure = {
    kind: StructureKind.TypeAlias,
    name: "AbiName",
    isExported: true,
    type: abis.map((abi) => JSON.stringify(abi.name)).join(" | ") || "never",
  };
  statements.push(abiName);
  const byAbi = exportedConstant(
    "codecsByAbi",
    `{\n${abis.map((abi) => `${JSON.stringify(abi.name)}: ${codecTableNameOf(abi.layout)},`).join("\n")}\n} as const`,
  );
  byAbi.docs = ["The codec table of each ABI a peer may announce; ABIs with the same layout share one table."];
  statements.push(byAbi);
  const select: FunctionDeclarationStructure = {
    kind: StructureKind.Function,
    name: "selectAbi",
    isExported: true,
    docs: [
      "The ABI announced by the frontend's `protocol` key; an absent key means the backend's native ABI, and an unknown value yields undefined.",
    ],
    parameters: [
      { name: "protocolKeyValue", type: "string | undefined" },
      { name: "nativeAbi", type: "AbiName" },
    ],
    returnType: "AbiName | undefined",
    statements: [
      `switch (protocolKeyValue) {\ncase undefined:\nreturn nativeAbi;\n${abis
        .filter((abi) => abi.protocolKeyValue !== undefined)
        .map((abi) => `case ${JSON.stringify(abi.protocolKeyValue)}:\nreturn ${JSON.stringify(abi.name)};`)
        .join("\n")}\ndefault:\nreturn undefined;\n}`,
    ],
  };
  statements.push(select);
  return statements;
}
