// Decides a connect request without touching the store: the policy checks in order (RBAC,
// type enforcement between the parties and with the resource, colour groups, per-domain
// limits) and, when all allow, the exact store layout of the new resource instance.
import { createPolicyDecision, type PolicyDecision } from "../policy/policy-decision.js";
import type { PolicyEngine } from "../policy/policy-engine.js";
import type { PolicySubject } from "../policy/policy-subject.js";
import type { StorePermissionList } from "../store/permissions.js";
import { expandResourcePath, type ResourcePathValues } from "./resource-paths.js";
import type { ResourceClass } from "./resource-class.js";

/** XenbusStateInitialising: the state the toolstack gives both ends of a new device. */
export const xenbusStateInitialising = 1;
export const xenbusStateClosing = 5;
export const xenbusStateClosed = 6;
/** The child of the backend directory holding the protocol description attribute. */
export const protocolDescriptionNodeName = "proto-desc";

export interface BrokerDomain {
  readonly id: number;
  /** The name the toolstack started it under; domain principals match it (RBAC). */
  readonly name: string;
  /** Policy labels, as the hypervisor's domain carries them. */
  readonly labels: readonly string[];
}

/** One policy check performed for a request, with what it concerned (for the audit log). */
export interface ConnectCheck {
  readonly subjects: readonly string[];
  readonly decision: PolicyDecision;
}

/** How many instances of a class each domain holds now, as the broker counts them. */
export interface InstanceCounts {
  frontendInstances(resourceClass: string, domainId: number): number;
  backendInstances(resourceClass: string, domainId: number): number;
}

export interface ConnectPolicyInput {
  readonly engine: PolicyEngine;
  readonly counts: InstanceCounts;
  readonly principal: string;
  readonly resourceClass: ResourceClass;
  readonly frontend: BrokerDomain;
  readonly backend: BrokerDomain;
  readonly resource: PolicySubject;
}

/**
 * Runs the checks in a fixed order (RBAC for the requester, then for each party; type
 * enforcement and colours between the parties and with the resource; per-domain limits) and stops at the first denial; every check performed is
 * returned so that each decision can be audited.
 */
export function decideConnect(input: ConnectPolicyInput): { readonly checks: readonly ConnectCheck[]; readonly denial: PolicyDecision | undefined } {
  const { engine, resourceClass, resource } = input;
  const frontend = engine.subjectForLabels(`domain ${input.frontend.id} '${input.frontend.name}'`, input.frontend.labels);
  const backend = engine.subjectForLabels(`domain ${input.backend.id} '${input.backend.name}'`, input.backend.labels);
  const checks: ConnectCheck[] = [];
  const steps: readonly (() => ConnectCheck | undefined)[] = [
    () => ({ subjects: [`principal '${input.principal}'`, resource.displayName], decision: engine.decideOperation(input.principal, "connect", resourceClass.name) }),
    () => ({ subjects: [frontend.displayName, resource.displayName], decision: engine.decidePartyOperation(input.frontend.name, "consume", resourceClass.name) }),
    () => ({ subjects: [backend.displayName, resource.displayName], decision: engine.decidePartyOperation(input.backend.name, "provide", resourceClass.name) }),
    () => ({ subjects: [frontend.displayName, backend.displayName], decision: engine.decideTypeEnforcement(frontend, backend) }),
    () => ({ subjects: [frontend.displayName, resource.displayName], decision: engine.decideTypeEnforcement(frontend, resource) }),
    () => ({ subjects: [backend.displayName, resource.displayName], decision: engine.decideTypeEnforcement(backend, resource) }),
    () => ({ subjects: [frontend.displayName, backend.displayName], decision: engine.decideColours(frontend, backend) }),
    () => ({ subjects: [frontend.displayName, resource.displayName], decision: engine.decideColours(frontend, resource) }),
    () => ({ subjects: [backend.displayName, resource.displayName], decision: engine.decideColours(backend, resource) }),
    () => decideLimit(resourceClass, "frontend", input.frontend.id, input.counts.frontendInstances(resourceClass.name, input.frontend.id), resourceClass.limits.perFrontendDomain),
    () => decideLimit(resourceClass, "backend", input.backend.id, input.counts.backendInstances(resourceClass.name, input.backend.id), resourceClass.limits.perBackendDomain),
  ];
  for (const step of steps) {
    const check = step();
    if (check === undefined) continue;
    checks.push(check);
    if (!check.decision.allowed) return { checks, denial: check.decision };
  }
  return { checks, denial: undefined };
}

