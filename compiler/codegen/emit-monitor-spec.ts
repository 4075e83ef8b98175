// Emits the `monitorSpec*` constants (one per layout ABI) that runtime/monitor's engine is built
// from: clauses with owners and "file:line:col" locations, each ring with its geometry, id
// fields and clause ids, validators wired to the generated decoders, and the lifecycle.
import { StructureKind, VariableDeclarationKind, type StatementStructures } from "ts-morph";
import type {
  IrCorrelationObligation,
  IrDeadlineObligation,
  IrEventBudgetObligation,
  IrGrantObligation,
  IrHandshakeDeadlineObligation,
  IrPaddingZeroObligation,
  IrLifecycleObligation,
  IrMonitorObligation,
  IrProgressObligation,
  IrRingIndexObligation,
  IrStoreQuotaObligation,
} from "../ir/monitor.js";
import { placeFieldInLayout } from "../ir/field-placement.js";
import type { IrLayoutAbi, IrRecord } from "../ir/protocol.js";
import type { EmitContext } from "./emit-context.js";
import { abiSuffixOf, createFunctionNameOf, decodeValidatedFunctionNameOf, storeKeyClausesNameOf } from "./names.js";
import { storeKeyClausesOf } from "./emit-store-key-clauses.js";

interface EmittedClause {
  readonly id: string;
  readonly ownerRole: string;
  readonly location: string;
  readonly summary: string;
  readonly blameDecidedWhenFired?: true;
}

/** Where an id field lives in one layout (see placeFieldInLayout): the monitor reads it without decoding, as an unsigned integer. */
function resolveIdField(context: EmitContext, record: IrRecord, path: readonly string[], abi: IrLayoutAbi): { offset: number; widthBytes: 1 | 2 | 4 | 8 } | undefined {
  const placed = placeFieldInLayout(
    (name) => context.record(name),
    (type) => (type.kind === "integer" && (type.width === 1 || type.width === 2 || type.width === 4 || type.width === 8) ? type.width : undefined),
    record,
    path,
    abi,
  );
  return placed === undefined ? undefined : { offset: placed.offset, widthBytes: placed.width };
}

/** A DataView read of an unsigned little-endian integer of `width` bytes (1, 2 or 4). */
function writeUnsignedRead(width: number, offset: number): string | undefined {
  if (width === 1) return `view.getUint8(${offset})`;
  if (width === 2) return `view.getUint16(${offset}, true)`;
  if (width === 4) return `view.getUint32(${offset}, true)`;
  return undefined;
}

/** Offset and width of a top-level integer, enum or resource field of a record in one layout. */
function resolveScalarField(context: EmitContext, record: IrRecord, name: string, abi: IrLayoutAbi): { offset: number; width: number } | undefined {
  const index = record.fields.findIndex((field) => field.name === name);
  const field = record.fields[index];
  const layout = record.layouts[abi].fields[index];
  if (field === undefined || layout === undefined) return undefined;
  const type = field.type;
  if (type.kind === "integer") return { offset: layout.offset, width: type.width };
  if (type.kind === "resource") return { offset: layout.offset, width: 4 };
  if (type.kind === "enum") return { offset: layout.offset, width: context.enumeration(type.enumName).width };
  return undefined;
}

/** Where the grant references of a request live in one layout: which variants carry them, their count field, first offset and stride. */
interface GrantPlacement {
  readonly discriminant?: { readonly offset: number; readonly width: number; readonly values: readonly number[] };
  readonly count: { readonly offset: number; readonly width: number } | undefined;
  readonly capacity: number;
  readonly firstOffset: number;
  readonly stride: number;
}

function resolveGrantPlacementIn(context: EmitContext, record: IrRecord, path: readonly string[], abi: IrLayoutAbi, base: number): Omit<GrantPlacement, "discriminant"> | undefined {
  const [arrayName, marker, ...elementPath] = path;
  if (arrayName === undefined || marker !== "[]") return undefined;
  const index = record.fields.findIndex((field) => field.name === arrayName);
  const field = record.fields[index];
  const layout = record.layouts[abi].fields[index];
  if (field === undefined || layout === undefined || field.type.kind !== "array") return undefined;
  const element = field.type.element;
  let elementOffset = 0;
  if (element.kind === "record") {
    const [elementField, ...deeper] = elementPath;
    if (elementField === undefined || deeper.length > 0) return undefined;
    const placed = resolveScalarField(context, context.record(element.recordName), elementField, abi);
    if (placed === undefined || placed.width !== 4) return undefined;
    elementOffset = placed.offset;
  } else if (element.kind !== "resource" || elementPath.length > 0) return undefined;
  const count = field.type.countField === undefined ? undefined : resolveScalarField(context, record, field.type.countField, abi);
  const countAt = count === undefined ? undefined : { offset: base + count.offset, width: count.width };
  return { count: countAt, capacity: field.type.capacity, firstOffset: base + layout.offset + elementOffset, stride: layout.stride ?? layout.size / field.type.capacity };
}

