// Wires a DomainRingTransport and a DomainRingClient over one interface page, with event
// channels modelled as synchronous calls that a test can hold back to simulate a stalled guest.
import type { StoreMessage } from "../../../runtime/store/connection.js";
import type { StoreConnectionOpener } from "../../../runtime/store/connection-opener.js";
import { DomainRingClient } from "../../../runtime/store/domain-ring-client.js";
import { DomainRingTransport } from "../../../runtime/store/domain-ring-transport.js";
import type { StoreTransportLimits } from "../../../runtime/store/transport-limits.js";

export interface RingPair {
  readonly page: Uint8Array;
  readonly transport: DomainRingTransport;
  readonly client: DomainRingClient;
  readonly received: StoreMessage[];
  readonly log: string[];
  /** While true, the store's notifications are counted but not delivered to the guest. */
  guestStalled: boolean;
  notificationsToGuest: number;
}

export function createRingPair(store: StoreConnectionOpener, domainId: number, limits: Partial<StoreTransportLimits> = {}): RingPair {
  const page = new Uint8Array(new SharedArrayBuffer(4096));
  const received: StoreMessage[] = [];
  const log: string[] = [];
  let client: DomainRingClient | undefined;
  let transport: DomainRingTransport | undefined;
  const pair: { guestStalled: boolean; notificationsToGuest: number } = { guestStalled: false, notificationsToGuest: 0 };
  transport = new DomainRingTransport({
    store,
    domainId,
    limits,
    log: (line) => log.push(line),
    endpoint: {
      page,
      notify: () => {
        pair.notificationsToGuest++;
        if (!pair.guestStalled) client?.onEventChannelNotified();
      },
    },
  });
  client = new DomainRingClient({
    page,
    notify: () => transport?.onEventChannelNotified(),
    onMessage: (message) => received.push(message),
  });
  return Object.assign(pair, { page, transport, client, received, log });
}
