// Policy decision rates: the engine's precomputed bit sets against a naive Set-based oracle
// measured in the same run, the cost of enforcing type enforcement on grant maps, and the
// audit log's append rate with and without fsync.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLogWriter } from "../runtime/audit/audit-log-writer.js";
import { Hypervisor } from "../runtime/hypervisor/index.js";
import { PolicyEnforcingHypervisorHooks } from "../runtime/policy/hypervisor-policy-hooks.js";
import { PolicyEngine } from "../runtime/policy/policy-engine.js";
import type { CompiledPolicy } from "../runtime/policy/policy-model.js";
import { formatRate } from "./support/figures.js";
import type { BenchSuite } from "./suite.js";

/** A host policy of realistic size: 64 types, 32 labels of 4 types, 8 roles, 16 principals. */
function createBenchPolicy(): CompiledPolicy {
  const types = Array.from({ length: 64 }, (_, index) => ({ name: `t${index}` }));
  const labels = Array.from({ length: 32 }, (_, index) => ({ name: `l${index}`, types: [0, 1, 2, 3].map((offset) => `t${(index * 2 + offset * 17) % 64}`) }));
  const classes = ["vbd", "vif", "console", "vkbd", "vfb", "pci"];
  const roles = Array.from({ length: 8 }, (_, index) => ({
    name: `r${index}`,
    permissions: classes.filter((_, classIndex) => (classIndex + index) % 3 !== 0).map((resourceClass) => ({ resourceClass, operations: ["connect" as const, "inspect" as const] })),
  }));
  const principals = Array.from({ length: 16 }, (_, index) => ({ name: `p${index}`, kind: "tool" as const, roles: [`r${index % 8}`, `r${(index + 3) % 8}`] }));
  return { formatVersion: 1, name: "bench", enforce: ["rbac", "types", "chinese-wall", "colours"], types, labels, roles, principals, domains: [], resources: [], conflictSets: [], colourGroups: [] };
}

let blackhole = 0;

function measure(iterations: number, body: (iteration: number) => void): number {
  for (let index = 0; index < Math.min(iterations, 10_000); index++) body(index);
  const start = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++) body(index);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return iterations / seconds;
}

function report(name: string, rate: number, baselineName: string, baselineRate: number): void {
  process.stdout.write(`${name}: ${(rate / baselineRate).toPrecision(3)}x ${baselineName} (${formatRate(rate)} vs ${formatRate(baselineRate)})\n`);
}