/** The grant array of a request, directly in it or in the message variants that declare it (all at one place). */
function resolveGrantPlacement(context: EmitContext, record: IrRecord, path: readonly string[], abi: IrLayoutAbi): GrantPlacement | undefined {
  const direct = resolveGrantPlacementIn(context, record, path, abi, 0);
  if (direct !== undefined) return direct;
  for (const [index, field] of record.fields.entries()) {
    const type = field.type;
    const layout = record.layouts[abi].fields[index];
    if (type.kind !== "union" || layout === undefined) continue;
    const discriminant = resolveScalarField(context, record, type.discriminantField, abi);
    if (discriminant === undefined) return undefined;
    const carriers = type.arms.flatMap((arm) => {
      const placed = resolveGrantPlacementIn(context, context.record(arm.recordName), path, abi, layout.offset);
      return placed === undefined ? [] : [{ arm, placed }];
    });
    const first = carriers[0];
    if (first === undefined || carriers.some((carrier) => carrier.arm.isDefault)) return undefined;
    const agree = carriers.every(
      ({ placed }) =>
        placed.firstOffset === first.placed.firstOffset &&
        placed.stride === first.placed.stride &&
        placed.capacity === first.placed.capacity &&
        placed.count?.offset === first.placed.count?.offset &&
        placed.count?.width === first.placed.count?.width,
    );
    if (!agree) return undefined;
    return { ...first.placed, discriminant: { ...discriminant, values: carriers.flatMap(({ arm }) => arm.discriminantValues) } };
  }
  return undefined;
}

/** The module-private functions a grant obligation needs for one layout, or undefined when the references cannot be located without decoding. */
function writeGrantFunctions(context: EmitContext, grant: IrGrantObligation, abi: IrLayoutAbi): { readonly statements: string[]; readonly count: string; readonly writable: string; readonly placement: GrantPlacement } | undefined {
  const request = context.record(grant.requestRecord);
  const placement = resolveGrantPlacement(context, request, grant.grantFieldPath, abi);
  if (placement === undefined) return undefined;
  const suffix = `${grant.requestRecord}${abiSuffixOf(abi)}`;
  const countName = `monitorCountGrants${suffix}`;
  const writableName = `monitorGrantsMustBeWritable${suffix}`;
  const countRead = placement.count === undefined ? String(placement.capacity) : writeUnsignedRead(placement.count.width, placement.count.offset);
  if (countRead === undefined) return undefined;
  const live = placement.count === undefined ? countRead : `Math.min(${countRead}, ${placement.capacity})`;
  let countBody = `return ${live};`;
  if (placement.discriminant !== undefined) {
    const discriminantRead = writeUnsignedRead(placement.discriminant.width, placement.discriminant.offset);
    if (discriminantRead === undefined) return undefined;
    const cases = placement.discriminant.values.map((value) => `case ${value}:`).join("\n");
    countBody = `switch (${discriminantRead}) {\n${cases}\nreturn ${live};\ndefault:\nreturn 0;\n}`;
  }
  const condition = grant.writableWhen;
  let writableBody = "return false;";
  if (condition !== undefined) {
    if (condition.kind !== "binary" || condition.operator !== "==" || condition.left.kind !== "field" || condition.left.path.length !== 1) return undefined;
    const [fieldName = ""] = condition.left.path;
    const field = resolveScalarField(context, request, fieldName, abi);
    const right = condition.right;
    const value = right.kind === "enum-member" || right.kind === "integer-literal" || right.kind === "constant" ? right.value : undefined;
    const read = field === undefined ? undefined : writeUnsignedRead(field.width, field.offset);
    if (read === undefined || value === undefined) return undefined;
    writableBody = `return ${read} === ${value};`;
  }
  const usesView = (body: string): string => (body.includes("view.") ? "const view = dataViewOfSlot(slot);\n" : "");
  context.imports.useValue("dataViewOfSlot");
  return {
    statements: [
      `/** How many grant references a ${grant.requestRecord} slot (${abi} layout) carries for ${grant.clauseId}. */\nfunction ${countName}(${countBody.includes("view.") ? "slot" : "_slot"}: Uint8Array): number {\n${usesView(countBody)}${countBody}\n}`,
      `/** Whether the peer must be able to write the granted frames of a ${grant.requestRecord} slot (${abi} layout). */\nfunction ${writableName}(${writableBody.includes("view.") ? "slot" : "_slot"}: Uint8Array): boolean {\n${usesView(writableBody)}${writableBody}\n}`,
    ],
    count: countName,
    writable: writableName,
    placement,
  };
}

