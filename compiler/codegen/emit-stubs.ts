// Emits a protocol's typed stubs from its IR (IrStubs): the typed store keys each role publishes
// (interfaces, writers, readers that apply the spec's defaults), the ring slot layout per ABI,
// and a frontend and a backend class wrapping the runtime's split connection. The frontend
// sends typed requests and gets typed responses; the backend serves them with a typed handler,
// picks the codecs from the frontend's ABI key, and echoes the correlated fields.
import { Scope, StructureKind, type ClassDeclarationStructure, type FunctionDeclarationStructure, type InterfaceDeclarationStructure, type StatementStructures } from "ts-morph";
import type { IrLayoutAbi } from "../ir/protocol.js";
import type { IrStoreKeyClause } from "../ir/store-key-clauses.js";
import type { IrStubKey, IrStubKeyType, IrStubPublication, IrStubs } from "../ir/stubs.js";
import type { EmitContext } from "./emit-context.js";
import { storeKeyClausesOf } from "./emit-store-key-clauses.js";
import { exportedConstant } from "./emit-types.js";
import {
  createFunctionNameOf,
  enumGuardNameOf,
  formatKeysFunctionNameOf,
  peerKeysTypeNameOf,
  propertyNameOf,
  publishedKeysTypeNameOf,
  readKeysFunctionNameOf,
  stubClassNameOf,
  stubHandlerNameOf,
  stubOptionsNameOf,
  storeKeyClausesNameOf,
  typeNameOf,
} from "./names.js";

/** Every key a role's stubs read and write, over all its publications. */
function stubKeysOf(stubs: IrStubs, role: string): readonly IrStubKey[] {
  return (role === stubs.requesterRole ? stubs.requesterPublications : stubs.responderPublications).flatMap((publication) => publication.keys);
}

/**
 * The store key clauses of `role` a stub can judge when it holds the keys named by `heldKeys`
 * of that role: every own key the clause reads is held, and it asks `present(...)` only of held
 * keys (an unheld key would look absent). Positions in the table, and the clauses themselves.
 */
function checkableClausesOf(context: EmitContext, role: string, heldKeys: ReadonlySet<string>): { readonly indices: readonly number[]; readonly clauses: readonly IrStoreKeyClause[] } {
  const table = storeKeyClausesOf(context);
  if (table === undefined) return { indices: [], clauses: [] };
  const indices: number[] = [];
  const clauses: IrStoreKeyClause[] = [];
  table.clauses.forEach((clause, index) => {
    if (clause.role !== role) return;
    const held = (slot: number): boolean => table.slots[slot]?.role === role && heldKeys.has(table.slots[slot]?.key ?? "");
    if (!clause.ownSlots.every(held) || !clause.presentSlots.every(held)) return;
    indices.push(index);
    clauses.push(clause);
  });
  return { indices, clauses };
}

/** Statements assigning the typed values of `object` (keys of `role` the stubs know) to the clause value table `values`. */
function assignTypedKeys(context: EmitContext, stubs: IrStubs, role: string, object: string, values: string, onlyKeys?: ReadonlySet<string>): string[] {
  const table = storeKeyClausesOf(context);
  if (table === undefined) return [];
  const known = new Set(stubKeysOf(stubs, role).map((key) => key.key));
  return table.slots.flatMap((slot, index) => (slot.role === role && known.has(slot.key) && (onlyKeys === undefined || onlyKeys.has(slot.key)) ? [`${values}.assignValue(${index}, ${object}.${propertyNameOf(slot.key)});`] : []));
}

