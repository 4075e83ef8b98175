// Channels: request/response rings (messages, producers, page orders and geometry per ABI),
// console-style byte-stream rings, and multi-slot packets carried on a ring.
import type { Expression, Identifier, PacketDeclaration, QualifiedName, RingDeclaration, StreamDeclaration } from "../syntax/ast.js";
import { constantFolderFor } from "./analyze-declarations.js";
import { storeKeyUpperBound } from "./store-key-bound.js";
import { createScope, ExpressionChecker, type ScopeEntry } from "./check-expressions.js";
import type { ConstraintModel, PacketPartModel, RecordModel, StreamDirectionModel } from "./model.js";
import type { ProtocolContext } from "./protocol-context.js";
import { computeRingGeometry } from "./ring-geometry.js";
import { didYouMean } from "./suggest-names.js";
import type { ValueType } from "./value-types.js";

/** Page orders above this would mean rings larger than 16 MiB: certainly a mistake. */
export const maximumPageOrder = 12;

function resolveRecordName(context: ProtocolContext, name: QualifiedName | Identifier, what: string): RecordModel | undefined {
  const identifier = name.kind === "QualifiedName" ? name.parts[0] : name;
  if (identifier === undefined) return undefined;
  if (name.kind === "QualifiedName" && name.parts.length > 1) {
    context.sink.report("PD2001", name.span, `${what} must name a record of this protocol`);
    return undefined;
  }
  const declaration = context.declarations.get(identifier.text);
  if (declaration === undefined) {
    const records = [...context.declarations.values()].filter((entry) => entry.kind === "StructDeclaration").map((entry) => entry.name.text);
    context.sink.report("PD2001", identifier.span, `unknown ${what} '${identifier.text}'${didYouMean(identifier.text, records)}`);
    return undefined;
  }
  if (declaration.kind !== "StructDeclaration") {
    context.sink.report("PD2036", identifier.span, `'${identifier.text}' is not a struct or message`);
    return undefined;
  }
  // A record that failed to resolve already has its own diagnostic.
  return context.recordModels.get(identifier.text);
}

export function analyzeRings(context: ProtocolContext): void {
  for (const declaration of context.declarations.values()) if (declaration.kind === "RingDeclaration") analyzeRing(context, declaration);
}

function analyzeRing(context: ProtocolContext, ring: RingDeclaration): void {
  const requests = ring.members.filter((member) => member.kind === "RingMessageMember" && member.direction === "request");
  const responses = ring.members.filter((member) => member.kind === "RingMessageMember" && member.direction === "response");
  const orders = ring.members.filter((member) => member.kind === "RingOrderMember");
  let complete = true;
  if (requests.length === 0 || responses.length === 0) {
    context.sink.report("PD3010", ring.name.span, `ring ${ring.name.text} needs at least one \`request\` and one \`response\` message`);
    complete = false;
  }
  if (orders.length !== 1) {
    context.sink.report("PD3010", orders[1]?.span ?? ring.name.span, `ring ${ring.name.text} needs exactly one \`order\` member, but has ${orders.length}`);
    complete = false;
  }
  // Every message a slot may hold, per direction; the first of each is the one exchanges correlate.
  const resolveDirection = (members: typeof requests, what: "request" | "response"): RecordModel[] => {
    const records: RecordModel[] = [];
    for (const member of members) {
      if (member.kind !== "RingMessageMember") continue;
      const record = resolveRecordName(context, member.messageType, `${what} message`);
      if (record === undefined) {
        complete = false;
        continue;
      }
      if (!record.isMessage) {
        context.sink.report("PD3011", member.messageType.span, `${record.name} is a struct; a ring carries messages (declare it \`message ${record.name} from ROLE\`)`);
        complete = false;
        continue;
      }
      const first = records[0];
      if (first !== undefined && first.sender !== record.sender) {
        context.sink.report("PD3012", member.messageType.span, `${record.name} is sent by ${record.sender ?? "?"} but ${first.name} by ${first.sender ?? "?"}; one role produces all ${what}s of a ring`);
        complete = false;
        continue;
      }
      records.push(record);
    }
    return records;
  };
  const requestRecords = resolveDirection(requests, "request");
  const responseRecords = resolveDirection(responses, "response");
  const requestRecord = requestRecords[0];
  const responseRecord = responseRecords[0];
  const firstResponse = responses[0];
  if (requestRecord?.sender !== undefined && requestRecord.sender === responseRecord?.sender && firstResponse?.kind === "RingMessageMember") {
    context.sink.report("PD3012", firstResponse.messageType.span, `both ${requestRecord.name} and ${responseRecord.name} are sent by ${requestRecord.sender}; requests and responses come from different roles`);
    complete = false;
  }
  const order = orders[0];
  const orderRange = order?.kind === "RingOrderMember" ? resolvePageOrders(context, order.range) : undefined;
  if (!complete || requestRecord === undefined || responseRecord === undefined || orderRange === undefined) return;
  const geometry = new Map(context.targetAbis.map((abi) => {
    const largest = (records: readonly RecordModel[]): number => Math.max(...records.map((record) => record.layouts.get(abi)?.size ?? 0));
    return [abi, computeRingGeometry(largest(requestRecords), largest(responseRecords), orderRange.orders)] as const;
  }));
  for (const [abi, entry] of geometry) {
    const empty = entry.byOrder.find((candidate) => candidate.entries === 0);
    if (empty !== undefined) {
      context.sink.report("PD3014", ring.name.span, `on ${abi}, a ${entry.slotSize}-byte slot does not fit a ring of page order ${empty.pageOrder}`);
      return;
    }
  }
  context.ringModels.set(ring.name.text, {
    name: ring.name.text,
    span: ring.name.span,
    requestMessage: requestRecord.name,
    responseMessage: responseRecord.name,
    requestMessages: requestRecords.map((record) => record.name),
    responseMessages: responseRecords.map((record) => record.name),
    requestProducer: requestRecord.sender ?? "",
    responseProducer: responseRecord.sender ?? "",
    pageOrders: orderRange.orders,
    pageOrderKey: orderRange.key,
    geometry,
    doc: ring.doc?.text,
  });
}