/** Clause ids the generated validator of a record (and of what it contains) may return. */
function collectValidationClauses(context: EmitContext, record: IrRecord, into: Map<string, string>): Map<string, string> {
  for (const clause of record.clauses) into.set(clause.clauseId, clause.span.file);
  for (const field of record.fields) {
    const type = field.type;
    if (type.kind === "record") collectValidationClauses(context, context.record(type.recordName), into);
    else if (type.kind === "array" && type.element.kind === "record") collectValidationClauses(context, context.record(type.element.recordName), into);
    else if (type.kind === "union") for (const arm of type.arms) collectValidationClauses(context, context.record(arm.recordName), into);
  }
  return into;
}

const malformedClauseIdOf = (protocolName: string, recordName: string): string => `${protocolName}.${recordName}.well_formed`;
const slotValidatorNameOf = (recordName: string, abi: IrLayoutAbi): string => `monitorValidate${recordName}Slot${abiSuffixOf(abi)}`;
const scratchNameOf = (recordName: string): string => `monitorScratch${recordName}`;
export const monitorSpecNameOf = (abi: IrLayoutAbi): string => `monitorSpec${abiSuffixOf(abi)}`;

function ofKind<K extends IrMonitorObligation["kind"]>(obligations: readonly IrMonitorObligation[], kind: K): (IrMonitorObligation & { kind: K })[] {
  return obligations.filter((obligation): obligation is IrMonitorObligation & { kind: K } => obligation.kind === kind);
}

function writeLifecycle(lifecycle: IrLifecycleObligation | undefined, handshake: IrHandshakeDeadlineObligation | undefined, clauses: Map<string, EmittedClause>, protocolName: string, firstRole: string): string {
  const illegal = lifecycle?.clauseId ?? `${protocolName}.lifecycle`;
  const missingKeys = `${illegal}_keys_published`;
  const location = lifecycle?.location ?? "";
  // A lifecycle violation is blamed on whichever role wrote the state, so the clause says so and
  // arbitration judges a complaint by the role its re-check blames; the owner only orders the table.
  clauses.set(illegal, { id: illegal, ownerRole: firstRole, location, summary: "every xenbus state change is a transition the lifecycle allows, with its peer guard", blameDecidedWhenFired: true });
  clauses.set(missingKeys, { id: missingKeys, ownerRole: firstRole, location, summary: "the keys a transition publishes exist before its state is written", blameDecidedWhenFired: true });
  const transitions = (lifecycle?.transitions ?? []).map(
    (transition) =>
      `{ role: ${JSON.stringify(transition.role)}, from: ${transition.from}, to: ${transition.to}, peerStates: ${JSON.stringify(transition.peerStates)}, requiredKeys: ${JSON.stringify(transition.requiredKeys)} }`,
  );
  let handshakeText = "";
  if (handshake !== undefined) {
    // Blame is decided when the deadline fires (the role that could move and did not); the owner only orders the table.
    clauses.set(handshake.clauseId, {
      id: handshake.clauseId,
      ownerRole: firstRole,
      location: handshake.location,
      summary: `both roles reach state ${handshake.state} within ${handshake.milliseconds} ms; blamed on a role short of it that could move and did not (both, when neither could)`,
      blameDecidedWhenFired: true,
    });
    handshakeText = `handshakeDeadline: { clauseId: ${JSON.stringify(handshake.clauseId)}, milliseconds: ${handshake.milliseconds} },\n`;
  }
  return `{
    illegalTransitionClauseId: ${JSON.stringify(illegal)},
    missingKeysClauseId: ${JSON.stringify(missingKeys)},
    initialState: ${lifecycle?.initialState ?? 1},
    connectedState: ${handshake?.state ?? 4},
    closingState: 5,
    closedState: ${lifecycle?.closedState ?? 6},
    ${handshakeText}transitions: [${transitions.join(",\n")}],
  }`;
}

