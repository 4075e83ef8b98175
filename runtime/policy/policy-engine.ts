// The decision engine: answers RBAC, type-enforcement and colour queries against a loaded
// policy, and creates the stateful Chinese-wall tracker. It decides; it does no I/O.
import { ChineseWallState } from "./chinese-wall.js";
import { createPolicyDecision, type PolicyDecision } from "./policy-decision.js";
import { anyResourceClassKey, indexPolicy, matchDomainName, operationIndex, type PolicyIndex } from "./policy-index.js";
import { policyOperations, type CompiledPolicy, type PolicyMechanism, type PolicyOperation } from "./policy-model.js";
import { PolicyLoadError, type PolicyProblem } from "./policy-problem.js";
import { resolvePolicySubject, type PolicySubject } from "./policy-subject.js";
import { validateCompiledPolicy } from "./policy-validation.js";
import { firstCommonBit, forEachBit, isEmptyBitset } from "./type-bitset.js";

export interface PolicyEngineLoadResult {
  readonly engine: PolicyEngine | undefined;
  readonly problems: readonly PolicyProblem[];
}

function describeTypes(index: PolicyIndex, subject: PolicySubject): string {
  const names: string[] = [];
  forEachBit(subject.typeMask, (type) => names.push(index.typeNames[type] ?? `#${type}`));
  const unknown = subject.unknownLabels.length === 0 ? "" : ` (labels unknown to the policy: ${subject.unknownLabels.join(", ")})`;
  return `${names.length === 0 ? "no types" : `types {${names.join(", ")}}`}${unknown}`;
}

/** Bounds on the decision caches, so hostile callers inventing names cannot grow them forever. */
const maximumCachedDenials = 65_536;
const maximumCachedPrincipals = 1_024;
const maximumCachedClassesPerPrincipal = 1_024;
/** Subject serials wrap below 2^21 so that they stay small integers (fast map keys). */
const subjectSerialModulus = 0x20_0000;

export class PolicyEngine {
  readonly index: PolicyIndex;
  /** One allow decision per type: the shared type that let two subjects meet. */
  private readonly typeEnforcementAllowByType: readonly PolicyDecision[];
  /** Type-enforcement denials by subject pair, so repeated denials allocate nothing. */
  private readonly typeEnforcementDenials = new Map<number, Map<number, { readonly left: PolicySubject; readonly right: PolicySubject; readonly decision: PolicyDecision }>>();
  private cachedDenialCount = 0;
  /** RBAC answers per principal and class, filled on first use, so repeats are two lookups. */
  private readonly operationDecisions = new Map<string, Map<string, (PolicyDecision | undefined)[]>>();
  private nextSubjectSerial = 0;
  private readonly notEnforced: ReadonlyMap<PolicyMechanism, PolicyDecision>;
  private readonly colourUncoloured = createPolicyDecision(true, "colour-group", "uncoloured", "colours constrain only subjects that both hold a colour, and one of these holds none");
  private readonly colourAllowByGroup: readonly PolicyDecision[];
  /** The `enforce` switches as fields, read on every query (cheaper than a set lookup). */
  private readonly enforcesRbac: boolean;
  private readonly enforcesTypes: boolean;
  private readonly enforcesColours: boolean;

  private constructor(index: PolicyIndex) {
    this.index = index;
    this.enforcesRbac = index.enforced.has("rbac");
    this.enforcesTypes = index.enforced.has("types");
    this.enforcesColours = index.enforced.has("colours");
    const ruleKinds = { rbac: "rbac-permission", types: "type-enforcement", "chinese-wall": "chinese-wall", colours: "colour-group" } as const;
    this.notEnforced = new Map(
      (Object.keys(ruleKinds) as PolicyMechanism[]).map((mechanism) => [mechanism, createPolicyDecision(true, ruleKinds[mechanism], "not-enforced", `policy '${index.policy.name}' does not enforce ${mechanism}`)] as const),
    );
    this.colourAllowByGroup = index.colourNames.map((colour) => createPolicyDecision(true, "colour-group", `shared/${colour}`, `both parties have colour '${colour}'`));
    this.typeEnforcementAllowByType = index.typeNames.map((type) =>
      createPolicyDecision(true, "type-enforcement", `shared-type/${type}`, `both parties hold type '${type}'`),
    );
  }

