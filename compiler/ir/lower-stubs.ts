// Lowers what a protocol's typed frontend/backend stubs need from the semantic model: the first
// exchange over a ring the split-connection runtime can carry (records, the correlation id's
// place per layout, fields to echo), the ring transport's keys and page orders, the ABI selector
// key, and the typed store keys each role publishes before each xenbus state it announces.
// Every other exchange gets no stubs and a PD6006 warning that names the reason.
import { createDiagnostic } from "../diagnostics/definition.js";
import { codegenDiagnostics } from "../diagnostics/codes/codegen.js";
import type { Diagnostic, PhaseResult } from "../diagnostics/diagnostic.js";
import type { ExchangeModel, ProtocolModel, RingModel, StoreKeyModel, StoreRoleModel } from "../semantic/model.js";
import type { Expression } from "../syntax/ast.js";
import { type IrFieldPlacement, type IrFieldType, placeFieldInLayout } from "./field-placement.js";
import type { IrLayoutAbi, IrRecord } from "./protocol.js";
import { defaultValueOf } from "./store-key-defaults.js";
import type { IrStubEchoedField, IrStubIntegerWidth, IrStubKey, IrStubKeyType, IrStubPublication, IrStubSlotLayout, IrStubs } from "./stubs.js";

/** The split-connection runtime supports ring page orders 0..4, as Xen's blkback does. */
const highestSupportedRingPageOrder = 4;

/** Width of an integer-like field type (integers, enums, resources, bools), undefined for compound types. */
function scalarWidthOf(type: IrFieldType, enumWidths: ReadonlyMap<string, IrStubIntegerWidth>): IrStubIntegerWidth | undefined {
  switch (type.kind) {
    case "integer":
      return type.width;
    case "enum":
      return enumWidths.get(type.enumName);
    case "resource":
      return 4;
    case "bool":
      return 1;
    default:
      return undefined;
  }
}

/** Where a correlated field sits in one layout (see placeFieldInLayout), read as an integer-like scalar. */
function placeField(records: ReadonlyMap<string, IrRecord>, enumWidths: ReadonlyMap<string, IrStubIntegerWidth>, record: IrRecord, path: readonly string[], abi: IrLayoutAbi): IrFieldPlacement<IrStubIntegerWidth> | undefined {
  return placeFieldInLayout((name) => records.get(name), (type) => scalarWidthOf(type, enumWidths), record, path, abi);
}

/** Names (bare identifiers) an expression mentions, e.g. `ring-page-order` in `0 .. 1 << ring-page-order`. */
function collectNames(expression: Expression | undefined, into: Set<string>): Set<string> {
  if (expression === undefined) return into;
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    const candidate = node as { kind?: unknown; name?: { text?: unknown } };
    if (candidate.kind === "NameExpression" && typeof candidate.name?.text === "string") into.add(candidate.name.text);
    for (const [key, value] of Object.entries(node)) if (key !== "span") visit(value);
  };
  visit(expression);
  return into;
}

function keyTypeOf(protocol: ProtocolModel, key: StoreKeyModel): IrStubKeyType | undefined {
  const type = key.type;
  const widthOf = (scalar: string): IrStubIntegerWidth => (scalar.endsWith("64") ? 8 : scalar.endsWith("32") || scalar === "grant" || scalar === "evtchn" ? 4 : scalar.endsWith("16") ? 2 : 1);
  switch (type.kind) {
    case "scalar":
      if (type.scalar === "bool") return { kind: "bool" };
      return { kind: "integer", width: widthOf(type.scalar), signed: type.scalar.startsWith("i") };
    case "enum": {
      const enumeration = protocol.enums.find((candidate) => candidate.name === type.enumName);
      if (enumeration === undefined) return undefined;
      return { kind: "enum", enumName: type.enumName, width: widthOf(type.scalar), signed: type.scalar.startsWith("i") };
    }
    case "string":
      return { kind: "string" };
    case "abi":
      return { kind: "string" };
  }
}


function lowerKey(protocol: ProtocolModel, key: StoreKeyModel, required: boolean): IrStubKey | undefined {
  const type = keyTypeOf(protocol, key);
  if (type === undefined) return undefined;
  const defaultValue = defaultValueOf(protocol, key.defaultValue);
  return defaultValue === undefined ? { key: key.name, type, required, span: key.span } : { key: key.name, type, required, defaultValue, span: key.span };
}

/**
 * Groups one role's keys by the state announced after publishing them. `supportedStates` are
 * the states the connection runtime publishes before (the first is where keys named by other
 * transitions go); keys no transition names join `unnamedKeysState` as optional members.
 */