function writeRing(
  context: EmitContext,
  lifecycle: IrLifecycleObligation | undefined,
  correlation: IrCorrelationObligation,
  indices: readonly IrRingIndexObligation[],
  deadline: IrDeadlineObligation | undefined,
  progress: IrProgressObligation | undefined,
  grant: IrGrantObligation | undefined,
  abi: IrLayoutAbi,
  clauses: Map<string, EmittedClause>,
  helperStatements: string[],
): string | undefined {
  const protocolName = context.protocol.name;
  const request = context.record(correlation.requestRecord);
  const response = context.record(correlation.responseRecord);
  const requestId = resolveIdField(context, request, correlation.requestIdField, abi);
  const responseId = resolveIdField(context, response, correlation.responseIdField, abi);
  // Without a fixed id place per layout the engine cannot correlate; the ring is left out rather than guessed.
  if (requestId === undefined || responseId === undefined) return undefined;
  const requester = correlation.requesterRole;
  const responder = correlation.responderRole;
  const add = (id: string, ownerRole: string, location: string, summary: string): string => {
    if (!clauses.has(id)) clauses.set(id, { id, ownerRole, location, summary });
    return id;
  };
  const indexFor = (direction: "requests" | "responses"): string => {
    const stated = indices.find((index) => index.direction === direction);
    const fallback = `${correlation.clauseId}.${direction === "requests" ? "request_index" : "response_index"}`;
    const producer = direction === "requests" ? requester : responder;
    return add(stated?.clauseId ?? fallback, stated?.producerRole ?? producer, stated?.location ?? correlation.location, `the ${direction === "requests" ? "request" : "response"} producer index of ring ${correlation.channel} stays within the ring`);
  };
  const requestIndex = indexFor("requests");
  const responseIndex = indexFor("responses");
  const base = correlation.clauseId;
  const duplicateRequestId = add(`${base}.request_id_unique`, requester, correlation.location, "no two outstanding requests share an id");
  const outstandingBound = add(`${base}.outstanding_bound`, requester, correlation.location, `at most ${correlation.outstandingBound} requests in flight`);
  const unknownResponseId = add(`${base}.response_id_known`, responder, correlation.location, "every response answers an outstanding request");
  const duplicateResponseId = add(`${base}.response_exactly_once`, responder, correlation.location, "no request is answered twice");
  const slotRewritten =
    correlation.slotUnchanged === undefined
      ? add(`${base}.slot_unchanged`, requester, correlation.location, "a published request is not rewritten while outstanding")
      : add(correlation.slotUnchanged.clauseId, correlation.slotUnchanged.ownerRole, correlation.slotUnchanged.location, "a published request is not rewritten while outstanding");
  for (const [record, owner] of [
    [request, requester],
    [response, responder],
  ] as const) {
    add(malformedClauseIdOf(protocolName, record.name), owner, correlation.location, `every ${record.name} decodes under the ${abi} layout`);
    const padding = context.protocol.monitor?.obligations.find((obligation): obligation is IrPaddingZeroObligation => obligation.kind === "padding-zero" && obligation.recordName === record.name);
    if (padding !== undefined) add(padding.clauseId, padding.blamedRole, padding.location, `the padding bytes of every ${record.name} are zero`);
    for (const clauseId of collectValidationClauses(context, record, new Map()).keys()) {
      add(clauseId, owner, context.protocol.monitor?.clauseLocations[clauseId] ?? correlation.location, `the \`where\` clause ${clauseId} holds for every ${record.name}`);
    }
  }
  const lines = [
    `name: ${JSON.stringify(correlation.channel)}`,
    `slotBytes: ${correlation.slotBytes[abi]}`,
    `entries: ${correlation.entries[abi]}`,
    `responseBytes: ${response.layouts[abi].size}`,
    `requesterRole: ${JSON.stringify(requester)}`,
    `responderRole: ${JSON.stringify(responder)}`,
    `requestId: { offset: ${requestId.offset}, widthBytes: ${requestId.widthBytes} }`,
    `responseId: { offset: ${responseId.offset}, widthBytes: ${responseId.widthBytes} }`,
    `outstandingBound: ${correlation.outstandingBound}`,
    `requestIndexClauseId: ${JSON.stringify(requestIndex)}`,
    `responseIndexClauseId: ${JSON.stringify(responseIndex)}`,
    `duplicateRequestIdClauseId: ${JSON.stringify(duplicateRequestId)}`,
    `outstandingBoundClauseId: ${JSON.stringify(outstandingBound)}`,
    `unknownResponseIdClauseId: ${JSON.stringify(unknownResponseId)}`,
    `duplicateResponseIdClauseId: ${JSON.stringify(duplicateResponseId)}`,
    `slotRewrittenClauseId: ${JSON.stringify(slotRewritten)}`,
  ];
  if (deadline !== undefined) {
    const clauseId = add(deadline.clauseId, deadline.blamedRole, deadline.location, `a request is answered within ${deadline.milliseconds} ms`);
    lines.push(`deadline: { clauseId: ${JSON.stringify(clauseId)}, milliseconds: ${deadline.milliseconds} }`);
  }
  if (progress !== undefined) {
    const clauseId = add(progress.clauseId, progress.blamedRole, progress.location, `while requests are outstanding the ${progress.blamedRole} publishes a response within ${progress.milliseconds} ms`);
    lines.push(`progress: { clauseId: ${JSON.stringify(clauseId)}, milliseconds: ${progress.milliseconds} }`);
  }
  const grantFunctions = grant === undefined ? undefined : writeGrantFunctions(context, grant, abi);
  if (grant !== undefined && grantFunctions !== undefined) {
    // The guarantee names the whole obligation; its parts get sub-ids so a report says which part broke.
    const notGranted = add(grant.clauseId, grant.granterRole, grant.location, "each grant reference a request carries is granted to the peer while it is outstanding");
    const readOnly = add(`${grant.clauseId}.writable`, grant.granterRole, grant.location, "grants the peer must write into are writable");
    const ended = add(`${grant.clauseId}.kept`, grant.granterRole, grant.location, "the granter does not end access while the request is outstanding");
    const stillMapped =
      grant.unmappedClause === undefined
        ? add(`${grant.clauseId}.unmapped`, responder, grant.location, "the responder unmaps the request's grants before responding")
        : add(
            grant.unmappedClause.clauseId,
            grant.unmappedClause.ownerRole,
            grant.unmappedClause.location,
            grant.unmappedClause.exemptions.length === 0 ? "the responder unmaps the request's grants before responding" : "the responder unmaps the request's grants before responding, unless a store-key exemption of the guarantee holds",
          );
    helperStatements.push(...grantFunctions.statements);
    lines.push(`grants: {
  notGrantedClauseId: ${JSON.stringify(notGranted)},
  readOnlyClauseId: ${JSON.stringify(readOnly)},
  endedWhileOutstandingClauseId: ${JSON.stringify(ended)},
  stillMappedAtResponseClauseId: ${JSON.stringify(stillMapped)},
  countReferences: ${grantFunctions.count},
  maximumReferences: ${grantFunctions.placement.capacity},
  referenceOffset: (index: number) => ${grantFunctions.placement.firstOffset} + index * ${grantFunctions.placement.stride},
  requiresWritable: ${grantFunctions.writable},
  unmapBeforeResponse: ${grant.unmapBeforeResponse},${writeUnmapExemptions(grant)}
}`);
  }
  lines.push(`requestValidator: ${slotValidatorNameOf(request.name, abi)}`, `responseValidator: ${slotValidatorNameOf(response.name, abi)}`);
  const requesterDataStates = lifecycle?.dataStates.find((entry) => entry.role === requester);
  if (lifecycle !== undefined && requesterDataStates !== undefined) {
    const clauseId = add(lifecycle.dataClauseId, requester, lifecycle.location, "ring messages flow only in the states the lifecycle's `data when` allows");
    lines.push(`messagesAllowedInRequesterStates: { clauseId: ${JSON.stringify(clauseId)}, states: ${JSON.stringify(requesterDataStates.states)} }`);
  }
  return `{\n${lines.join(",\n")},\n}`;
}