export const suite: BenchSuite = {
  name: "policy",
  async run() {
    const policy = createBenchPolicy();
    const engine = PolicyEngine.fromPolicy(policy);
    const subjects = policy.labels.map((label) => engine.subjectForLabels(label.name, [label.name]));
    const typesByLabel = new Map(policy.labels.map((label) => [label.name, new Set(label.types)] as const));
    const labelNames = policy.labels.map((label) => label.name);

    // Baseline: what a straightforward implementation does per query, from the plain data.
    const naiveTypeEnforcement = (left: string, right: string): boolean => {
      const leftTypes = typesByLabel.get(left) ?? new Set<string>();
      for (const type of typesByLabel.get(right) ?? []) if (leftTypes.has(type)) return true;
      return false;
    };
    const teIterations = 2_000_000;
    const naiveTe = measure(teIterations, (iteration) => {
      blackhole += naiveTypeEnforcement(labelNames[iteration & 31]!, labelNames[(iteration >>> 5) & 31]!) ? 1 : 0;
    });
    const engineTe = measure(teIterations, (iteration) => {
      blackhole += engine.decideTypeEnforcement(subjects[iteration & 31]!, subjects[(iteration >>> 5) & 31]!).allowed ? 1 : 0;
    });
    report("type enforcement (bit sets)", engineTe, "naive Set lookup", naiveTe);

    // Domains with four labels each (about 16 types): the naive check walks every label pair.
    const wideLabelSets = Array.from({ length: 32 }, (_, index) => [0, 7, 13, 21].map((offset) => labelNames[(index + offset) & 31]!));
    const wideSubjects = wideLabelSets.map((labels, index) => engine.subjectForLabels(`wide ${index}`, labels));
    const naiveWide = (left: readonly string[], right: readonly string[]): boolean => {
      for (const leftLabel of left) for (const rightLabel of right) if (naiveTypeEnforcement(leftLabel, rightLabel)) return true;
      return false;
    };
    const naiveWideRate = measure(teIterations / 2, (iteration) => {
      blackhole += naiveWide(wideLabelSets[iteration & 31]!, wideLabelSets[(iteration >>> 5) & 31]!) ? 1 : 0;
    });
    const engineWideRate = measure(teIterations / 2, (iteration) => {
      blackhole += engine.decideTypeEnforcement(wideSubjects[iteration & 31]!, wideSubjects[(iteration >>> 5) & 31]!).allowed ? 1 : 0;
    });
    report("type enforcement, 4 labels per domain", engineWideRate, "naive label-pair scan", naiveWideRate);

    const naiveRbac = (principal: string, operation: string, resourceClass: string): boolean => {
      const roles = policy.principals.find((candidate) => candidate.name === principal)?.roles ?? [];
      return roles.some((roleName) => policy.roles.find((role) => role.name === roleName)?.permissions.some((permission) => (permission.resourceClass === resourceClass || permission.resourceClass === "*") && (permission.operations as readonly string[]).includes(operation)));
    };
    const principalNames = policy.principals.map((principal) => principal.name);
    const classes = ["vbd", "vif", "console", "vkbd"];
    const rbacIterations = 1_000_000;
    const naiveRbacRate = measure(rbacIterations, (iteration) => {
      blackhole += naiveRbac(principalNames[iteration & 15]!, "connect", classes[(iteration >>> 4) & 3]!) ? 1 : 0;
    });
    const engineRbacRate = measure(rbacIterations, (iteration) => {
      blackhole += engine.decideOperation(principalNames[iteration & 15]!, "connect", classes[(iteration >>> 4) & 3]!).allowed ? 1 : 0;
    });
    report("RBAC (precomputed tables)", engineRbacRate, "naive role scan", naiveRbacRate);

    const directory = mkdtempSync(join(tmpdir(), "proto-desc-bench-policy-"));
    try {
      // Grant map + unmap of one page, without policy and with enforced type enforcement.
      const mapRate = (hooks: PolicyEnforcingHypervisorHooks | undefined): number => {
        const hypervisor = hooks === undefined ? new Hypervisor() : new Hypervisor({ policyHooks: hooks });
        hypervisor.createDomain({ id: 1, labels: ["l0"] });
        hypervisor.createDomain({ id: 2, labels: ["l0"] });
        const frame = hypervisor.allocatePages(1) ?? 0;
        const granted = hypervisor.grantAccess(1, 2, frame, false);
        if (!granted.ok) throw new Error(granted.reason);
        return measure(200_000, () => {
          const mapped = hypervisor.mapGrant(2, 1, granted.reference, true);
          if (mapped.ok) hypervisor.unmapGrant(2, mapped.handle);
        });
      };
      const unpoliced = mapRate(undefined);
      const auditOnce = AuditLogWriter.open(join(directory, "first-per-pair.jsonl"), { now: () => 0 });
      const enforced = mapRate(new PolicyEnforcingHypervisorHooks(engine, auditOnce, { auditAllowed: "first-per-pair" }));
      auditOnce.close();
      report("grant map+unmap, TE enforced, first allow audited", enforced, "no policy", unpoliced);
      const auditEvery = AuditLogWriter.open(join(directory, "every.jsonl"), { now: () => 0 });
      const hooksEvery = new PolicyEnforcingHypervisorHooks(engine, auditEvery, { auditAllowed: "every" });
      const hypervisor = new Hypervisor({ policyHooks: hooksEvery });
      hypervisor.createDomain({ id: 1, labels: ["l0"] });
      hypervisor.createDomain({ id: 2, labels: ["l0"] });
      const frame = hypervisor.allocatePages(1) ?? 0;
      const granted = hypervisor.grantAccess(1, 2, frame, false);
      if (!granted.ok) throw new Error(granted.reason);
      const everyRate = measure(20_000, () => {
        const mapped = hypervisor.mapGrant(2, 1, granted.reference, true);
        if (mapped.ok) hypervisor.unmapGrant(2, mapped.handle);
      });
      auditEvery.close();
      report("grant map+unmap, TE enforced, every allow audited", everyRate, "no policy", unpoliced);

      const entry = { kind: "decision" as const, operation: "connect", principal: "p1", subjects: ["domain 1", "domain 2"], allowed: true, rule: "type-enforcement:shared-type/t1", ruleKind: "type-enforcement", reason: "both parties hold type 't1'" };
      const flushWriter = AuditLogWriter.open(join(directory, "flush.jsonl"), { now: () => 0 });
      const flushRate = measure(20_000, () => flushWriter.append(entry));
      flushWriter.close();
      const fsyncWriter = AuditLogWriter.open(join(directory, "fsync.jsonl"), { now: () => 0, durability: "fsync" });
      const fsyncRate = measure(500, () => fsyncWriter.append(entry));
      fsyncWriter.close();
      report("audit append, fsync per record", fsyncRate, "flush only", flushRate);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    if (blackhole === -1) process.stdout.write("\n");
  },
};
