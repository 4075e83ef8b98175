// The messages between the hypervisor's thread and a domain's worker: what the worker is given
// at start, its hypercall requests and their replies, and how its program ended.

import type { DomainId, EventChannelTableLayout } from "../hypervisor/index.js";
import type { DomainHypercallName } from "./domain-hypercalls.js";
import type { MessagePort } from "node:worker_threads";

export interface DomainWorkerData {
  readonly domainId: DomainId;
  readonly eventTableSlot: number;
  readonly eventChannelTable: EventChannelTableLayout;
  readonly memoryBuffer: SharedArrayBuffer;
  /** file: URL of a module exporting `domainProgram: DomainProgram`. */
  readonly programModuleUrl: string;
  readonly input: unknown;
  readonly hypercallPort: MessagePort;
}

export interface HypercallRequest {
  readonly requestId: number;
  readonly operation: DomainHypercallName;
  readonly args: readonly unknown[];
}

export type HypercallReply =
  | { readonly requestId: number; readonly ok: true; readonly result: unknown }
  | { readonly requestId: number; readonly ok: false; readonly message: string };

export type DomainWorkerOutcome = { readonly kind: "finished"; readonly output: unknown } | { readonly kind: "failed"; readonly message: string };
