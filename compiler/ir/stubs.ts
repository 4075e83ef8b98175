// The IR of a protocol's typed frontend/backend stubs: the exchange they carry (request and
// response records, where the correlation id sits per layout), the ring transport's store keys
// and page orders, the ABI selection through the `protocol` key, and the store keys each role
// publishes per lifecycle transition with their types and defaults. Lowered from the semantic
// model by lower-stubs.ts; emit-stubs.ts reads only this.
import type { IrLayoutAbi, IrSpan } from "./span.js";

/** Byte width of an integer (the same values as protocol.ts's IrStubIntegerWidth, kept here so the two IR files do not import each other). */
export type IrStubIntegerWidth = 1 | 2 | 4 | 8;

/** The value type of a published store key, as a stub reads and writes it. */
export type IrStubKeyType =
  | { readonly kind: "bool" }
  | { readonly kind: "integer"; readonly width: IrStubIntegerWidth; readonly signed: boolean }
  | { readonly kind: "enum"; readonly enumName: string; readonly width: IrStubIntegerWidth; readonly signed: boolean }
  | { readonly kind: "string" };

export interface IrStubKey {
  /** The store key relative to the role's directory, e.g. "feature-barrier". */
  readonly key: string;
  readonly type: IrStubKeyType;
  /** Named by a lifecycle transition's `publishes`: the stub's typed object must carry it. */
  readonly required: boolean;
  /** The spec's default, applied when a reader finds the key absent. */
  readonly defaultValue?: number | boolean | string;
  readonly span: IrSpan;
}

/** The keys one role writes before announcing one xenbus state. */
export interface IrStubPublication {
  /** The xenbus state name the role moves to once the keys are written, e.g. "InitWait". */
  readonly state: string;
  readonly keys: readonly IrStubKey[];
}

/** Where a field the responder must echo sits, per layout: request bytes copied to response bytes. */
export interface IrStubEchoedField {
  readonly requestField: string;
  readonly responseField: string;
  readonly requestOffset: number;
  readonly responseOffset: number;
  readonly width: IrStubIntegerWidth;
}

/** The ring slot of one layout: its size, the correlation id's place and width, the echoed fields. */
export interface IrStubSlotLayout {
  readonly slotBytes: number;
  readonly requestIdOffset: number;
  readonly responseIdOffset: number;
  readonly idBytes: 2 | 4 | 8;
  /** Correlated fields besides the id (e.g. blkif's operation), echoed only for requests that decoded. */
  readonly echoedFields: readonly IrStubEchoedField[];
}

export interface IrStubs {
  /** The ring the exchange runs on (stubs are emitted for the first exchange over a ring). */
  readonly channel: string;
  readonly requestRecord: string;
  readonly responseRecord: string;
  /** The role that allocates and grants the ring and sends requests (the frontend). */
  readonly requesterRole: string;
  /** The role that maps the ring and answers (the backend). */
  readonly responderRole: string;
  /** One slot layout per layout ABI the protocol uses. */
  readonly slotLayouts: Readonly<Partial<Record<IrLayoutAbi, IrStubSlotLayout>>>;
  /** Highest ring page order the spec allows (0..4). */
  readonly maximumRingPageOrder: number;
  /** The responder's key that caps the page order (e.g. "max-ring-page-order"), when the spec names one. */
  readonly ringPageOrderLimitKey: string | undefined;
  /** Requester keys of the ring transport, written by the connection library itself. */
  readonly ringReferenceKey: string;
  readonly ringPageOrderKey: string;
  readonly eventChannelKey: string;
  /** The requester key whose value selects the ABI (`protocol`), when the spec declares one. */
  readonly abiSelectorKey: string | undefined;
  /** What each role publishes, in lifecycle order; transport and ABI keys are left out. */
  readonly requesterPublications: readonly IrStubPublication[];
  readonly responderPublications: readonly IrStubPublication[];
  readonly span: IrSpan;
}
