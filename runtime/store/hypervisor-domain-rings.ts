// Binds the store's domain ring transports to the runtime's hypervisor: when a privileged
// client INTRODUCEs a domain, the store's domain maps the guest's xenstore page (grant
// reference 1) and binds the guest's event channel port, as xenstored does; RELEASE detaches.
import { xenstoreGrantReference, type Hypervisor } from "../hypervisor/index.js";
import type { DomainIntroduction, XenStore } from "./store.js";
import { DomainRingTransport } from "./domain-ring-transport.js";
import type { StoreTransportLimits } from "./transport-limits.js";

export interface HypervisorDomainRingsOptions {
  readonly hypervisor: Hypervisor;
  readonly store: XenStore;
  /** The domain the store runs in (it maps the pages and binds the ports); 0 by default. */
  readonly storeDomainId?: number;
  readonly limits?: Partial<StoreTransportLimits>;
  readonly log?: (line: string) => void;
}

interface AttachedDomain {
  readonly transport: DomainRingTransport;
  readonly localPort: number;
  readonly grantHandle: number;
  readonly removeEventHandler: () => void;
}

export class HypervisorDomainRings {
  private readonly attached = new Map<number, AttachedDomain>();
  private readonly storeDomainId: number;
  private readonly log: (line: string) => void;
  private readonly unsubscribers: (() => void)[] = [];

  constructor(private readonly options: HypervisorDomainRingsOptions) {
    this.storeDomainId = options.storeDomainId ?? 0;
    this.log = options.log ?? (() => undefined);
    this.unsubscribers.push(options.store.onDomainIntroduced((introduction) => this.attach(introduction)));
    this.unsubscribers.push(options.store.onDomainReleased((domainId) => this.detach(domainId)));
  }

  /** The transport serving a domain, while it is attached. */
  transportOf(domainId: number): DomainRingTransport | undefined {
    return this.attached.get(domainId)?.transport;
  }

  get attachedDomainIds(): number[] {
    return [...this.attached.keys()].sort((left, right) => left - right);
  }

  /** Detaches every domain and stops listening to the store. */
  close(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const domainId of [...this.attached.keys()]) this.detach(domainId);
  }

  private attach(introduction: DomainIntroduction): void {
    const { hypervisor } = this.options;
    const guestId = introduction.domainId;
    // A second INTRODUCE rebinds the ring and the port (Xen does this after a guest resumes).
    this.detach(guestId);
    const mapping = hypervisor.mapGrant(this.storeDomainId, guestId, xenstoreGrantReference, true);
    if (!mapping.ok) {
      this.log(`domain ${guestId}: cannot map its xenstore page (grant reference ${xenstoreGrantReference}): ${mapping.reason}`);
      return;
    }
    const binding = hypervisor.bindInterdomain(this.storeDomainId, guestId, introduction.eventChannelPort);
    if (!binding.ok) {
      hypervisor.unmapGrant(this.storeDomainId, mapping.handle);
      this.log(`domain ${guestId}: cannot bind its event channel port ${introduction.eventChannelPort}: ${binding.reason}`);
      return;
    }
    const localPort = binding.port;
    const limits: Partial<StoreTransportLimits> = {
      outstandingRequestsPerDomain: this.options.store.effectiveQuotas.outstandingRequestsPerConnection,
      ...this.options.limits,
    };
    const transport = new DomainRingTransport({
      store: this.options.store,
      domainId: guestId,
      limits,
      log: this.log,
      endpoint: { page: mapping.view, notify: () => void hypervisor.sendEvent(this.storeDomainId, localPort) },
    });
    const removeEventHandler = hypervisor.onEvent(this.storeDomainId, localPort, () => transport.onEventChannelNotified());
    this.attached.set(guestId, { transport, localPort, grantHandle: mapping.handle, removeEventHandler });
    // The guest may have written requests before it was introduced.
    transport.onEventChannelNotified();
  }

  private detach(domainId: number): void {
    const domain = this.attached.get(domainId);
    if (domain === undefined) return;
    this.attached.delete(domainId);
    domain.removeEventHandler();
    domain.transport.close();
    const { hypervisor } = this.options;
    hypervisor.closePort(this.storeDomainId, domain.localPort);
    hypervisor.unmapGrant(this.storeDomainId, domain.grantHandle);
  }
}
