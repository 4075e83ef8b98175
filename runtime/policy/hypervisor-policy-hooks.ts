// Implements the hypervisor's access-control hooks with the policy engine: type enforcement
// at event-channel create, bind and send and at grant map and copy (sHype STE), and writes
// each decision to the audit log.
import type { AuditSink } from "../audit/audit-log-writer.js";
import {
  policyAllowed,
  policyDenied,
  type DomainId,
  type DomainSummary,
  type EventChannelBindRequest,
  type EventChannelCreateRequest,
  type EventChannelSendRequest,
  type GrantCopyRequest,
  type GrantMapRequest,
  type HypervisorPolicyHooks,
  type PolicyDecision as HypervisorPolicyDecision,
} from "../hypervisor/index.js";
import type { PolicyDecision } from "./policy-decision.js";
import type { PolicyEngine } from "./policy-engine.js";
import type { PolicySubject } from "./policy-subject.js";

/** The hook operations as audit records name them. */
export type HookOperation = "evtchn-create" | "evtchn-bind" | "evtchn-send" | "grant-map" | "grant-copy";
const hookOperations: readonly HookOperation[] = ["evtchn-create", "evtchn-bind", "evtchn-send", "grant-map", "grant-copy"];

export interface HypervisorPolicyHooksOptions {
  /**
   * Which allowed decisions reach the audit log. "every": all of them. "first-per-pair": the
   * first allow of each operation between each ordered pair of domains (type enforcement
   * depends only on the two domains' labels, so repeats add nothing). Denials always go.
   * Sends always use "first-per-pair": they are checked on every notification.
   */
  readonly auditAllowed?: "every" | "first-per-pair";
}

interface CachedSubject {
  readonly labels: readonly string[];
  readonly subject: PolicySubject;
}

export class PolicyEnforcingHypervisorHooks implements HypervisorPolicyHooks {
  private readonly engine: PolicyEngine;
  private readonly audit: AuditSink;
  private readonly auditEveryAllow: boolean;
  private readonly subjectsByDomain = new Map<DomainId, CachedSubject>();
  /** Per operation, the (from, to) pairs whose allow has been audited, when deduplicating. */
  private readonly auditedAllows: readonly Set<number>[] = hookOperations.map(() => new Set<number>());

  constructor(engine: PolicyEngine, audit: AuditSink, options: HypervisorPolicyHooksOptions = {}) {
    this.engine = engine;
    this.audit = audit;
    this.auditEveryAllow = (options.auditAllowed ?? "every") === "every";
  }

  checkEventChannelCreate(request: EventChannelCreateRequest): HypervisorPolicyDecision {
    return this.enforce("evtchn-create", request.creator, request.remote);
  }

  checkEventChannelBind(request: EventChannelBindRequest): HypervisorPolicyDecision {
    return this.enforce("evtchn-bind", request.binder, request.remote);
  }

  checkEventChannelSend(request: EventChannelSendRequest): HypervisorPolicyDecision {
    return this.enforce("evtchn-send", request.sender, request.receiver);
  }

  checkGrantMap(request: GrantMapRequest): HypervisorPolicyDecision {
    return this.enforce("grant-map", request.mapper, request.granter);
  }

  /** A copy touches two owners' memory; the caller must share a type with each foreign one. */
  checkGrantCopy(request: GrantCopyRequest): HypervisorPolicyDecision {
    if (request.sourceOwner.id !== request.caller.id) {
      const source = this.enforce("grant-copy", request.caller, request.sourceOwner);
      if (!source.allowed) return source;
    }
    if (request.destinationOwner.id !== request.caller.id) return this.enforce("grant-copy", request.caller, request.destinationOwner);
    return policyAllowed;
  }

  /** The policy's view of a hypervisor domain, computed once per domain (labels never change). */
  subjectOf(domain: DomainSummary): PolicySubject {
    const cached = this.subjectsByDomain.get(domain.id);
    if (cached !== undefined && cached.labels === domain.labels) return cached.subject;
    const subject = this.engine.subjectForLabels(`domain ${domain.id}`, domain.labels);
    this.subjectsByDomain.set(domain.id, { labels: domain.labels, subject });
    return subject;
  }

  private enforce(operation: HookOperation, from: DomainSummary, to: DomainSummary): HypervisorPolicyDecision {
    const decision = this.engine.decideTypeEnforcement(this.subjectOf(from), this.subjectOf(to));
    if (!decision.allowed) {
      this.record(operation, from, to, decision);
      return policyDenied(`${decision.rule}: ${decision.reason}`);
    }
    if (this.auditEveryAllow && operation !== "evtchn-send") {
      this.record(operation, from, to, decision);
    } else {
      // Guest domain ids are below 0x8000, so the pair packs into a small integer key.
      const audited = this.auditedAllows[hookOperations.indexOf(operation)];
      const key = from.id * 0x8000 + to.id;
      if (audited !== undefined && !audited.has(key)) {
        audited.add(key);
        this.record(operation, from, to, decision);
      }
    }
    return policyAllowed;
  }

  private record(operation: HookOperation, from: DomainSummary, to: DomainSummary, decision: PolicyDecision): void {
    this.audit.append({
      kind: "decision",
      operation,
      principal: null,
      subjects: [`domain ${from.id}`, `domain ${to.id}`],
      allowed: decision.allowed,
      rule: decision.rule,
      ruleKind: decision.ruleKind,
      reason: decision.reason,
    });
  }
}