function integerRangeOf(type: IrStubKeyType): readonly [number, number] {
  if (type.kind !== "integer" && type.kind !== "enum") return [0, 0];
  if (type.width === 8) return type.signed ? [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : [0, Number.MAX_SAFE_INTEGER];
  const bits = type.width * 8;
  return type.signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}

function valueTypeOf(type: IrStubKeyType): string {
  switch (type.kind) {
    case "bool":
      return "boolean";
    case "integer":
      return "number";
    case "enum":
      return typeNameOf(type.enumName);
    case "string":
      return "string";
  }
}

function describeKey(key: IrStubKey): string {
  const type = key.type.kind === "enum" ? key.type.enumName : key.type.kind === "integer" ? `${key.type.signed ? "i" : "u"}${key.type.width * 8}` : key.type.kind;
  const fallback = key.defaultValue === undefined ? "" : `, default ${JSON.stringify(key.defaultValue)}`;
  return `Store key \`${key.key}\` (${type}${fallback}).`;
}

/** The interface of one publication: keys the lifecycle names are required, the others optional. */
function emitPublishedKeysInterface(context: EmitContext, role: string, publication: IrStubPublication): InterfaceDeclarationStructure {
  return {
    kind: StructureKind.Interface,
    name: publishedKeysTypeNameOf(context.protocol.name, role, publication.state),
    isExported: true,
    docs: [`The store keys the ${role} writes before it announces ${publication.state}; the lifecycle's \`publishes\` keys are required.`],
    properties: publication.keys.map((key) => ({
      name: propertyNameOf(key.key),
      type: key.required ? valueTypeOf(key.type) : `${valueTypeOf(key.type)} | undefined`,
      hasQuestionToken: !key.required,
      isReadonly: true,
      docs: [describeKey(key)],
    })),
  };
}

/** Whether the reader of `readRole`'s keys takes the reader's own keys (some clause it checks refers to them). */
function readerTakesOwnKeys(context: EmitContext, stubs: IrStubs, readRole: string): boolean {
  const checkable = checkableClausesOf(context, readRole, new Set(stubKeysOf(stubs, readRole).map((key) => key.key)));
  const otherRole = readRole === stubs.requesterRole ? stubs.responderRole : stubs.requesterRole;
  return checkable.indices.length > 0 && assignTypedKeys(context, stubs, otherRole, "own", "clauseValues", peerKeysReadBy(context, checkable.clauses)).length > 0;
}

/** The names of the peer keys some of `clauses` read. */
function peerKeysReadBy(context: EmitContext, clauses: readonly IrStoreKeyClause[]): ReadonlySet<string> {
  const slots = storeKeyClausesOf(context)?.slots ?? [];
  return new Set(clauses.flatMap((clause) => clause.peerSlots.map((slot) => slots[slot]?.key ?? "")));
}

/** The clauses a publication's writer checks: those the role's stubs can judge that read a key written there. */
function publicationClausesOf(context: EmitContext, stubs: IrStubs, role: string, publication: IrStubPublication): { readonly indices: readonly number[]; readonly peerSlots: readonly number[] } {
  const publishedKeys = new Set(publication.keys.map((key) => key.key));
  const checkable = checkableClausesOf(context, role, new Set(stubKeysOf(stubs, role).map((key) => key.key)));
  const table = storeKeyClausesOf(context);
  const indices: number[] = [];
  const peerSlots = new Set<number>();
  checkable.clauses.forEach((clause, position) => {
    if (!clause.ownSlots.some((slot) => publishedKeys.has(table?.slots[slot]?.key ?? ""))) return;
    indices.push(checkable.indices[position] ?? -1);
    for (const slot of clause.peerSlots) peerSlots.add(slot);
  });
  return { indices, peerSlots: [...peerSlots].sort((left, right) => left - right) };
}

/** The writer of one publication: its store key clauses first, then every key's text, optional keys only when given. */
function emitFormatKeysFunction(context: EmitContext, stubs: IrStubs, role: string, publication: IrStubPublication): FunctionDeclarationStructure {
  const publishedKeys = new Set(publication.keys.map((key) => key.key));
  const table = storeKeyClausesOf(context);
  const { indices } = publicationClausesOf(context, stubs, role, publication);
  const lines: string[] = [];
  if (indices.length > 0) {
    context.imports.useValue("StoreKeyClauseValues");
    context.imports.useValue("refuseBrokenStoreKeyClauses");
    lines.push(`const clauseValues = known ?? new StoreKeyClauseValues(${storeKeyClausesNameOf()});`);
    lines.push(...assignTypedKeys(context, stubs, role, "keys", "clauseValues", publishedKeys));
    lines.push(`refuseBrokenStoreKeyClauses(clauseValues, ${JSON.stringify(indices)});`);
  }
  lines.push("const texts: Record<string, string> = {};");
  for (const key of publication.keys) {
    const property = `keys.${propertyNameOf(key.key)}`;
    const name = JSON.stringify(key.key);
    let text: string;
    if (key.type.kind === "bool") {
      context.imports.useValue("formatStoreBoolean");
      text = `formatStoreBoolean(${property})`;
    } else if (key.type.kind === "string") {
      text = property;
    } else {
      context.imports.useValue("formatStoreInteger");
      const [minimum, maximum] = integerRangeOf(key.type);
      text = `formatStoreInteger(${property}, ${name}, ${minimum}, ${maximum})`;
    }
    lines.push(key.required ? `texts[${name}] = ${text};` : `if (${property} !== undefined) texts[${name}] = ${text};`);
  }
  lines.push("return texts;");
  const keysType = publishedKeysTypeNameOf(context.protocol.name, role, publication.state);
  const clauseIds = indices.map((index) => table?.clauses[index]?.clauseId ?? "");
  return {
    kind: StructureKind.Function,
    name: formatKeysFunctionNameOf(context.protocol.name, role, publication.state),
    isExported: true,
    docs: [
      `The store texts of {@link ${keysType}}; an integer outside its key's type throws a RangeError naming the key` +
        (clauseIds.length === 0
          ? "."
          : `, and a value breaking ${clauseIds.map((id) => `\`${id}\``).join(", ")} throws StoreKeyClauseRefused instead of being written. ` +
            "`known` holds the other keys the clauses read (the role's other keys, the peer's); the keys written here are assigned into it."),
    ],
    parameters: [{ name: publication.keys.length === 0 ? "_keys" : "keys", type: keysType }, ...(indices.length === 0 ? [] : [{ name: "known", type: "StoreKeyClauseValues", hasQuestionToken: true }])],
    returnType: "Record<string, string>",
    statements: publication.keys.length === 0 ? ["return {};"] : lines,
  };
}

/** Whether a reader always yields a value for the key (required, or defaulted). */
function isAlwaysPresentWhenRead(key: IrStubKey): boolean {
  return key.required || key.defaultValue !== undefined;
}

function emitPeerKeysInterface(context: EmitContext, role: string, keys: readonly IrStubKey[]): InterfaceDeclarationStructure {
  return {
    kind: StructureKind.Interface,
    name: peerKeysTypeNameOf(context.protocol.name, role),
    isExported: true,
    docs: [`Every store key the ${role} publishes, as its peer reads them: defaults applied, optional keys without one may be absent.`],
    properties: keys.map((key) => ({
      name: propertyNameOf(key.key),
      type: isAlwaysPresentWhenRead(key) ? valueTypeOf(key.type) : `${valueTypeOf(key.type)} | undefined`,
      hasQuestionToken: !isAlwaysPresentWhenRead(key),
      isReadonly: true,
      docs: [describeKey(key)],
    })),
  };
}

/** The reader of every key a role publishes: one typed value per key, or the first key that cannot be read or breaks a clause. */
function emitReadKeysFunction(context: EmitContext, stubs: IrStubs, role: string, keys: readonly IrStubKey[]): FunctionDeclarationStructure {
  context.imports.useValue("StoreKeyUnreadable");
  context.imports.useType("PeerKeyReader");
  const lines: string[] = [];
  const assignments: string[] = [];
  for (const key of keys) {
    const property = propertyNameOf(key.key);
    const local = `${property}Value`;
    const name = JSON.stringify(key.key);
    const text = `${property}Text`;
    lines.push(`const ${text} = await peer(${name});`);
    const read = text;
    const hasDefault = key.defaultValue !== undefined;
    const fallback = hasDefault ? JSON.stringify(key.defaultValue) : "undefined";
    const optional = !isAlwaysPresentWhenRead(key);
    if (key.type.kind === "bool") {
      const reader = optional ? "readOptionalStoreBoolean" : "readStoreBoolean";
      context.imports.useValue(reader);
      lines.push(`const ${local} = ${reader}(${read}, ${name}${optional ? "" : `, ${fallback}`});`);
    } else if (key.type.kind === "string") {
      context.imports.useValue("readStoreText");
      lines.push(optional ? `const ${local} = ${read};` : `const ${local} = readStoreText(${read}, ${name}, ${fallback});`);
    } else {
      const [minimum, maximum] = integerRangeOf(key.type);
      const reader = optional ? "readOptionalStoreInteger" : "readStoreInteger";
      context.imports.useValue(reader);
      lines.push(`const ${local} = ${reader}(${read}, ${name}, ${minimum}, ${maximum}${optional ? "" : `, ${fallback}`});`);
    }
    if (key.type.kind !== "string" || !optional) lines.push(`if (${local} instanceof StoreKeyUnreadable) return ${local};`);
    if (key.type.kind === "enum") {
      const guard = `${enumGuardNameOf(key.type.enumName)}(${local})`;
      const refused = `return new StoreKeyUnreadable(${name}, String(${local}), ${JSON.stringify(`a ${key.type.enumName} value`)});`;
      lines.push(optional ? `if (${local} !== undefined && !${guard}) ${refused}` : `if (!${guard}) ${refused}`);
    }
    assignments.push(`${property}: ${local},`);
  }
  const readKeys = new Set(keys.map((key) => key.key));
  const checkable = checkableClausesOf(context, role, readKeys);
  const otherRole = role === stubs.requesterRole ? stubs.responderRole : stubs.requesterRole;
  const ownKeysType = peerKeysTypeNameOf(context.protocol.name, otherRole);
  const table = storeKeyClausesOf(context);
  const ownAssignments = checkable.indices.length === 0 ? [] : assignTypedKeys(context, stubs, otherRole, "own", "clauseValues", peerKeysReadBy(context, checkable.clauses));
  if (table !== undefined && checkable.indices.length > 0) {
    context.imports.useValue("StoreKeyClauseValues");
    context.imports.useValue("findStoreKeyClauseUnreadable");
    lines.push(`const clauseValues = new StoreKeyClauseValues(${storeKeyClausesNameOf()});`);
    table.slots.forEach((slot, index) => {
      if (slot.role === role && readKeys.has(slot.key)) lines.push(`clauseValues.assignText(${index}, ${propertyNameOf(slot.key)}Text);`);
    });
    if (ownAssignments.length > 0) lines.push(`if (own !== undefined) {\n${ownAssignments.join("\n")}\n}`);
    lines.push(`const brokenClause = findStoreKeyClauseUnreadable(clauseValues, ${JSON.stringify(checkable.indices)});`, "if (brokenClause !== undefined) return brokenClause;");
  }
  lines.push(`return {\n${assignments.join("\n")}\n};`);
  const keysType = peerKeysTypeNameOf(context.protocol.name, role);
  return {
    kind: StructureKind.Function,
    name: readKeysFunctionNameOf(context.protocol.name, role),
    isExported: true,
    isAsync: true,
    docs: [
      `Reads every key of {@link ${keysType}} from the ${role}'s directory; a key that is missing (with no default) or malformed comes back as a StoreKeyUnreadable` +
        (checkable.clauses.length === 0
          ? "."
          : `, as does a value breaking ${checkable.clauses.map((clause) => `\`${clause.clauseId}\``).join(", ")} (with the clause id). ` +
            `\`own\` holds the reader's own keys the clauses refer to; a clause reading a key known to neither is not judged.`),
    ],
    parameters: [{ name: keys.length === 0 ? "_peer" : "peer", type: "PeerKeyReader" }, ...(ownAssignments.length === 0 ? [] : [{ name: "own", type: `Partial<${ownKeysType}>`, hasQuestionToken: true }])],
    returnType: `Promise<${keysType} | StoreKeyUnreadable>`,
    statements: lines,
  };
}

