// Hosts the broker inside a store daemon: the broker acts on the store through a privileged
// in-process connection (as the toolstack's dom0 would), adopts the instances a journaled
// store already holds, and serves proto-desc-connect / proto-desc-disconnect as XS_CONTROL
// commands on every transport of that store. The caller brings the lowered policy engine, the
// resource classes and the audit sink; closing unregisters the commands.
import type { AuditSink } from "../audit/audit-log-writer.js";
import type { PolicyEngine } from "../policy/policy-engine.js";
import { StoreClient } from "../store/store-client.js";
import type { XenStore } from "../store/store.js";
import { Broker, type BrokeredConnection } from "./broker.js";
import { registerBrokerControlCommands } from "./broker-control-commands.js";
import type { BrokerProblem } from "./broker-problem.js";
import { StoreClientBrokerStore } from "./store-client-broker-store.js";

export interface StoreHostedBrokerOptions {
  readonly store: XenStore;
  readonly engine: PolicyEngine;
  readonly audit: AuditSink;
  /** Resource classes as the compiler lowered them (validated again by the broker). */
  readonly resourceClasses: readonly unknown[];
}

export interface StoreHostedBroker {
  readonly broker: Broker;
  /** Instances found in the store at start (a journaled store recovered after a restart). */
  readonly recovered: readonly BrokeredConnection[];
  readonly recoveryProblems: readonly BrokerProblem[];
  /** Unregisters the control commands and closes the broker's store connection. */
  close(): void;
}

/** The domain name the toolstack recorded, as Xen's toolstack does in /local/domain/<id>/name. */
function readDomainName(client: StoreClient, domainId: number): string | undefined {
  const name = client.readText(`/local/domain/${domainId}/name`);
  return name.ok && name.value !== "" ? name.value : undefined;
}

export function hostBrokerInStore(options: StoreHostedBrokerOptions): { readonly hosted: StoreHostedBroker | undefined; readonly problems: readonly BrokerProblem[] } {
  const toolstack = StoreClient.connect(options.store, { domainId: 0, privileged: true });
  const created = Broker.create({ engine: options.engine, store: new StoreClientBrokerStore(toolstack), audit: options.audit, resourceClasses: options.resourceClasses });
  const broker = created.broker;
  if (broker === undefined) {
    toolstack.close();
    return { hosted: undefined, problems: created.problems };
  }
  const { recovered, problems: recoveryProblems } = broker.recoverConnections();
  const unregister = registerBrokerControlCommands(options.store.controlCommands, {
    broker,
    domainNameOf: (domainId) => readDomainName(toolstack, domainId),
    labelsOfDomain: (domainName) => options.engine.labelsForDomain(domainName),
  });
  return {
    hosted: {
      broker,
      recovered,
      recoveryProblems,
      close: () => {
        unregister();
        toolstack.close();
      },
    },
    problems: [],
  };
}