/** The `unmapExemptions` member (one array of key conditions per exemption), or nothing when the unmap clause has none. */
function writeUnmapExemptions(grant: IrGrantObligation): string {
  const exemptions = grant.unmappedClause?.exemptions ?? [];
  if (exemptions.length === 0) return "";
  const conjunctions = exemptions.map(
    (conjunction) =>
      `[${conjunction.map((condition) => `{ role: ${JSON.stringify(condition.role)}, key: ${JSON.stringify(condition.key)}, expected: ${condition.expected}, valueWhenAbsent: ${condition.valueWhenAbsent} }`).join(", ")}]`,
  );
  return `\n  unmapExemptions: [${conjunctions.join(", ")}],`;
}

/** `base + offset` as code, folded when the base is a constant. */
function addOffset(base: string, offset: number): string {
  return /^[0-9]+$/.test(base) ? String(Number(base) + offset) : offset === 0 ? base : `${base} + ${offset}`;
}

/** A read of an unsigned little-endian integer at a computed offset (1, 2 or 4 bytes). */
function writeUnsignedReadAt(width: number, offset: string): string | undefined {
  if (width === 1) return `view.getUint8(${offset})`;
  if (width === 2) return `view.getUint16(${offset}, true)`;
  if (width === 4) return `view.getUint32(${offset}, true)`;
  return undefined;
}

