// The toolstack's policy gate for starting and stopping domains: the Chinese wall is checked
// before the hypervisor creates a domain (the hypervisor has no start hook), the domain gets
// the labels the policy assigns to its name, and every decision is audited.
import type { AuditSink } from "../audit/audit-log-writer.js";
import type { CreateDomainOptions, Domain, DomainId, DomainTeardown, Hypervisor } from "../hypervisor/index.js";
import type { ChineseWallState } from "./chinese-wall.js";
import type { PolicyDecision } from "./policy-decision.js";
import type { PolicyEngine } from "./policy-engine.js";
import type { PolicySubject } from "./policy-subject.js";

export type DomainStartResult =
  | { readonly started: true; readonly domain: Domain; readonly decision: PolicyDecision }
  | { readonly started: false; readonly decision: PolicyDecision };

export class DomainStartGate {
  private readonly engine: PolicyEngine;
  private readonly audit: AuditSink;
  private readonly hypervisor: Hypervisor;
  private readonly wall: ChineseWallState;
  private readonly runningSubjects = new Map<DomainId, PolicySubject>();

  constructor(engine: PolicyEngine, audit: AuditSink, hypervisor: Hypervisor) {
    this.engine = engine;
    this.audit = audit;
    this.hypervisor = hypervisor;
    this.wall = engine.createChineseWall();
  }

  /**
   * Starts the domain the policy knows as `name`, with the policy's labels for that name, if
   * the Chinese wall allows it. Labels in `options` are ignored: the policy owns labelling.
   */
  startDomain(name: string, options: Omit<CreateDomainOptions, "labels"> = {}): DomainStartResult {
    const labels = this.engine.labelsForDomain(name);
    const subject = this.engine.subjectForLabels(`domain '${name}'`, labels);
    const decision = this.wall.decideDomainStart(subject);
    this.audit.append({
      kind: "decision",
      operation: "domain-start",
      principal: null,
      subjects: [subject.displayName],
      allowed: decision.allowed,
      rule: decision.rule,
      ruleKind: decision.ruleKind,
      reason: decision.reason,
    });
    if (!decision.allowed) return { started: false, decision };
    const domain = this.hypervisor.createDomain({ ...options, labels });
    this.wall.recordStarted(subject);
    this.runningSubjects.set(domain.id, subject);
    return { started: true, domain, decision };
  }

  /** Destroys a domain started through this gate and lets conflicting domains start again. */
  destroyDomain(id: DomainId): DomainTeardown | undefined {
    const teardown = this.hypervisor.destroyDomain(id);
    const subject = this.runningSubjects.get(id);
    if (subject !== undefined) {
      this.wall.recordStopped(subject);
      this.runningSubjects.delete(id);
    }
    return teardown;
  }

  isTypeRunning(typeName: string): boolean {
    return this.wall.isTypeRunning(typeName);
  }
}