  /** Validates untrusted input (e.g. parsed JSON) and builds an engine, or returns every problem. */
  static load(input: unknown): PolicyEngineLoadResult {
    const validated = validateCompiledPolicy(input);
    if (validated.value === undefined) return { engine: undefined, problems: validated.problems };
    return { engine: new PolicyEngine(indexPolicy(validated.value)), problems: [] };
  }

  /** Like `load`, for callers that treat an invalid policy as fatal; throws PolicyLoadError. */
  static fromPolicy(policy: CompiledPolicy): PolicyEngine {
    const result = PolicyEngine.load(policy);
    if (result.engine === undefined) throw new PolicyLoadError(result.problems);
    return result.engine;
  }

  get policy(): CompiledPolicy {
    return this.index.policy;
  }

  /** RBAC: may `principal` perform `operation` on instances of `resourceClass`? */
  decideOperation(principal: string, operation: PolicyOperation, resourceClass: string): PolicyDecision {
    if (!this.enforcesRbac) return this.notEnforcedDecision("rbac");
    const position = operationIndex(operation);
    let byClass = this.operationDecisions.get(principal);
    const cached = byClass?.get(resourceClass)?.[position];
    if (cached !== undefined) return cached;
    const decision = this.computeOperationDecision(principal, operation, resourceClass);
    if (byClass === undefined && this.operationDecisions.size < maximumCachedPrincipals) {
      byClass = new Map();
      this.operationDecisions.set(principal, byClass);
    }
    if (byClass !== undefined && (byClass.has(resourceClass) || byClass.size < maximumCachedClassesPerPrincipal)) {
      let row = byClass.get(resourceClass);
      if (row === undefined) {
        row = policyOperations.map(() => undefined);
        byClass.set(resourceClass, row);
      }
      row[position] = decision;
    }
    return decision;
  }

  private computeOperationDecision(principal: string, operation: PolicyOperation, resourceClass: string): PolicyDecision {
    const table = this.index.permissionsByPrincipal.get(principal);
    if (table === undefined) {
      return createPolicyDecision(false, "default-deny", "unknown-principal", `principal '${principal}' is not declared in policy '${this.policy.name}'`);
    }
    const position = operationIndex(operation);
    const granted = table.byResourceClass.get(resourceClass)?.[position] ?? table.byResourceClass.get(anyResourceClassKey)?.[position];
    if (granted !== undefined) return granted;
    const roles = table.roles.length === 0 ? "no roles" : `roles ${table.roles.map((role) => `'${role}'`).join(", ")}`;
    return createPolicyDecision(false, "default-deny", `no-permission/${resourceClass}/${operation}`, `principal '${principal}' holds ${roles}, none of which permits '${operation}' on resource class '${resourceClass}'`);
  }

  /**
   * RBAC for a party of a connection: the domain principal standing for `domainName` (by name,
   * then by `matches` glob) must hold `provide` or `consume` on the class.
   */
  decidePartyOperation(domainName: string, operation: "provide" | "consume", resourceClass: string): PolicyDecision {
    if (!this.enforcesRbac) return this.notEnforcedDecision("rbac");
    const principal = this.principalForDomain(domainName);
    if (principal === undefined) {
      return createPolicyDecision(false, "default-deny", "unknown-domain-principal", `no domain principal of policy '${this.policy.name}' stands for domain '${domainName}', so it may not ${operation} '${resourceClass}'`);
    }
    return this.decideOperation(principal, operation, resourceClass);
  }

  /** The domain principal standing for a domain name, if any. */
  principalForDomain(domainName: string): string | undefined {
    return matchDomainName(this.index.principalsByDomainName, domainName);
  }

  /** The subject for a domain started under a policy name; unassigned domains carry no labels. */
  subjectForDomain(domainName: string, extraLabels: readonly string[] = []): PolicySubject {
    const assigned = this.labelsForDomain(domainName);
    return resolvePolicySubject(this.index, this.takeSubjectSerial(), `domain '${domainName}'`, [...new Set([...assigned, ...extraLabels])]);
  }