/**
 * Statements returning `clauseId` when a padding byte of `record` (placed at `base` in the
 * slot) is not zero: its own padding ranges, those of nested records, of each live element of
 * an array of records (every element when the array has no count field) and of the active arm
 * of a message variant (chosen by its discriminant), including the union's bytes past the end
 * of that arm. Offsets follow the ABI's layout.
 */
function writePaddingChecks(context: EmitContext, record: IrRecord, abi: IrLayoutAbi, base: string, clauseId: string, depth: number): string[] {
  const layout = record.layouts[abi];
  const failed = `return ${JSON.stringify(clauseId)};`;
  const lines = layout.padding.map((range) => {
    const start = addOffset(base, range.offset);
    if (range.length === 1) return `if (slot[${start}] !== 0) ${failed}`;
    return `for (let index = ${start}; index < ${addOffset(base, range.offset + range.length)}; index++) if (slot[index] !== 0) ${failed}`;
  });
  for (const [index, field] of record.fields.entries()) {
    const fieldLayout = layout.fields[index];
    if (fieldLayout === undefined) continue;
    const type = field.type;
    const fieldBase = addOffset(base, fieldLayout.offset);
    if (type.kind === "record") {
      lines.push(...writePaddingChecks(context, context.record(type.recordName), abi, fieldBase, clauseId, depth + 1));
    } else if (type.kind === "array" && type.element.kind === "record") {
      const element = context.record(type.element.recordName);
      const stride = fieldLayout.stride ?? element.layouts[abi].size;
      const variable = `element${depth}`;
      const inner = writePaddingChecks(context, element, abi, `${variable}Base`, clauseId, depth + 1);
      if (inner.length === 0) continue;
      const countIndex = type.countField === undefined ? -1 : record.fields.findIndex((candidate) => candidate.name === type.countField);
      const countField = record.fields[countIndex];
      const countLayout = layout.fields[countIndex];
      const countWidth = countField === undefined ? 0 : countField.type.kind === "integer" ? countField.type.width : 0;
      const countRead = countLayout === undefined ? undefined : writeUnsignedReadAt(countWidth, addOffset(base, countLayout.offset));
      const live = countRead === undefined ? String(type.capacity) : `Math.min(${countRead}, ${type.capacity})`;
      lines.push(`for (let ${variable} = 0; ${variable} < ${live}; ${variable}++) {\nconst ${variable}Base = ${addOffset(base, fieldLayout.offset)} + ${variable} * ${stride};\n${inner.join("\n")}\n}`);
    } else if (type.kind === "union") {
      const discriminantIndex = record.fields.findIndex((candidate) => candidate.name === type.discriminantField);
      const discriminant = record.fields[discriminantIndex];
      const discriminantLayout = layout.fields[discriminantIndex];
      if (discriminant === undefined || discriminantLayout === undefined) continue;
      const width = discriminant.type.kind === "integer" ? discriminant.type.width : discriminant.type.kind === "enum" ? context.enumeration(discriminant.type.enumName).width : 0;
      const read = writeUnsignedReadAt(width, addOffset(base, discriminantLayout.offset));
      if (read === undefined) continue;
      const cases = type.arms.flatMap((arm) => {
        const armRecord = context.record(arm.recordName);
        const inner = writePaddingChecks(context, armRecord, abi, fieldBase, clauseId, depth + 1);
        // The bytes from the end of the active variant to the end of the union are padding too (encoders zero them).
        const armEnd = armRecord.layouts[abi].size;
        if (armEnd < fieldLayout.size) {
          inner.push(`for (let index = ${addOffset(fieldBase, armEnd)}; index < ${addOffset(fieldBase, fieldLayout.size)}; index++) if (slot[index] !== 0) ${failed}`);
        }
        if (inner.length === 0) return [];
        const labels = arm.isDefault ? ["default:"] : arm.discriminantValues.map((value) => `case ${value}:`);
        return [`${labels.join("\n")} {\n${inner.join("\n")}\nbreak;\n}`];
      });
      if (cases.length > 0) lines.push(`switch (${read}) {\n${cases.join("\n")}\n}`);
    }
  }
  return lines;
}