function resolvePageOrders(context: ProtocolContext, range: Expression): { orders: number[]; key: { role: string; key: string } | undefined } | undefined {
  if (range.kind !== "RangeExpression") {
    context.sink.report("PD3013", range.span, "a ring's `order` is a range such as `0 ..= 0` or `0 ..= backend.max-ring-page-order`");
    return undefined;
  }
  const fold = (expression: Expression): number | undefined => {
    const folded = constantFolderFor(context).fold(expression);
    if (folded === undefined) return undefined;
    if (folded.kind !== "integer") {
      context.sink.report("PD3013", expression.span, "a page order is an integer");
      return undefined;
    }
    return Number(folded.value);
  };
  const start = fold(range.start);
  let end: number | undefined;
  let key: { role: string; key: string } | undefined;
  const bound = range.end;
  if (bound.kind === "MemberExpression" && bound.object.kind === "NameExpression" && context.roles.has(bound.object.name.text)) {
    const role = bound.object.name.text;
    const keyModel = context.findStoreKey(role, bound.member.text);
    if (keyModel === undefined) {
      context.sink.report("PD2032", bound.member.span, `role ${role} declares no store key '${bound.member.text}'${didYouMean(bound.member.text, context.storeKeyNames(role))}`);
      return undefined;
    }
    const upper = storeKeyUpperBound(context, keyModel);
    if (upper === undefined) {
      context.sink.report("PD3013", bound.span, `the page order is bounded by ${role}.${keyModel.name}, whose declaration has no maximum; add e.g. \`where value <= 4\``);
      return undefined;
    }
    end = range.inclusive ? upper : upper - 1;
    key = { role, key: keyModel.name };
  } else {
    const folded = fold(bound);
    end = folded === undefined ? undefined : range.inclusive ? folded : folded - 1;
  }
  if (start === undefined || end === undefined) return undefined;
  if (start < 0 || end > maximumPageOrder || start > end) {
    context.sink.report("PD3013", range.span, `page orders ${start} ..= ${end} are not a non-empty range within 0 ..= ${maximumPageOrder}`);
    return undefined;
  }
  const orders: number[] = [];
  for (let value = start; value <= end; value++) orders.push(value);
  return { orders, key };
}

export function analyzeStreams(context: ProtocolContext): void {
  for (const declaration of context.declarations.values()) if (declaration.kind === "StreamDeclaration") analyzeStream(context, declaration);
}