function decideLimit(resourceClass: ResourceClass, side: "frontend" | "backend", domainId: number, held: number, limit: number | undefined): ConnectCheck | undefined {
  if (limit === undefined) return undefined;
  const allowed = held < limit;
  const reason = allowed
    ? `domain ${domainId} holds ${held} ${resourceClass.name} instance(s) as ${side}, below the limit of ${limit}`
    : `domain ${domainId} already holds ${held} ${resourceClass.name} instance(s) as ${side}, the class's limit`;
  return { subjects: [`domain ${domainId}`], decision: createPolicyDecision(allowed, "domain-limit", `${resourceClass.name}/per-${side}-domain/${limit}`, reason) };
}

/** One step of creating an instance in the store, in order. */
export type LayoutStep =
  | { readonly kind: "mkdir"; readonly path: string }
  | { readonly kind: "set-permissions"; readonly path: string; readonly permissions: StorePermissionList }
  | { readonly kind: "write"; readonly path: string; readonly value: string };

export interface InstanceLayout {
  readonly frontendDirectory: string;
  readonly backendDirectory: string;
  readonly descriptionDirectory: string;
  readonly steps: readonly LayoutStep[];
}

/**
 * The store layout of a new instance: both directories with Xen's toolstack permissions
 * (frontend [n<fe>, r<be>], backend [n<be>, r<fe>]), cross-reference keys, state 1, the
 * parameters, and the protocol description owned by the broker and readable by both parties.
 */
export function planInstanceLayout(
  resourceClass: ResourceClass,
  frontendDomainId: number,
  backendDomainId: number,
  id: string,
  parameters: ReadonlyMap<string, string>,
  brokerDomainId: number,
  instanceLabels: readonly string[],
): InstanceLayout {
  const values: ResourcePathValues = { id, resourceClass: resourceClass.name, frontendDomainId, backendDomainId };
  const frontendDirectory = expandResourcePath(resourceClass.frontendPath, frontendDomainId, values);
  const backendDirectory = expandResourcePath(resourceClass.backendPath, backendDomainId, values);
  const descriptionDirectory = `${backendDirectory}/${protocolDescriptionNodeName}`;
  const state = String(xenbusStateInitialising);
  const steps: LayoutStep[] = [
    { kind: "mkdir", path: frontendDirectory },
    { kind: "set-permissions", path: frontendDirectory, permissions: [{ domainId: frontendDomainId, access: "n" }, { domainId: backendDomainId, access: "r" }] },
    { kind: "write", path: `${frontendDirectory}/backend`, value: backendDirectory },
    { kind: "write", path: `${frontendDirectory}/backend-id`, value: String(backendDomainId) },
    ...resourceClass.frontendParameterKeys.flatMap((key): LayoutStep[] => {
      const value = parameters.get(key);
      return value === undefined ? [] : [{ kind: "write", path: `${frontendDirectory}/${key}`, value }];
    }),
    { kind: "write", path: `${frontendDirectory}/state`, value: state },
    { kind: "mkdir", path: backendDirectory },
    { kind: "set-permissions", path: backendDirectory, permissions: [{ domainId: backendDomainId, access: "n" }, { domainId: frontendDomainId, access: "r" }] },
    { kind: "write", path: `${backendDirectory}/frontend`, value: frontendDirectory },
    { kind: "write", path: `${backendDirectory}/frontend-id`, value: String(frontendDomainId) },
    ...resourceClass.backendParameterKeys.flatMap((key): LayoutStep[] => {
      const value = parameters.get(key);
      return value === undefined ? [] : [{ kind: "write", path: `${backendDirectory}/${key}`, value }];
    }),
    { kind: "mkdir", path: descriptionDirectory },
    {
      kind: "set-permissions",
      path: descriptionDirectory,
      permissions: [{ domainId: brokerDomainId, access: "n" }, { domainId: backendDomainId, access: "r" }, { domainId: frontendDomainId, access: "r" }],
    },
    { kind: "write", path: `${descriptionDirectory}/resource-class`, value: resourceClass.name },
    { kind: "write", path: `${descriptionDirectory}/protocol`, value: resourceClass.protocol.name },
    { kind: "write", path: `${descriptionDirectory}/version`, value: String(resourceClass.protocol.version) },
    { kind: "write", path: `${descriptionDirectory}/spec-hash`, value: resourceClass.protocol.specHash },
    // What a restarted broker needs to rebuild the connection, kept where neither party can
    // write (the backend owns its directory, so its own keys cannot be trusted for this).
    { kind: "write", path: `${descriptionDirectory}/frontend-id`, value: String(frontendDomainId) },
    { kind: "write", path: `${descriptionDirectory}/backend-id`, value: String(backendDomainId) },
    { kind: "write", path: `${descriptionDirectory}/devid`, value: id },
    { kind: "write", path: `${descriptionDirectory}/instance-labels`, value: instanceLabels.join(" ") },
    // The backend's state goes last: a backend watching its directory starts work on it.
    { kind: "write", path: `${backendDirectory}/state`, value: state },
  ];
  return { frontendDirectory, backendDirectory, descriptionDirectory, steps };
}