function emitSlotLayouts(context: EmitContext, stubs: IrStubs): StatementStructures {
  context.imports.useType("StubSlotLayout");
  const layoutText = (layout: IrLayoutAbi): string => {
    const slot = stubs.slotLayouts[layout];
    if (slot === undefined) return "undefined";
    const echoed = slot.echoedFields.map((field) => `{ requestOffset: ${field.requestOffset}, responseOffset: ${field.responseOffset}, width: ${field.width} }`);
    return `{ slotBytes: ${slot.slotBytes}, requestIdOffset: ${slot.requestIdOffset}, responseIdOffset: ${slot.responseIdOffset}, idBytes: ${slot.idBytes}, echoedFields: [${echoed.join(", ")}] }`;
  };
  const entries = context.protocol.abis.map((abi) => `${JSON.stringify(abi.name)}: ${layoutText(abi.layout)},`);
  const table = exportedConstant("stubSlotLayoutsByAbi", `{\n${entries.join("\n")}\n} as const satisfies Readonly<Record<AbiName, StubSlotLayout>>`);
  table.docs = [`The \`${stubs.channel}\` ring's slot per ABI: size, where the correlation id sits in a request and a response, and the fields a response echoes.`];
  return table;
}

function transportKeysText(stubs: IrStubs): string {
  return `{ ringReferenceKey: ${JSON.stringify(stubs.ringReferenceKey)}, ringPageOrderKey: ${JSON.stringify(stubs.ringPageOrderKey)}, eventChannelKey: ${JSON.stringify(stubs.eventChannelKey)} }`;
}