function lowerPublications(
  protocol: ProtocolModel,
  role: string,
  store: StoreRoleModel | undefined,
  excludedKeys: ReadonlySet<string>,
  supportedStates: readonly string[],
  unnamedKeysState: string,
): IrStubPublication[] {
  const keysByState = new Map<string, IrStubKey[]>(supportedStates.map((state) => [state, []]));
  const named = new Set<string>();
  const lifecycleRole = protocol.lifecycle?.roles.find((candidate) => candidate.role === role);
  const fallbackState = supportedStates[0] ?? unnamedKeysState;
  for (const transition of lifecycleRole?.transitions ?? []) {
    const state = supportedStates.includes(transition.to) ? transition.to : fallbackState;
    for (const keyName of transition.publishes) {
      if (excludedKeys.has(keyName) || named.has(keyName)) continue;
      const key = store?.keys.find((candidate) => candidate.name === keyName && candidate.familyRange === undefined);
      const lowered = key === undefined ? undefined : lowerKey(protocol, key, true);
      if (lowered === undefined) continue;
      named.add(keyName);
      keysByState.get(state)?.push(lowered);
    }
  }
  for (const key of store?.keys ?? []) {
    if (named.has(key.name) || excludedKeys.has(key.name) || key.familyRange !== undefined) continue;
    const lowered = lowerKey(protocol, key, false);
    if (lowered !== undefined) keysByState.get(unnamedKeysState)?.push(lowered);
  }
  return supportedStates.map((state) => ({ state, keys: keysByState.get(state) ?? [] }));
}

/**
 * Why one exchange gets no stubs: a reason for the PD6006 warning, or `reported` when an error
 * elsewhere (a record the back end could not lower) already explains it and a warning would be noise.
 */
type ExchangeStubsOutcome = { readonly kind: "stubs"; readonly stubs: IrStubs } | { readonly kind: "unsupported"; readonly reason: string } | { readonly kind: "reported" };

/** The byte width of an enum's base type. */
function enumWidthOf(baseType: string): IrStubIntegerWidth {
  return baseType.endsWith("64") ? 8 : baseType.endsWith("32") ? 4 : baseType.endsWith("16") ? 2 : 1;
}

/** The stubs of one exchange over `ring`, or why the split-connection runtime cannot carry it. */
function lowerExchangeStubs(protocol: ProtocolModel, exchange: ExchangeModel, ring: RingModel, byName: ReadonlyMap<string, IrRecord>): ExchangeStubsOutcome {
  const [idPair, ...echoedPairs] = exchange.correlation;
  if (idPair === undefined) return { kind: "unsupported", reason: "it has no `correlate` clause, so there is no id to match a response to its request" };
  const request = byName.get(exchange.requestMessage);
  const response = byName.get(exchange.responseMessage);
  if (request === undefined || response === undefined) return { kind: "reported" };
  const enumWidths = new Map(protocol.enums.map((enumeration) => [enumeration.name, enumWidthOf(enumeration.baseType)] as const));

  const slotLayouts: Partial<Record<IrLayoutAbi, IrStubSlotLayout>> = {};
  const layouts = [...new Set(protocol.abis.map((abi) => (abi.abi === "x86_32" ? "x86_32" : "x86_64") as IrLayoutAbi))].sort();
  for (const layout of layouts) {
    const geometry = ring.geometry.get(layout);
    if (geometry === undefined) return { kind: "unsupported", reason: `ring ${ring.name} has no slot layout for ${layout}` };
    const requestId = placeField(byName, enumWidths, request, idPair.requestField.split("."), layout);
    const responseId = placeField(byName, enumWidths, response, idPair.responseField.split("."), layout);
    const notPlaced = (field: string, record: string): string =>
      `the correlation id '${field}' is not one integer field at one offset in ${record} (in the ${layout} layout; a union's arms must all hold it at the same offset and width)`;
    if (requestId === undefined) return { kind: "unsupported", reason: notPlaced(idPair.requestField, request.name) };
    if (responseId === undefined) return { kind: "unsupported", reason: notPlaced(idPair.responseField, response.name) };
    // The connection runtime reads ids of 2, 4 or 8 bytes; both ends must agree on the width.
    if (requestId.width !== responseId.width) {
      return { kind: "unsupported", reason: `the request id '${idPair.requestField}' is ${requestId.width} byte(s) wide but the response id '${idPair.responseField}' is ${responseId.width}` };
    }
    if (requestId.width === 1) return { kind: "unsupported", reason: `its correlation id '${idPair.requestField}' is 1 byte wide, and the split-connection runtime reads ids of 2, 4 or 8 bytes` };
    const echoedFields: IrStubEchoedField[] = [];
    for (const pair of echoedPairs) {
      const from = placeField(byName, enumWidths, request, pair.requestField.split("."), layout);
      const to = placeField(byName, enumWidths, response, pair.responseField.split("."), layout);
      if (from === undefined || to === undefined || from.width !== to.width) {
        return { kind: "unsupported", reason: `the echoed pair 'response.${pair.responseField} == request.${pair.requestField}' is not two integer fields of one width at fixed offsets (in the ${layout} layout)` };
      }
      echoedFields.push({ requestField: pair.requestField, responseField: pair.responseField, requestOffset: from.offset, responseOffset: to.offset, width: from.width });
    }
    slotLayouts[layout] = { slotBytes: geometry.slotSize, requestIdOffset: requestId.offset, responseIdOffset: responseId.offset, idBytes: requestId.width, echoedFields };
  }
  return { kind: "stubs", stubs: lowerRingStubs(protocol, exchange, ring, request, response, slotLayouts) };
}

