// The broker: connects a resource class between a frontend and a backend domain when the
// policy allows it, lays the instance out in the store, audits every decision, tracks live
// connections for limits and colours, and tears instances down through the lifecycle.
// Everything protocol-specific comes from the resource class; the broker has none of it.
import type { AuditSink } from "../audit/audit-log-writer.js";
import type { PolicyDecision } from "../policy/policy-decision.js";
import type { PolicyEngine } from "../policy/policy-engine.js";
import type { PolicyOperation } from "../policy/policy-model.js";
import type { PolicySubject } from "../policy/policy-subject.js";
import { createBrokerProblem, type BrokerProblem } from "./broker-problem.js";
import { BrokerStoreError, type BrokerStore, type BrokerStoreOperations } from "./broker-store.js";
import {
  decideConnect,
  planInstanceLayout,
  protocolDescriptionNodeName,
  xenbusStateClosed,
  xenbusStateClosing,
  type BrokerDomain,
  type ConnectCheck,
  type InstanceLayout,
  type LayoutStep,
} from "./connect-plan.js";
import { discoverInstanceDirectories } from "./instance-discovery.js";
import { isValidInstanceId } from "./resource-paths.js";
import { validateResourceClass, type ResourceClass, type ResourceProtocolDescription } from "./resource-class.js";

export interface ConnectRequest {
  /** Who asks (a tool or a domain, by its policy name); checked with RBAC. */
  readonly principal: string;
  readonly resourceClass: string;
  readonly frontendDomain: BrokerDomain;
  readonly backendDomain: BrokerDomain;
  /** `devid` names the instance ({devid} in the path templates); other keys are class parameters. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Labels of this particular instance (e.g. the disk's classification), beyond the class's. */
  readonly resourceLabels?: readonly string[];
}

export interface ConnectionReference {
  readonly principal: string;
  readonly resourceClass: string;
  readonly frontendDomainId: number;
  readonly id: string;
}

/** A live instance the broker created. */
export interface BrokeredConnection {
  /** `<class>/<frontend domain>/<id>`, unique among live connections. */
  readonly key: string;
  readonly resourceClass: ResourceClass;
  readonly protocol: ResourceProtocolDescription;
  readonly frontendDomainId: number;
  readonly backendDomainId: number;
  readonly id: string;
  readonly frontendDirectory: string;
  readonly backendDirectory: string;
  readonly descriptionDirectory: string;
  readonly resource: PolicySubject;
}

export type ConnectResult =
  | { readonly outcome: "connected"; readonly connection: BrokeredConnection; readonly checks: readonly ConnectCheck[] }
  | { readonly outcome: "denied"; readonly decision: PolicyDecision; readonly checks: readonly ConnectCheck[] }
  | { readonly outcome: "failed"; readonly problem: BrokerProblem };

export type DisconnectResult =
  | { readonly outcome: "disconnected"; readonly connection: BrokeredConnection }
  | { readonly outcome: "denied"; readonly decision: PolicyDecision }
  | { readonly outcome: "failed"; readonly problem: BrokerProblem };

export type InspectResult =
  | { readonly outcome: "inspected"; readonly connection: BrokeredConnection }
  | { readonly outcome: "denied"; readonly decision: PolicyDecision }
  | { readonly outcome: "failed"; readonly problem: BrokerProblem };

/** Told about connections as they come and go; the policer attaches its monitors here. */
export interface BrokerConnectionObserver {
  connected(connection: BrokeredConnection): void;
  /** Called before the instance is torn down, while its store directories still exist. */
  disconnecting(connection: BrokeredConnection): void;
}

export interface BrokerOptions {
  readonly engine: PolicyEngine;
  readonly store: BrokerStore;
  readonly audit: AuditSink;
  /** Resource classes from compiled specs; validated here (the broker refuses bad ones). */
  readonly resourceClasses: readonly unknown[];
  /** The store domain the broker acts as; owns the protocol-description nodes. Default 0. */
  readonly brokerDomainId?: number;
}