function analyzeStream(context: ProtocolContext, stream: StreamDeclaration): void {
  const record = resolveRecordName(context, stream.layout, "stream layout");
  if (record === undefined) return;
  const layout = record.layouts.get(context.targetAbis[0] ?? "x86_64");
  const directions: StreamDirectionModel[] = [];
  for (const direction of stream.directions) {
    const writer = context.requireRole(direction.writer, `the writer of stream direction ${direction.name.text}`);
    const field = (identifier: Identifier) => {
      const found = record.fields.find((candidate) => candidate.name === identifier.text && candidate.variantPath.length === 0);
      if (found === undefined) context.sink.report("PD3015", identifier.span, `${record.name} has no field '${identifier.text}'${didYouMean(identifier.text, record.fields.map((entry) => entry.name))}`);
      return found;
    };
    const data = field(direction.data);
    const producer = field(direction.producerIndex);
    const consumer = field(direction.consumerIndex);
    let bufferBytes = 0;
    if (data !== undefined) {
      const type = data.type;
      const bytes = type.kind === "array" && type.element.kind === "scalar" && (type.element.scalar === "char" || type.element.scalar === "u8") ? type.capacity : undefined;
      if (bytes === undefined || (bytes & (bytes - 1)) !== 0) {
        context.sink.report("PD3015", direction.data.span, `stream data '${data.name}' must be a char[N] or u8[N] buffer with N a power of two`);
      } else bufferBytes = bytes;
    }
    for (const [index, identifier] of [[producer, direction.producerIndex], [consumer, direction.consumerIndex]] as const) {
      if (index !== undefined && !(index.type.kind === "scalar" && index.type.scalar === "u32")) {
        context.sink.report("PD3015", identifier.span, `stream index '${index.name}' must be a free-running u32`);
      }
    }
    if (writer === undefined || data === undefined || producer === undefined || consumer === undefined || bufferBytes === 0) continue;
    directions.push({ name: direction.name.text, writer, dataField: data.name, producerField: producer.name, consumerField: consumer.name, bufferBytes });
  }
  if (layout === undefined) return;
  context.streamModels.set(stream.name.text, { name: stream.name.text, span: stream.name.span, layoutRecord: record.name, directions, doc: stream.doc?.text });
}

export function analyzePackets(context: ProtocolContext): void {
  for (const declaration of context.declarations.values()) if (declaration.kind === "PacketDeclaration") analyzePacket(context, declaration);
}

function analyzePacket(context: ProtocolContext, packet: PacketDeclaration): void {
  const ring = context.ringModels.get(packet.ring.text);
  if (ring === undefined) {
    const target = context.declarations.get(packet.ring.text);
    if (target === undefined) context.sink.report("PD2001", packet.ring.span, `unknown ring '${packet.ring.text}'${didYouMean(packet.ring.text, [...context.declarations.values()].filter((entry) => entry.kind === "RingDeclaration").map((entry) => entry.name.text))}`);
    else if (target.kind !== "RingDeclaration") context.sink.report("PD3016", packet.ring.span, `'${packet.ring.text}' is not a request/response ring`);
    return;
  }
  const producer = packet.direction === "request" ? ring.requestProducer : ring.responseProducer;
  const checker = new ExpressionChecker(context, { allowStates: false });
  const entries = new Map<string, ScopeEntry>();
  const parts: PacketPartModel[] = [];

  const smallestRing = Math.min(...[...ring.geometry.values()].flatMap((geometry) => geometry.byOrder.map((order) => order.entries)));
  for (const member of packet.members) {
    if (member.kind !== "PacketPart") continue;
    const record = resolveRecordName(context, member.slotType, "packet slot type");
    if (record === undefined) continue;
    if (!record.isMessage || record.sender !== producer) {
      context.sink.report("PD3016", member.slotType.span, `part '${member.name.text}' must be a message sent by ${producer} (the ${packet.direction} producer of ring ${ring.name})`);
      continue;
    }
    const tooLarge = [...record.layouts].find(([abi, layout]) => layout.size > (ring.geometry.get(abi)?.slotSize ?? 0));
    if (tooLarge !== undefined) {
      context.sink.report("PD3016", member.slotType.span, `${record.name} (${tooLarge[1].size} bytes on ${tooLarge[0]}) does not fit a ${ring.geometry.get(tooLarge[0])?.slotSize ?? 0}-byte slot of ring ${ring.name}`);
      continue;
    }
    const partScope = createScope(entries);
    if (member.startCondition !== undefined) checker.checkCondition(member.startCondition, partScope, "a packet part's `if` condition");
    const elementType: ValueType = { kind: "record", recordName: record.name };
    if (member.continueCondition !== undefined) {
      const lastScope = createScope(new Map([["last", { type: elementType }]]), partScope);
      checker.checkCondition(member.continueCondition, lastScope, "a packet part's `while` condition");
    }
    if (member.repeated && member.continueCondition === undefined) {
      context.sink.report("PD3016", member.span, `repeated part '${member.name.text}' needs a \`while\` condition saying when it ends`);
    }
    entries.set(member.name.text, { type: member.repeated ? { kind: "sequence", element: elementType, maximumLength: smallestRing } : elementType });
    parts.push({ name: member.name.text, slotMessage: record.name, repeated: member.repeated, startCondition: member.startCondition, continueCondition: member.continueCondition, span: member.span });
  }
  const constraints: ConstraintModel[] = [];
  let index = 0;
  for (const member of packet.members) {
    if (member.kind !== "WhereClause") continue;
    index++;
    checker.checkCondition(member.condition, createScope(entries), "a packet constraint");
    constraints.push({ label: member.label?.text ?? `where_${index}`, hasExplicitLabel: member.label !== undefined, span: member.span, condition: member.condition });
  }
  context.packetModels.set(packet.name.text, { name: packet.name.text, span: packet.name.span, ring: ring.name, direction: packet.direction, parts, constraints, doc: packet.doc?.text });
}