/**
 * The slot validators: decode into a module-level scratch value and name the clause that
 * failed; with a `padding_is_zero` guarantee, every padding byte of the record's layout is zero,
 * nested records and the active variant included.
 */
function writeSlotValidator(context: EmitContext, record: IrRecord, abi: IrLayoutAbi, padding: IrPaddingZeroObligation | undefined): string {
  context.imports.useValue("dataViewOfSlot");
  context.imports.useValue("ValidationError");
  const malformed = JSON.stringify(malformedClauseIdOf(context.protocol.name, record.name));
  const paddingChecks = padding === undefined ? [] : writePaddingChecks(context, record, abi, "0", padding.clauseId, 0);
  return `/** Checks a ${record.name} slot (${abi} layout) for the monitor: the failed clause id, or null. */
function ${slotValidatorNameOf(record.name, abi)}(slot: Uint8Array): string | null {
  const view = dataViewOfSlot(slot);
  const error = ${decodeValidatedFunctionNameOf(record.name, abi)}(view, 0, ${scratchNameOf(record.name)});
  if (error !== undefined) return error instanceof ValidationError ? error.clauseId : ${malformed};
  ${paddingChecks.join("\n")}
  return null;
}`;
}

/** The per-role event budgets and store quota clauses of a spec, as object members (empty when there are none). */
function writeConnectionClauses(budgets: readonly IrEventBudgetObligation[], quotas: readonly IrStoreQuotaObligation[], clauses: Map<string, EmittedClause>): string {
  let text = "";
  if (budgets.length > 0) {
    const entries = budgets.map((budget) => {
      if (!clauses.has(budget.clauseId)) clauses.set(budget.clauseId, { id: budget.clauseId, ownerRole: budget.role, location: budget.location, summary: `the ${budget.role} sends at most ${budget.maximumEvents} notifications per ${budget.windowMilliseconds} ms` });
      return `{ role: ${JSON.stringify(budget.role)}, clauseId: ${JSON.stringify(budget.clauseId)}, maximumEvents: ${budget.maximumEvents}, windowMilliseconds: ${budget.windowMilliseconds} }`;
    });
    text += `\n  eventBudgets: [${entries.join(",\n")}],`;
  }
  if (quotas.length > 0) {
    const entries = quotas.map((quota) => {
      if (!clauses.has(quota.clauseId)) clauses.set(quota.clauseId, { id: quota.clauseId, ownerRole: quota.role, location: quota.location, summary: `no store request of the ${quota.role} fails for lack of quota` });
      return `{ role: ${JSON.stringify(quota.role)}, clauseId: ${JSON.stringify(quota.clauseId)} }`;
    });
    text += `\n  storeQuotaClauses: [${entries.join(",\n")}],`;
  }
  return text;
}