const maximumGuestDomainId = 0x7fef;
/** Instance labels are policy label names; they are stored space-separated for recovery. */
const instanceLabelPattern = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export function connectionKey(resourceClass: string, frontendDomainId: number, id: string): string {
  return `${resourceClass}/${frontendDomainId}/${id}`;
}

function applyLayoutStep(operations: BrokerStoreOperations, step: LayoutStep): void {
  switch (step.kind) {
    case "mkdir":
      operations.mkdir(step.path);
      return;
    case "set-permissions":
      operations.setPermissions(step.path, step.permissions);
      return;
    case "write":
      operations.write(step.path, step.value);
      return;
    default: {
      const unreachable: never = step;
      throw new Error(`unknown layout step ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Thrown inside a store transaction to abort it when a directory is already taken. */
class DirectoryTakenError extends Error {}

export class Broker {
  private readonly engine: PolicyEngine;
  private readonly store: BrokerStore;
  private readonly audit: AuditSink;
  private readonly brokerDomainId: number;
  private readonly classesByName = new Map<string, ResourceClass>();
  private readonly live = new Map<string, BrokeredConnection>();
  private readonly observers = new Set<BrokerConnectionObserver>();

  private constructor(options: BrokerOptions, classes: readonly ResourceClass[]) {
    this.engine = options.engine;
    this.store = options.store;
    this.audit = options.audit;
    this.brokerDomainId = options.brokerDomainId ?? 0;
    for (const resourceClass of classes) this.classesByName.set(resourceClass.name, resourceClass);
  }

  /** Validates the resource classes and builds a broker, or returns every problem. */
  static create(options: BrokerOptions): { readonly broker: Broker | undefined; readonly problems: readonly BrokerProblem[] } {
    const problems: BrokerProblem[] = [];
    const classes: ResourceClass[] = [];
    const seen = new Set<string>();
    options.resourceClasses.forEach((input, index) => {
      const validated = validateResourceClass(input, `resourceClasses[${index}]`);
      problems.push(...validated.problems);
      if (validated.value === undefined) return;
      if (seen.has(validated.value.name)) {
        problems.push(createBrokerProblem("resourceClassDuplicate", `resourceClasses[${index}].name`, `resource class '${validated.value.name}' is defined twice`));
        return;
      }
      seen.add(validated.value.name);
      classes.push(validated.value);
    });
    if (problems.length > 0) return { broker: undefined, problems };
    return { broker: new Broker(options, classes), problems: [] };
  }

  get resourceClasses(): readonly ResourceClass[] {
    return [...this.classesByName.values()];
  }

  get connections(): readonly BrokeredConnection[] {
    return [...this.live.values()];
  }

  addObserver(observer: BrokerConnectionObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  connect(request: ConnectRequest): ConnectResult {
    const resourceClass = this.classesByName.get(request.resourceClass);
    if (resourceClass === undefined) {
      return { outcome: "failed", problem: createBrokerProblem("unknownResourceClass", request.resourceClass, `no resource class '${request.resourceClass}' is loaded (known: ${[...this.classesByName.keys()].join(", ") || "none"})`) };
    }
    for (const [side, domain] of [["frontendDomain", request.frontendDomain], ["backendDomain", request.backendDomain]] as const) {
      if (!Number.isInteger(domain.id) || domain.id < 0 || domain.id > maximumGuestDomainId) {
        return { outcome: "failed", problem: createBrokerProblem("invalidDomain", side, `${side} id ${domain.id} is not a domain id (0..${maximumGuestDomainId})`) };
      }
    }
    const parameters = this.checkParameters(resourceClass, request.parameters);
    if (!parameters.ok) return { outcome: "failed", problem: parameters.problem };
    const badLabel = (request.resourceLabels ?? []).find((label) => !instanceLabelPattern.test(label));
    if (badLabel !== undefined) return { outcome: "failed", problem: createBrokerProblem("invalidParameters", "resourceLabels", `${JSON.stringify(badLabel)} is not a label name`) };
    const id = parameters.id;
    const key = connectionKey(resourceClass.name, request.frontendDomain.id, id);
    if (this.live.has(key)) return { outcome: "failed", problem: createBrokerProblem("alreadyConnected", key, `${key} is already connected`) };

    const resource = this.engine.subjectForResource(resourceClass.name, id, [...resourceClass.labels, ...(request.resourceLabels ?? [])]);
    const { checks, denial } = decideConnect({
      engine: this.engine,
      counts: {
        frontendInstances: (className, domainId) => this.countLive((connection) => connection.resourceClass.name === className && connection.frontendDomainId === domainId),
        backendInstances: (className, domainId) => this.countLive((connection) => connection.resourceClass.name === className && connection.backendDomainId === domainId),
      },
      principal: request.principal,
      resourceClass,
      frontend: request.frontendDomain,
      backend: request.backendDomain,
      resource,
    });
    for (const check of checks) this.auditDecision("connect", request.principal, check.subjects, check.decision);
    if (denial !== undefined) return { outcome: "denied", decision: denial, checks };

    const layout = planInstanceLayout(resourceClass, request.frontendDomain.id, request.backendDomain.id, id, parameters.values, this.brokerDomainId, request.resourceLabels ?? []);
    const created = this.createInstance(key, layout);
    if (created !== undefined) return { outcome: "failed", problem: created };
    const connection: BrokeredConnection = {
      key,
      resourceClass,
      protocol: resourceClass.protocol,
      frontendDomainId: request.frontendDomain.id,
      backendDomainId: request.backendDomain.id,
      id,
      frontendDirectory: layout.frontendDirectory,
      backendDirectory: layout.backendDirectory,
      descriptionDirectory: layout.descriptionDirectory,
      resource,
    };
    this.live.set(key, connection);
    for (const observer of this.observers) observer.connected(connection);
    return { outcome: "connected", connection, checks };
  }

  /**
   * Rebuilds the table of live connections from the store after a restart: every instance
   * directory of a loaded class whose protocol-description node names that class. Instances
   * already known are skipped; an instance whose description is unreadable or names another
   * class is reported, not adopted.
   */
  recoverConnections(): { readonly recovered: readonly BrokeredConnection[]; readonly problems: readonly BrokerProblem[] } {
    const recovered: BrokeredConnection[] = [];
    const problems: BrokerProblem[] = [];
    for (const resourceClass of this.classesByName.values()) {
      for (const found of discoverInstanceDirectories(this.store, resourceClass.name, resourceClass.backendPath)) {
        const descriptionDirectory = `${found.backendDirectory}/${protocolDescriptionNodeName}`;
        const describedClass = this.store.read(`${descriptionDirectory}/resource-class`);
        if (describedClass !== resourceClass.name) {
          if (describedClass !== undefined) problems.push(createBrokerProblem("storeFailure", found.backendDirectory, `instance directory describes class '${describedClass}', not '${resourceClass.name}'`));
          continue;
        }
        // Only the broker-owned description is trusted: the backend can rewrite its own keys.
        const id = this.store.read(`${descriptionDirectory}/devid`);
        const frontendDomainId = Number(this.store.read(`${descriptionDirectory}/frontend-id`) ?? Number.NaN);
        const backendDomainId = Number(this.store.read(`${descriptionDirectory}/backend-id`) ?? Number.NaN);
        const pathAgrees = found.bindings.get("devid") === id && (found.bindings.get("frontend-domid") ?? String(frontendDomainId)) === String(frontendDomainId);
        if (id === undefined || !isValidInstanceId(id) || !Number.isInteger(frontendDomainId) || frontendDomainId < 0 || frontendDomainId > maximumGuestDomainId || backendDomainId !== found.backendDomainId || !pathAgrees) {
          problems.push(createBrokerProblem("storeFailure", found.backendDirectory, "the instance's protocol description lacks a valid devid, frontend-id or backend-id matching its path"));
          continue;
        }
        const key = connectionKey(resourceClass.name, frontendDomainId, id);
        if (this.live.has(key)) continue;
        const instanceLabels = (this.store.read(`${descriptionDirectory}/instance-labels`) ?? "").split(" ").filter((label) => label.length > 0);
        const layout = planInstanceLayout(resourceClass, frontendDomainId, found.backendDomainId, id, new Map(), this.brokerDomainId, instanceLabels);
        const connection: BrokeredConnection = {
          key,
          resourceClass,
          protocol: this.readProtocolDescription(descriptionDirectory) ?? resourceClass.protocol,
          frontendDomainId,
          backendDomainId: found.backendDomainId,
          id,
          frontendDirectory: layout.frontendDirectory,
          backendDirectory: found.backendDirectory,
          descriptionDirectory,
          resource: this.engine.subjectForResource(resourceClass.name, id, [...resourceClass.labels, ...instanceLabels]),
        };
        this.live.set(key, connection);
        recovered.push(connection);
        for (const observer of this.observers) observer.connected(connection);
      }
    }
    return { recovered, problems };
  }

  /** The description an instance was created with (it may predate the loaded class's spec). */
  private readProtocolDescription(descriptionDirectory: string): ResourceProtocolDescription | undefined {
    const name = this.store.read(`${descriptionDirectory}/protocol`);
    const version = Number(this.store.read(`${descriptionDirectory}/version`) ?? Number.NaN);
    const specHash = this.store.read(`${descriptionDirectory}/spec-hash`);
    if (name === undefined || specHash === undefined || !Number.isInteger(version) || version < 0) return undefined;
    return { name, version, specHash };
  }

  /**
   * Tears an instance down through the lifecycle: both ends to Closing, then Closed (each a
   * committed transaction, so watchers see every step), then removes both directories.
   */
  disconnect(reference: ConnectionReference): DisconnectResult {
    const found = this.authorize("disconnect", reference);
    if (found.outcome !== "found") return found;
    const problem = this.tearDown(found.connection);
    return problem === undefined ? { outcome: "disconnected", connection: found.connection } : { outcome: "failed", problem };
  }

  /**
   * Tears down every connection a domain takes part in, as either end: what the host does
   * when the store releases a dead domain (XenStore.onDomainReleased) or the policer resets
   * one. Not an RBAC operation: the domain is gone or being reset by the host itself.
   */
  releaseDomain(domainId: number): { readonly released: readonly BrokeredConnection[]; readonly problems: readonly BrokerProblem[] } {
    const released: BrokeredConnection[] = [];
    const problems: BrokerProblem[] = [];
    for (const connection of [...this.live.values()]) {
      if (connection.frontendDomainId !== domainId && connection.backendDomainId !== domainId) continue;
      const problem = this.tearDown(connection);
      if (problem === undefined) released.push(connection);
      else problems.push(problem);
    }
    return { released, problems };
  }

  private tearDown(connection: BrokeredConnection): BrokerProblem | undefined {
    for (const observer of this.observers) observer.disconnecting(connection);
    try {
      for (const state of [xenbusStateClosing, xenbusStateClosed]) {
        this.store.transaction((operations) => {
          for (const directory of [connection.frontendDirectory, connection.backendDirectory]) {
            // A directory its owner already removed is not recreated just to be closed.
            if (operations.read(directory) !== undefined) operations.write(`${directory}/state`, String(state));
          }
        });
      }
      this.store.transaction((operations) => {
        operations.remove(connection.frontendDirectory);
        operations.remove(connection.backendDirectory);
      });
    } catch (error) {
      if (!(error instanceof BrokerStoreError)) throw error;
      return createBrokerProblem("storeFailure", connection.key, `tearing down ${connection.key} failed: ${error.message}`);
    }
    this.live.delete(connection.key);
    return undefined;
  }

  /** RBAC-checked (and audited) read access to a live connection's description. */
  inspect(reference: ConnectionReference): InspectResult {
    const found = this.authorize("inspect", reference);
    return found.outcome === "found" ? { outcome: "inspected", connection: found.connection } : found;
  }

  private authorize(
    operation: PolicyOperation,
    reference: ConnectionReference,
  ): { readonly outcome: "found"; readonly connection: BrokeredConnection } | { readonly outcome: "denied"; readonly decision: PolicyDecision } | { readonly outcome: "failed"; readonly problem: BrokerProblem } {
    const key = connectionKey(reference.resourceClass, reference.frontendDomainId, reference.id);
    const decision = this.engine.decideOperation(reference.principal, operation, reference.resourceClass);
    this.auditDecision(operation, reference.principal, [`principal '${reference.principal}'`, `resource ${reference.resourceClass}/${reference.id}`], decision);
    if (!decision.allowed) return { outcome: "denied", decision };
    const connection = this.live.get(key);
    if (connection === undefined) return { outcome: "failed", problem: createBrokerProblem("notConnected", key, `${key} is not connected`) };
    return { outcome: "found", connection };
  }

  private checkParameters(
    resourceClass: ResourceClass,
    given: Readonly<Record<string, string>>,
  ): { readonly ok: true; readonly id: string; readonly values: ReadonlyMap<string, string> } | { readonly ok: false; readonly problem: BrokerProblem } {
    const fail = (message: string) => ({ ok: false as const, problem: createBrokerProblem("invalidParameters", `parameters of ${resourceClass.name}`, message) });
    const id = given["devid"];
    if (typeof id !== "string" || !isValidInstanceId(id)) return fail(`parameter 'devid' must be 1 to 64 characters of [A-Za-z0-9_-], not ${JSON.stringify(id)}`);
    const allowed = new Set([...resourceClass.frontendParameterKeys, ...resourceClass.backendParameterKeys]);
    const values = new Map<string, string>();
    for (const [name, value] of Object.entries(given)) {
      if (name === "devid") continue;
      if (!allowed.has(name)) return fail(`unknown parameter '${name}' (resource class '${resourceClass.name}' takes: ${[...allowed].join(", ") || "only devid"})`);
      if (typeof value !== "string" || Buffer.byteLength(value, "latin1") > 2048) return fail(`parameter '${name}' must be a string of at most 2048 bytes`);
      values.set(name, value);
    }
    return { ok: true, id, values };
  }

  /** Applies the layout in one transaction; returns a problem (and leaves nothing) on failure. */
  private createInstance(key: string, layout: InstanceLayout): BrokerProblem | undefined {
    try {
      this.store.transaction((operations) => {
        for (const directory of [layout.frontendDirectory, layout.backendDirectory]) {
          if (operations.read(directory) !== undefined) throw new DirectoryTakenError(directory);
        }
        for (const step of layout.steps) applyLayoutStep(operations, step);
      });
      return undefined;
    } catch (error) {
      if (error instanceof DirectoryTakenError) return createBrokerProblem("alreadyConnected", key, `store directory ${error.message} already exists; disconnect or remove it first`);
      if (error instanceof BrokerStoreError) return createBrokerProblem("storeFailure", key, `creating ${key} failed: ${error.message}`);
      throw error;
    }
  }

  private countLive(predicate: (connection: BrokeredConnection) => boolean): number {
    let count = 0;
    for (const connection of this.live.values()) if (predicate(connection)) count++;
    return count;
  }

  private auditDecision(operation: string, principal: string, subjects: readonly string[], decision: PolicyDecision): void {
    this.audit.append({ kind: "decision", operation, principal, subjects, allowed: decision.allowed, rule: decision.rule, ruleKind: decision.ruleKind, reason: decision.reason });
  }
}