function emitFrontend(context: EmitContext, stubs: IrStubs): StatementStructures[] {
  const protocol = context.protocol.name;
  const role = stubs.requesterRole;
  const peer = stubs.responderRole;
  const className = stubClassNameOf(protocol, role);
  const optionsName = stubOptionsNameOf(protocol, role);
  const publication = stubs.requesterPublications[0];
  const keysType = publication === undefined ? undefined : publishedKeysTypeNameOf(protocol, role, publication.state);
  const keysRequired = publication?.keys.some((key) => key.required) ?? false;
  const peerKeysType = peerKeysTypeNameOf(protocol, peer);
  const request = typeNameOf(stubs.requestRecord);
  const response = typeNameOf(stubs.responseRecord);
  const abiOption = stubs.abiSelectorKey === undefined ? "AbiName" : "AbiKeyValue";
  for (const name of ["SplitConnectionFrontend", "ConnectionRequestFailed", "StubMessageRefused", "StoreKeyUnreadable", "describeStubConnection", "writeConnectionId", "dataViewOfSlot"]) context.imports.useValue(name);
  for (const name of ["DomainContext", "ConnectionStore", "ConnectionProblemListener", "StubSlotLayout", "PeerKeyReader"]) context.imports.useType(name);
  const options: InterfaceDeclarationStructure = {
    kind: StructureKind.Interface,
    name: optionsName,
    isExported: true,
    docs: [`How to reach the ${peer} and what this ${role} offers.`],
    properties: [
      { name: "store", type: "ConnectionStore", isReadonly: true },
      { name: `${role}Path`, type: "string", isReadonly: true, docs: [`This ${role}'s store directory.`] },
      { name: `${peer}Path`, type: "string", isReadonly: true, docs: [`The ${peer}'s store directory.`] },
      { name: `${peer}DomainId`, type: "number", isReadonly: true },
      {
        name: "abi",
        type: abiOption,
        isReadonly: true,
        docs: [stubs.abiSelectorKey === undefined ? "The ABI both ends speak." : `The ABI this ${role} speaks, written as its \`${stubs.abiSelectorKey}\` key; the ${peer} picks its codecs from it.`],
      },
      {
        name: "ringPageOrder",
        type: "number",
        hasQuestionToken: true,
        isReadonly: true,
        docs: [`Preferred ring page order (default 0)${stubs.ringPageOrderLimitKey === undefined ? "" : `, capped by the ${peer}'s \`${stubs.ringPageOrderLimitKey}\``}.`],
      },
      ...(keysType === undefined ? [] : [{ name: "keys", type: keysType, hasQuestionToken: !keysRequired, isReadonly: true, docs: [`Keys written with the ring transport.`] }]),
      { name: "inFlightAfterReset", type: `"reissue" | "fail"`, hasQuestionToken: true, isReadonly: true, docs: [`After the ${peer} resets: re-issue outstanding requests once reconnected (default) or fail them.`] },
      { name: "onProblem", type: "ConnectionProblemListener", hasQuestionToken: true, isReadonly: true },
    ],
  };
  const maximumOrder = stubs.maximumRingPageOrder;
  const chooseOrder =
    stubs.ringPageOrderLimitKey === undefined
      ? [`const maximum = ${maximumOrder};`]
      : [
          `const limit = readStoreInteger(await ${peer}(${JSON.stringify(stubs.ringPageOrderLimitKey)}), ${JSON.stringify(stubs.ringPageOrderLimitKey)}, 0, Number.MAX_SAFE_INTEGER, 0);`,
          `const maximum = limit instanceof StoreKeyUnreadable ? 0 : Math.min(limit, ${maximumOrder});`,
        ];
  if (stubs.ringPageOrderLimitKey !== undefined) context.imports.useValue("readStoreInteger");
  // The frontend reads the backend keys its own clauses refer to before it publishes its keys.
  const publicationClauses = publication === undefined ? { indices: [], peerSlots: [] } : publicationClausesOf(context, stubs, role, publication);
  const clauseSlots = storeKeyClausesOf(context)?.slots ?? [];
  const checksOwnKeys = keysType !== undefined && publicationClauses.indices.length > 0;
  const formatOwnKeys = keysType === undefined ? "" : `${formatKeysFunctionNameOf(protocol, role, publication!.state)}(options.keys${checksOwnKeys ? ", known" : ""})`;
  const ownKeyChecks = !checksOwnKeys
    ? []
    : [
        `const known = new StoreKeyClauseValues(${storeKeyClausesNameOf()});`,
        ...publicationClauses.peerSlots.map((slot) => `known.assignText(${slot}, await ${peer}(${JSON.stringify(clauseSlots[slot]?.key ?? "")}));`),
        "let ownKeys: Record<string, string>;",
        "try {",
        `ownKeys = options.keys === undefined ? {} : ${formatOwnKeys};`,
        "} catch (error) {",
        "if (!(error instanceof StoreKeyClauseRefused)) throw error;",
        `return { ringPageOrder: 0, keys: {}, refusal: { code: "connection-own-key-refused", message: error.message, location: \`\${options.${role}Path}/\${error.key}\` } };`,
        "}",
      ];
  if (checksOwnKeys) {
    context.imports.useValue("StoreKeyClauseValues");
    context.imports.useValue("StoreKeyClauseRefused");
  }
  const extraKeys = [
    ...(keysType === undefined ? [] : [checksOwnKeys ? "...ownKeys" : `...(options.keys === undefined ? {} : ${formatOwnKeys})`]),
    ...(stubs.abiSelectorKey === undefined ? [] : [`${JSON.stringify(stubs.abiSelectorKey)}: options.abi`]),
  ];
  const abiSelection =
    stubs.abiSelectorKey === undefined
      ? ["this.abi = options.abi;"]
      : [
          `const abi = selectAbi(options.abi, ${JSON.stringify(context.protocol.abis[0]?.name ?? "")});`,
          `if (abi === undefined) throw new RangeError(\`'\${String(options.abi)}' is not a ${stubs.abiSelectorKey} value of ${protocol}\`);`,
          "this.abi = abi;",
        ];
  const classStructure: ClassDeclarationStructure = {
    kind: StructureKind.Class,
    name: className,
    isExported: true,
    docs: [
      `The typed ${role} of ${protocol}'s \`${stubs.channel}\` exchange: runs the handshake through the store, writes the ring transport${stubs.abiSelectorKey === undefined ? "" : ` and the \`${stubs.abiSelectorKey}\` key`}, ` +
        `sends {@link ${request}} values and resolves each with the {@link ${response}} of the same id, and reconnects after the ${peer} resets.`,
    ],
    properties: [
      { name: "connection", type: `SplitConnectionFrontend<${response}>`, isReadonly: true, docs: ["The protocol-neutral connection underneath (phase, counters, raw requests)."] },
      { name: "abi", type: "AbiName", isReadonly: true },
      { name: "codecs", type: "(typeof codecsByAbi)[AbiName]", isReadonly: true, scope: Scope.Private },
      { name: "slotLayout", type: "StubSlotLayout", isReadonly: true, scope: Scope.Private },
      { name: "encodeImage", type: "Uint8Array", isReadonly: true, scope: Scope.Private },
      { name: "peerKeysRead", type: `${peerKeysType} | StoreKeyUnreadable | undefined`, scope: Scope.Private },
    ],
    ctors: [
      {
        parameters: [
          { name: "context", type: "DomainContext" },
          { name: "options", type: optionsName },
        ],
        statements: [
          ...abiSelection,
          "this.codecs = codecsByAbi[this.abi];",
          "this.slotLayout = stubSlotLayoutsByAbi[this.abi];",
          "this.encodeImage = new Uint8Array(this.slotLayout.slotBytes);",
          "const codecs = this.codecs;",
          `this.connection = new SplitConnectionFrontend<${response}>(context, {`,
          `description: describeStubConnection(this.slotLayout, ${transportKeysText(stubs)}, ${maximumOrder}),`,
          "store: options.store,",
          `frontendPath: options.${role}Path,`,
          `backendPath: options.${peer}Path,`,
          `backendDomainId: options.${peer}DomainId,`,
          `chooseTransport: async (${stubs.ringPageOrderLimitKey === undefined && !checksOwnKeys ? "_" : ""}${peer}: PeerKeyReader) => {`,
          ...chooseOrder,
          ...ownKeyChecks,
          `return { ringPageOrder: Math.min(options.ringPageOrder ?? 0, maximum), keys: { ${extraKeys.join(", ")} } };`,
          "},",
          `onBackendConnected: async (${peer}: PeerKeyReader) => {`,
          `this.peerKeysRead = await ${readKeysFunctionNameOf(protocol, peer)}(${peer}${readerTakesOwnKeys(context, stubs, peer) ? ", options.keys" : ""});`,
          "if (this.peerKeysRead instanceof StoreKeyUnreadable) {",
          `options.onProblem?.({ code: "connection-bad-peer-key", message: this.peerKeysRead.message, location: \`\${options.${peer}Path}/\${this.peerKeysRead.key}\` });`,
          "}",
          "},",
          "decodeResponse: (privateCopy: Uint8Array) => {",
          `const response = ${createFunctionNameOf(stubs.responseRecord)}();`,
          `const error = codecs.${response}.decodeValidated(dataViewOfSlot(privateCopy), 0, response);`,
          `if (error !== undefined) throw new StubMessageRefused("the ${peer}'s response", error);`,
          "return response;",
          "},",
          "...(options.inFlightAfterReset === undefined ? {} : { inFlightAfterReset: options.inFlightAfterReset }),",
          "...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),",
          "});",
        ],
      },
    ],
    getAccessors: [
      {
        name: `${peer}Keys`,
        returnType: `${peerKeysType} | undefined`,
        docs: [`The ${peer}'s keys as read when it last connected.`],
        statements: ["return this.peerKeysRead instanceof StoreKeyUnreadable ? undefined : this.peerKeysRead;"],
      },
    ],
    methods: [
      {
        name: "connect",
        isAsync: true,
        returnType: `Promise<${peerKeysType}>`,
        docs: [`Runs the handshake; resolves with the ${peer}'s keys once both ends are Connected.`],
        statements: [
          "await this.connection.connect();",
          "const keys = this.peerKeysRead;",
          "if (keys === undefined || keys instanceof StoreKeyUnreadable) {",
          `throw new ConnectionRequestFailed({ code: "connection-bad-peer-key", message: keys?.message ?? "the ${peer} connected without readable keys" });`,
          "}",
          "return keys;",
        ],
      },
      {
        name: "send",
        returnType: `Promise<${response}>`,
        docs: [
          `Sends one request and resolves with its response. The request is validated and encoded at once (a refusal rejects with StubMessageRefused), ` +
            `so the caller may reuse the object; its id is assigned by the connection.`,
        ],
        parameters: [{ name: "request", type: request }],
        statements: [
          "const image = this.encodeImage;",
          "image.fill(0);",
          `const error = this.codecs.${request}.validate(request) ?? this.codecs.${request}.encode(request, dataViewOfSlot(image), 0);`,
          `if (error !== undefined) return Promise.reject(new StubMessageRefused("the request", error));`,
          "// The connection may wait for ring space before it copies, and the scratch image is shared: keep this request's bytes.",
          "const encoded = image.slice();",
          "const layout = this.slotLayout;",
          "return this.connection.request((slot: Uint8Array, id: number) => {",
          "slot.set(encoded);",
          "writeConnectionId(slot, layout.requestIdOffset, layout.idBytes, id);",
          "});",
        ],
      },
      { name: "close", returnType: "Promise<void>", docs: ["Orderly teardown to Closed."], statements: ["return this.connection.close();"] },
      { name: "abandon", returnType: "void", docs: ["Stops at once without store writes or hypercalls (this domain was reset)."], statements: ["this.connection.abandon();"] },
    ],
  };
  return [options, classStructure];
}

/**
 * The backend's session keys, formatted once the frontend's keys are read: with clauses to
 * check, the values they read (its offered keys, the frontend's) go in first, and a refusal
 * ends the session with `connection-own-key-refused` instead of publishing the key.
 */
function writeSessionKeys(
  context: EmitContext,
  stubs: IrStubs,
  role: string,
  peer: string,
  offered: IrStubPublication | undefined,
  connected: IrStubPublication | undefined,
  connectedType: string | undefined,
): string[] {
  if (connected === undefined || connectedType === undefined) return ["const keys: Record<string, string> = {};"];
  const format = formatKeysFunctionNameOf(context.protocol.name, role, connected.state);
  const sessionKeys = `await this.options.sessionKeys({ abi, ${peer}Keys })`;
  if (publicationClausesOf(context, stubs, role, connected).indices.length === 0) return [`const keys = ${format}(${sessionKeys});`];
  context.imports.useValue("StoreKeyClauseValues");
  context.imports.useValue("StoreKeyClauseRefused");
  const offeredKeys = new Set(offered?.keys.map((key) => key.key) ?? []);
  return [
    `const known = new StoreKeyClauseValues(${storeKeyClausesNameOf()});`,
    ...(offered === undefined ? [] : assignTypedKeys(context, stubs, role, "this.options.keys", "known", offeredKeys)),
    ...assignTypedKeys(context, stubs, peer, `${peer}Keys`, "known"),
    "let keys: Record<string, string>;",
    "try {",
    `keys = ${format}(${sessionKeys}, known);`,
    "} catch (error) {",
    "if (!(error instanceof StoreKeyClauseRefused)) throw error;",
    `return { ok: false, problem: { code: "connection-own-key-refused", message: error.message, location: \`\${this.options.${role}Path}/\${error.key}\` } };`,
    "}",
  ];
}

function emitBackend(context: EmitContext, stubs: IrStubs): StatementStructures[] {
  const protocol = context.protocol.name;
  const role = stubs.responderRole;
  const peer = stubs.requesterRole;
  const className = stubClassNameOf(protocol, role);
  const optionsName = stubOptionsNameOf(protocol, role);
  const handlerName = stubHandlerNameOf(protocol, role);
  const [offered, connected] = stubs.responderPublications;
  const request = typeNameOf(stubs.requestRecord);
  const response = typeNameOf(stubs.responseRecord);
  const exchangeType = `StubExchange<${request}, ${response}>`;
  for (const name of ["SplitConnectionBackend", "StoreKeyUnreadable", "describeStubConnection", "echoCorrelatedFields", "dataViewOfSlot", "StubMessageRefused"]) context.imports.useValue(name);
  for (const name of ["DomainContext", "ConnectionStore", "ConnectionProblemListener", "StubSlotLayout", "PeerKeyReader", "BackendSessionOutcome", "StubExchange", "CodecError", "ValidationError"]) context.imports.useType(name);
  const handler: InterfaceDeclarationStructure = {
    kind: StructureKind.Interface,
    name: handlerName,
    isExported: true,
    docs: [`How the ${role} answers requests. The stub writes the response's correlation id${stubs.slotLayouts.x86_64?.echoedFields.length || stubs.slotLayouts.x86_32?.echoedFields.length ? " and echoed fields" : ""} itself.`],
    methods: [
      {
        name: "serve",
        docs: ["Serves one decoded, validated request; the object is reused once the answer is sent."],
        parameters: [
          { name: "request", type: request },
          { name: "abi", type: "AbiName" },
        ],
        returnType: `${response} | Promise<${response}>`,
      },
      {
        name: "refuse",
        docs: ["Answers a request that failed to decode or validate (a hostile or buggy peer); `requestBytes` is the private copy, valid during the call."],
        parameters: [
          { name: "reason", type: "CodecError | ValidationError" },
          { name: "abi", type: "AbiName" },
          { name: "requestBytes", type: "Uint8Array" },
        ],
        returnType: response,
      },
    ],
  };
  const offeredType = offered === undefined ? undefined : publishedKeysTypeNameOf(protocol, role, offered.state);
  const connectedType = connected === undefined ? undefined : publishedKeysTypeNameOf(protocol, role, connected.state);
  const peerKeysType = peerKeysTypeNameOf(protocol, peer);
  const options: InterfaceDeclarationStructure = {
    kind: StructureKind.Interface,
    name: optionsName,
    isExported: true,
    docs: [`How to reach the ${peer} and what this ${role} publishes.`],
    properties: [
      { name: "store", type: "ConnectionStore", isReadonly: true },
      { name: `${peer}Path`, type: "string", isReadonly: true },
      { name: `${role}Path`, type: "string", isReadonly: true },
      { name: `${peer}DomainId`, type: "number", isReadonly: true },
      ...(offeredType === undefined ? [] : [{ name: "keys", type: offeredType, isReadonly: true, docs: [`Published before ${offered!.state}: every key the lifecycle requires there.`] }]),
      ...(connectedType === undefined
        ? []
        : [
            {
              name: "sessionKeys",
              type: `(session: { readonly abi: AbiName; readonly ${peer}Keys: ${peerKeysType} }) => ${connectedType} | Promise<${connectedType}>`,
              isReadonly: true,
              docs: [`The keys published before ${connected!.state}, once the ${peer}'s ABI and keys are known.`],
            },
          ]),
      { name: "nativeAbi", type: "AbiName", hasQuestionToken: true, isReadonly: true, docs: [`The ABI assumed when the ${peer} names none (default ${JSON.stringify(context.protocol.abis[0]?.name ?? "")}).`] },
      { name: "onProblem", type: "ConnectionProblemListener", hasQuestionToken: true, isReadonly: true },
    ],
  };
  const limitProperty = stubs.ringPageOrderLimitKey === undefined ? undefined : offered?.keys.find((key) => key.key === stubs.ringPageOrderLimitKey && key.required && key.type.kind === "integer");
  const maximumOrder = limitProperty === undefined ? String(stubs.maximumRingPageOrder) : `Math.min(options.keys.${propertyNameOf(limitProperty.key)}, ${stubs.maximumRingPageOrder})`;
  const nativeAbi = `options.nativeAbi ?? ${JSON.stringify(context.protocol.abis[0]?.name ?? "")}`;
  const selector = stubs.abiSelectorKey;
  const abiNames = context.protocol.abis.map((abi) => abi.protocolKeyValue).filter((value): value is string => value !== undefined);
  const beginSession = [
    ...(selector === undefined
      ? [`const abi: AbiName = this.${nativeAbi};`]
      : [
          `const abiText = await ${peer}(${JSON.stringify(selector)});`,
          `const abi = selectAbi(abiText, this.${nativeAbi});`,
          "if (abi === undefined) {",
          `return { ok: false, problem: { code: "connection-bad-peer-key", message: \`${selector} \${JSON.stringify(abiText)} is not one of ${abiNames.join(", ")}\`, location: \`\${this.options.${peer}Path}/${selector}\` } };`,
          "}",
        ]),
    `const ${peer}Keys = await ${readKeysFunctionNameOf(protocol, peer)}(${peer}${readerTakesOwnKeys(context, stubs, peer) && offeredType !== undefined ? ", this.options.keys" : ""});`,
    `if (${peer}Keys instanceof StoreKeyUnreadable) {`,
    `return { ok: false, problem: { code: "connection-bad-peer-key", message: ${peer}Keys.message, location: \`\${this.options.${peer}Path}/\${${peer}Keys.key}\` } };`,
    "}",
    "this.sessionAbi = abi;",
    "this.codecs = codecsByAbi[abi];",
    "this.slotLayout = stubSlotLayoutsByAbi[abi];",
    ...writeSessionKeys(context, stubs, role, peer, offered, connected, connectedType),
    `return { ok: true, keys, description: describeStubConnection(this.slotLayout, ${transportKeysText(stubs)}, this.maximumRingPageOrder) };`,
  ];
  const classStructure: ClassDeclarationStructure = {
    kind: StructureKind.Class,
    name: className,
    isExported: true,
    docs: [
      `The typed ${role} of ${protocol}'s \`${stubs.channel}\` exchange: publishes its keys from typed objects, picks the codecs from the ${peer}'s ` +
        `${selector === undefined ? "ABI" : `\`${selector}\` key`}, decodes each request once from its private copy, serves it with a typed handler and ` +
        `answers with the correlated fields echoed; follows the ${peer} through teardown and reconnect.`,
    ],
    properties: [
      { name: "connection", type: `SplitConnectionBackend<${exchangeType}>`, isReadonly: true, docs: ["The protocol-neutral connection underneath (phase, counters)."] },
      { name: "sessionAbi", type: "AbiName", scope: Scope.Private },
      { name: "codecs", type: "(typeof codecsByAbi)[AbiName]", scope: Scope.Private },
      { name: "slotLayout", type: "StubSlotLayout", scope: Scope.Private },
      { name: "maximumRingPageOrder", type: "number", isReadonly: true, scope: Scope.Private },
      { name: "handler", type: `${handlerName} | undefined`, scope: Scope.Private },
      { name: "exchanges", type: `WeakMap<Uint8Array, ${exchangeType}>`, isReadonly: true, scope: Scope.Private, initializer: `new WeakMap<Uint8Array, ${exchangeType}>()` },
    ],
    ctors: [
      {
        parameters: [
          { name: "context", type: "DomainContext" },
          { name: "options", type: optionsName, isReadonly: true, scope: Scope.Private },
        ],
        statements: [
          `this.sessionAbi = ${nativeAbi};`,
          "this.codecs = codecsByAbi[this.sessionAbi];",
          "this.slotLayout = stubSlotLayoutsByAbi[this.sessionAbi];",
          `this.maximumRingPageOrder = ${maximumOrder};`,
          `this.connection = new SplitConnectionBackend<${exchangeType}>(context, {`,
          `description: describeStubConnection(this.slotLayout, ${transportKeysText(stubs)}, this.maximumRingPageOrder),`,
          "store: options.store,",
          `frontendPath: options.${peer}Path,`,
          `backendPath: options.${role}Path,`,
          `frontendDomainId: options.${peer}DomainId,`,
          `featureKeys: ${offeredType === undefined ? "{}" : `${formatKeysFunctionNameOf(protocol, role, offered!.state)}(options.keys)`},`,
          `onFrontendInitialised: (${peer}: PeerKeyReader) => this.beginSession(${peer}),`,
          "handleRequest: (privateCopy: Uint8Array) => this.handle(privateCopy),",
          `encodeResponse: (slot: Uint8Array, exchange: ${exchangeType}) => this.encodeAnswer(slot, exchange),`,
          "...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),",
          "});",
        ],
      },
    ],
    getAccessors: [{ name: "abi", returnType: "AbiName", docs: ["The ABI of the current (or last) session."], statements: ["return this.sessionAbi;"] }],
    methods: [
      {
        name: "serve",
        returnType: "Promise<void>",
        docs: [`Serves requests with \`handler\`: publishes the keys, announces ${offered?.state ?? "InitWait"} and follows the ${peer} from then on.`],
        parameters: [{ name: "handler", type: handlerName }],
        statements: ["this.handler = handler;", "return this.connection.start();"],
      },
      { name: "stop", returnType: "Promise<void>", docs: ["Releases the ring and goes Closed."], statements: ["return this.connection.stop();"] },
      { name: "abandon", returnType: "void", docs: ["Stops at once without store writes or hypercalls (this domain was reset)."], statements: ["this.connection.abandon();"] },
      {
        name: "beginSession",
        scope: Scope.Private,
        isAsync: true,
        parameters: [{ name: peer, type: "PeerKeyReader" }],
        returnType: "Promise<BackendSessionOutcome>",
        statements: beginSession,
      },
      {
        name: "handle",
        scope: Scope.Private,
        parameters: [{ name: "privateCopy", type: "Uint8Array" }],
        returnType: `${exchangeType} | Promise<${exchangeType}>`,
        statements: [
          "const handler = this.handler;",
          `if (handler === undefined) throw new RangeError("serve() was not called");`,
          "let exchange = this.exchanges.get(privateCopy);",
          "if (exchange === undefined) {",
          `exchange = { requestCopy: privateCopy, request: ${createFunctionNameOf(stubs.requestRecord)}(), requestDecoded: false, response: ${createFunctionNameOf(stubs.responseRecord)}() };`,
          "this.exchanges.set(privateCopy, exchange);",
          "}",
          `const error = this.codecs.${request}.decodeValidated(dataViewOfSlot(privateCopy), 0, exchange.request);`,
          "exchange.requestDecoded = error === undefined;",
          "if (error !== undefined) {",
          "exchange.response = handler.refuse(error, this.sessionAbi, privateCopy);",
          "return exchange;",
          "}",
          "const served = handler.serve(exchange.request, this.sessionAbi);",
          "if (!(served instanceof Promise)) {",
          "exchange.response = served;",
          "return exchange;",
          "}",
          "const pending = exchange;",
          `return served.then((response: ${response}) => {`,
          "pending.response = response;",
          "return pending;",
          "});",
        ],
      },
      {
        name: "encodeAnswer",
        scope: Scope.Private,
        parameters: [
          { name: "slot", type: "Uint8Array" },
          { name: "exchange", type: exchangeType },
        ],
        returnType: "void",
        statements: [
          `const error = this.codecs.${response}.encode(exchange.response, dataViewOfSlot(slot), 0);`,
          "if (error !== undefined) {",
          "// The slot still carries the id below, so the requester learns of the failure instead of waiting forever.",
          `this.options.onProblem?.({ code: "connection-handler-failed", message: new StubMessageRefused("the response", error).message });`,
          "}",
          "echoCorrelatedFields(exchange.requestCopy, slot, this.slotLayout, exchange.requestDecoded);",
        ],
      },
    ],
  };
  return [handler, options, classStructure];
}

/** Every stub declaration of the protocol, or nothing when the IR carries no stubs. */
export function emitStubs(context: EmitContext): StatementStructures[] {
  const stubs = context.protocol.stubs;
  if (stubs === undefined) return [];
  const statements: StatementStructures[] = [];
  if (stubs.abiSelectorKey !== undefined) {
    const values = context.protocol.abis.map((abi) => abi.protocolKeyValue).filter((value): value is string => value !== undefined);
    statements.push({ kind: StructureKind.TypeAlias, name: "AbiKeyValue", isExported: true, docs: [`The values of the \`${stubs.abiSelectorKey}\` key that select an ABI.`], type: values.map((value) => JSON.stringify(value)).join(" | ") || "never" });
  }
  statements.push(emitSlotLayouts(context, stubs));
  for (const [role, publications] of [
    [stubs.requesterRole, stubs.requesterPublications],
    [stubs.responderRole, stubs.responderPublications],
  ] as const) {
    for (const publication of publications) {
      statements.push(emitPublishedKeysInterface(context, role, publication), emitFormatKeysFunction(context, stubs, role, publication));
    }
    const keys = publications.flatMap((publication) => publication.keys);
    statements.push(emitPeerKeysInterface(context, role, keys), emitReadKeysFunction(context, stubs, role, keys));
  }
  statements.push(...emitFrontend(context, stubs), ...emitBackend(context, stubs));
  return statements;
}