/** The transport and publication half of the stubs, once the exchange's slot layouts are known. */
function lowerRingStubs(protocol: ProtocolModel, exchange: ExchangeModel, ring: RingModel, request: IrRecord, response: IrRecord, slotLayouts: Partial<Record<IrLayoutAbi, IrStubSlotLayout>>): IrStubs {
  const requesterRole = ring.requestProducer;
  const responderRole = ring.responseProducer;
  const requesterStore = protocol.stores.find((store) => store.role === requesterRole);
  const responderStore = protocol.stores.find((store) => store.role === responderRole);
  const transportKeys = (requesterStore?.keys ?? []).filter((key) => key.forChannels.includes(ring.name));
  const singleReference = transportKeys.find((key) => key.type.kind === "scalar" && key.type.scalar === "grant" && key.familyRange === undefined);
  const referenceFamily = transportKeys.find((key) => key.type.kind === "scalar" && key.type.scalar === "grant" && key.familyRange !== undefined);
  const eventChannel = transportKeys.find((key) => key.type.kind === "scalar" && key.type.scalar === "evtchn");
  const requesterKeyNames = new Set((requesterStore?.keys ?? []).map((key) => key.name));
  const pageOrderKey = [...collectNames(referenceFamily?.familyRange, new Set())].find((name) => requesterKeyNames.has(name));
  const ringReferenceKey = singleReference?.name ?? referenceFamily?.name ?? "ring-ref";
  const ringPageOrderKey = pageOrderKey ?? "ring-page-order";
  const eventChannelKey = eventChannel?.name ?? "event-channel";
  const abiSelectorKey = protocol.abiSelector?.role === requesterRole ? protocol.abiSelector.key : undefined;

  const requesterExcluded = new Set([ringReferenceKey, ringPageOrderKey, eventChannelKey, ...transportKeys.map((key) => key.name), ...(abiSelectorKey === undefined ? [] : [abiSelectorKey])]);
  const responderExcluded = new Set<string>();
  const ringPageOrderLimitKey = ring.pageOrderKey?.role === responderRole ? ring.pageOrderKey.key : undefined;
  return {
    channel: ring.name,
    requestRecord: request.name,
    responseRecord: response.name,
    requesterRole,
    responderRole,
    slotLayouts,
    maximumRingPageOrder: Math.min(highestSupportedRingPageOrder, Math.max(0, ...ring.pageOrders)),
    ringPageOrderLimitKey,
    ringReferenceKey,
    ringPageOrderKey,
    eventChannelKey,
    abiSelectorKey,
    // The runtime writes the requester's keys with the ring transport, before Initialised.
    requesterPublications: lowerPublications(protocol, requesterRole, requesterStore, requesterExcluded, ["Initialised"], "Initialised"),
    // The responder publishes features before InitWait and device keys before Connected.
    responderPublications: lowerPublications(protocol, responderRole, responderStore, responderExcluded, ["InitWait", "Connected"], "Connected"),
    span: exchange.span,
  };
}

/**
 * The stubs of one protocol: those of the first exchange (in declaration order) over a ring that
 * the split-connection runtime can carry. The runtime drives one ring per connection, so every
 * other exchange gets a PD6006 warning, as does each exchange it cannot carry, with the reason.
 */
export function lowerStubs(protocol: ProtocolModel, records: readonly IrRecord[]): PhaseResult<IrStubs | undefined> {
  const diagnostics: Diagnostic[] = [];
  const byName = new Map(records.map((record) => [record.name, record] as const));
  let stubs: IrStubs | undefined;
  for (const exchange of protocol.exchanges) {
    const ring = protocol.rings.find((candidate) => candidate.name === exchange.ring);
    if (ring === undefined) continue;
    const warn = (reason: string): void => {
      diagnostics.push(createDiagnostic(codegenDiagnostics.PD6006, exchange.span, `exchange ${exchange.ring} of protocol ${protocol.name} gets no typed stubs: ${reason}`));
    };
    if (stubs !== undefined) {
      warn(`the split-connection runtime drives one ring per connection, and the stubs carry exchange ${stubs.channel}`);
      continue;
    }
    const outcome = lowerExchangeStubs(protocol, exchange, ring, byName);
    if (outcome.kind === "stubs") stubs = outcome.stubs;
    else if (outcome.kind === "unsupported") warn(outcome.reason);
  }
  return { value: stubs, diagnostics };
}
