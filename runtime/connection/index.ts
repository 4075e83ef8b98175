// Public surface of runtime/connection/: protocol-neutral split-driver connections (frontend
// and backend ends of the XenBus handshake, the shared ring and request correlation).

export { XenbusState, parseXenbusState, isXenbusClosingOrClosed } from "./xenbus-state.js";
export { findConnectionDescriptionProblem, readConnectionId, type SplitConnectionDescription } from "./connection-description.js";
export { ConnectionRequestFailed, type ConnectionProblem, type ConnectionProblemCode, type ConnectionProblemListener } from "./connection-problem.js";
export { StoreClientConnectionStore, type ConnectionStore, type ConnectionStoreOutcome, type WatchCallbackDeferral } from "./connection-store.js";
export { connectInProcessConnectionStore } from "./in-process-connection-store.js";
export { createSplitDeviceDirectories, type SplitDeviceDirectories } from "./device-directories.js";
export { RequestCorrelationTable, type OutstandingRequestSettlers } from "./request-correlation-table.js";
export { SplitConnectionFrontend, type SplitConnectionFrontendOptions, type FrontendTransportChoice, type PeerKeyReader } from "./split-connection-frontend.js";
export { SplitConnectionBackend, type SplitConnectionBackendOptions, type BackendSessionOutcome } from "./split-connection-backend.js";
export { BroadcastChannelConnectionStore, serveConnectionStoreOverBroadcastChannel } from "./broadcast-connection-store.js";
export { StoreKeyUnreadable, StoreKeyClauseRefused, readStoreBoolean, readOptionalStoreBoolean, readStoreInteger, readOptionalStoreInteger, readStoreText, formatStoreBoolean, formatStoreInteger } from "./store-key-values.js";
export { describeStubConnection, writeConnectionId, echoCorrelatedFields, StubMessageRefused, type StubSlotLayout, type StubEchoedField, type StubTransportKeys, type StubExchange } from "./stub-exchange.js";
export { findStoreKeyClauseUnreadable, refuseBrokenStoreKeyClauses } from "./store-key-clause-refusal.js";