/** The monitor section of a protocol module; empty when the protocol has no ring exchange to monitor. */
export function emitMonitorSpecs(context: EmitContext): (StatementStructures | string)[] {
  const obligations = context.protocol.monitor?.obligations ?? [];
  const correlations = ofKind(obligations, "correlation");
  if (correlations.length === 0) return [];
  const lifecycle = ofKind(obligations, "lifecycle")[0];
  const [firstRole = "", secondRole = ""] = context.protocol.roles;
  const statements: (StatementStructures | string)[] = [];
  const validated = new Set<string>();
  for (const correlation of correlations) {
    for (const recordName of [correlation.requestRecord, correlation.responseRecord]) {
      if (validated.has(recordName)) continue;
      validated.add(recordName);
      statements.push({
        kind: StructureKind.VariableStatement,
        declarationKind: VariableDeclarationKind.Const,
        docs: [`The value monitor validators decode ${recordName} slots into (one per module; validation is synchronous).`],
        declarations: [{ name: scratchNameOf(recordName), initializer: `${createFunctionNameOf(recordName)}()` }],
      });
      const padding = ofKind(obligations, "padding-zero").find((obligation) => obligation.recordName === recordName);
      for (const abi of context.layoutAbis) statements.push(writeSlotValidator(context, context.record(recordName), abi, padding));
    }
  }
  context.imports.useType("MonitorSpec");
  for (const abi of context.layoutAbis) {
    const clauses = new Map<string, EmittedClause>();
    const helperStatements: string[] = [];
    const lifecycleText = writeLifecycle(lifecycle, ofKind(obligations, "handshake-deadline")[0], clauses, context.protocol.name, firstRole);
    const unmonitoredRings: string[] = [];
    const rings = correlations
      .map((correlation) => {
        const ring = writeRing(
          context,
          lifecycle,
          correlation,
          ofKind(obligations, "ring-index").filter((index) => index.channel === correlation.channel),
          ofKind(obligations, "deadline").find((deadline) => deadline.channel === correlation.channel),
          ofKind(obligations, "progress").find((progress) => progress.channel === correlation.channel),
          ofKind(obligations, "grant").find((grant) => grant.channel === correlation.channel && grant.requestRecord === correlation.requestRecord),
          abi,
          clauses,
          helperStatements,
        );
        if (ring === undefined) unmonitoredRings.push(correlation.channel);
        return ring;
      })
      .filter((ring): ring is string => ring !== undefined);
    // Said in the generated file itself, so a reader of the spec sees what the monitor skips.
    const omission =
      unmonitoredRings.length === 0
        ? ""
        : ` Not monitored: ring(s) ${unmonitoredRings.join(", ")}, whose request or response id is not a 1-, 2-, 4- or 8-byte integer at one offset in every variant (the engine correlates only those).`;
    const connectionClauses = writeConnectionClauses(ofKind(obligations, "event-budget"), ofKind(obligations, "store-quota"), clauses);
    // Store key clauses: blamed on the role whose store states them (emit-store-key-clauses.ts writes the table).
    const storeKeyClauses = storeKeyClausesOf(context);
    for (const clause of storeKeyClauses?.clauses ?? []) {
      if (!clauses.has(clause.clauseId)) clauses.set(clause.clauseId, { id: clause.clauseId, ownerRole: clause.role, location: clause.location, summary: `the ${clause.role}'s store keys satisfy \`${clause.text}\`` });
    }
    const storeKeyClausesText = storeKeyClauses === undefined ? "" : `\n  storeKeyClauses: ${storeKeyClausesNameOf()},`;
    statements.push(...helperStatements);
    const clauseTexts = [...clauses.values()].map(
      (clause) => `{ id: ${JSON.stringify(clause.id)}, ownerRole: ${JSON.stringify(clause.ownerRole)}, specSpan: ${JSON.stringify(clause.location)}, summary: ${JSON.stringify(clause.summary)}${clause.blameDecidedWhenFired === true ? ", blameDecidedWhenFired: true" : ""} }`,
    );
    statements.push({
      kind: StructureKind.VariableStatement,
      declarationKind: VariableDeclarationKind.Const,
      isExported: true,
      docs: [`What a per-connection monitor checks on a ${context.protocol.name} connection whose rings use the ${abi} layout.${omission}`],
      declarations: [
        {
          name: monitorSpecNameOf(abi),
          type: "MonitorSpec",
          initializer: `{
  protocol: ${JSON.stringify(context.protocol.name)},
  version: ${context.protocol.version},
  roles: [${JSON.stringify(firstRole)}, ${JSON.stringify(secondRole)}],
  clauses: [${clauseTexts.join(",\n")}],
  rings: [${rings.join(",\n")}],
  lifecycle: ${lifecycleText},${connectionClauses}${storeKeyClausesText}
}`,
        },
      ],
    });
  }
  const byAbi = context.protocol.abis.map((abi) => `${JSON.stringify(abi.name)}: ${monitorSpecNameOf(abi.layout)}`);
  statements.push({
    kind: StructureKind.VariableStatement,
    declarationKind: VariableDeclarationKind.Const,
    isExported: true,
    docs: ["The monitor description for each ABI a peer may announce, by ABI name."],
    declarations: [{ name: "monitorSpecByAbi", type: "Readonly<Record<string, MonitorSpec>>", initializer: `{ ${byAbi.join(", ")} }` }],
  });
  return statements;
}