  /** The subject for a domain whose labels are already known (e.g. from the hypervisor). */
  subjectForLabels(displayName: string, labels: readonly string[]): PolicySubject {
    return resolvePolicySubject(this.index, this.takeSubjectSerial(), displayName, labels);
  }

  /** A resource instance: the class's labels from the policy, the class's own and the instance's. */
  subjectForResource(resourceClass: string, instance: string, ownLabels: readonly string[] = []): PolicySubject {
    const assigned = this.index.labelsByResourceClass.get(resourceClass) ?? [];
    return resolvePolicySubject(this.index, this.takeSubjectSerial(), `resource ${resourceClass}/${instance}`, [...new Set([...assigned, ...ownLabels])]);
  }

  /** Labels the policy assigns to a domain name, for the toolstack that starts the domain. */
  labelsForDomain(domainName: string): readonly string[] {
    return matchDomainName(this.index.labelsByDomain, domainName) ?? [];
  }

  isEnforced(mechanism: PolicyMechanism): boolean {
    return this.index.enforced.has(mechanism);
  }

  /** The allow decision a switched-off mechanism gives. */
  notEnforcedDecision(mechanism: PolicyMechanism): PolicyDecision {
    const decision = this.notEnforced.get(mechanism);
    if (decision === undefined) throw new Error(`unknown mechanism ${mechanism}`);
    return decision;
  }

  /**
   * Type enforcement: two subjects may share event channels, grants or a resource iff their
   * type sets intersect. The allow path allocates nothing.
   */
  decideTypeEnforcement(left: PolicySubject, right: PolicySubject): PolicyDecision {
    if (!this.enforcesTypes) return this.notEnforcedDecision("types");
    const shared = firstCommonBit(left.typeMask, right.typeMask);
    if (shared >= 0) {
      const decision = this.typeEnforcementAllowByType[shared];
      if (decision !== undefined) return decision;
    }
    let byRight = this.typeEnforcementDenials.get(left.serial);
    const cached = byRight?.get(right.serial);
    // Serials wrap, so the cached entry must be for these very subjects.
    if (cached !== undefined && cached.left === left && cached.right === right) return cached.decision;
    const decision = createPolicyDecision(
      false,
      "type-enforcement",
      "disjoint-types",
      `${left.displayName} holds ${describeTypes(this.index, left)} and ${right.displayName} holds ${describeTypes(this.index, right)}: no type in common`,
    );
    if (this.cachedDenialCount >= maximumCachedDenials) {
      this.typeEnforcementDenials.clear();
      this.cachedDenialCount = 0;
      byRight = undefined;
    }
    if (byRight === undefined) {
      byRight = new Map();
      this.typeEnforcementDenials.set(left.serial, byRight);
    }
    byRight.set(right.serial, { left, right, decision });
    this.cachedDenialCount++;
    return decision;
  }

  private takeSubjectSerial(): number {
    const serial = this.nextSubjectSerial;
    this.nextSubjectSerial = (serial + 1) % subjectSerialModulus;
    return serial;
  }

  /**
   * Colour groups: two subjects that both hold a colour may share only if they hold a common
   * one; a subject without colour is constrained by type enforcement alone.
   */
  decideColours(left: PolicySubject, right: PolicySubject): PolicyDecision {
    if (!this.enforcesColours) return this.notEnforcedDecision("colours");
    const shared = firstCommonBit(left.colourMask, right.colourMask);
    if (shared >= 0) return this.colourAllowByGroup[shared] ?? this.colourUncoloured;
    if (isEmptyBitset(left.colourMask) || isEmptyBitset(right.colourMask)) return this.colourUncoloured;
    return createPolicyDecision(false, "colour-group", "disjoint-colours", `${left.displayName} has colours {${this.describeColours(left)}} and ${right.displayName} has {${this.describeColours(right)}}: no colour in common`);
  }

  createChineseWall(): ChineseWallState {
    return new ChineseWallState(this.index, this.isEnforced("chinese-wall") ? undefined : this.notEnforcedDecision("chinese-wall"));
  }

  private describeColours(subject: PolicySubject): string {
    const names: string[] = [];
    forEachBit(subject.colourMask, (colour) => names.push(this.index.colourNames[colour] ?? `#${colour}`));
    return names.join(", ");
  }
}
