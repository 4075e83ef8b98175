// Validates a compiled policy (possibly read from JSON, so typed `unknown`) and returns either
// the typed policy or every problem found, each with a stable code, a path and a location.
import {
  compiledPolicyFormatVersion,
  policyMechanisms,
  policyOperations,
  type CompiledPolicy,
  type PolicyMechanism,
  type PolicyColourGroup,
  type PolicyConflictSet,
  type PolicyDomainAssignment,
  type PolicyLabel,
  type PolicyOperation,
  type PolicyPermission,
  type PolicyPrincipal,
  type PolicyPrincipalKind,
  type PolicyResourceAssignment,
  type PolicyRole,
  type PolicySourceLocation,
  type PolicyType,
} from "./policy-model.js";
import { policyProblemCodes, type PolicyProblem, type PolicyProblemKind } from "./policy-problem.js";

export interface PolicyValidationResult {
  /** Present only when there are no problems. */
  readonly value: CompiledPolicy | undefined;
  readonly problems: readonly PolicyProblem[];
}

/** Names of policy elements: identifiers with dots and dashes, as the language allows. */
const policyNamePattern = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Resource classes additionally accept "*" in permissions, meaning every class. */
export const anyResourceClass = "*";

type JsonObject = Readonly<Record<string, unknown>>;

class ProblemCollector {
  readonly problems: PolicyProblem[] = [];
  report(kind: PolicyProblemKind, path: string, message: string, origin?: PolicySourceLocation): void {
    const { code, slug } = policyProblemCodes[kind];
    this.problems.push(origin === undefined ? { code, slug, path, message } : { code, slug, path, message, origin });
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readOrigin(value: JsonObject, path: string, problems: ProblemCollector): PolicySourceLocation | undefined {
  const origin = value["origin"];
  if (origin === undefined) return undefined;
  if (
    isObject(origin) &&
    typeof origin["file"] === "string" &&
    Number.isInteger(origin["line"]) &&
    Number.isInteger(origin["column"])
  ) {
    return { file: origin["file"], line: origin["line"] as number, column: origin["column"] as number };
  }
  problems.report("malformed", `${path}.origin`, "origin must be { file: string, line: integer, column: integer }");
  return undefined;
}

function readName(value: JsonObject, key: string, path: string, problems: ProblemCollector, origin?: PolicySourceLocation): string | undefined {
  const name = value[key];
  if (typeof name !== "string") {
    problems.report("malformed", `${path}.${key}`, `${key} must be a string`, origin);
    return undefined;
  }
  if (!policyNamePattern.test(name)) {
    problems.report("invalidName", `${path}.${key}`, `'${name}' is not a valid name (letters, digits, '_', '.', '-'; not starting with a digit)`, origin);
    return undefined;
  }
  return name;
}

function readNameList(value: JsonObject, key: string, path: string, problems: ProblemCollector, origin?: PolicySourceLocation): string[] {
  const list = value[key];
  if (!Array.isArray(list)) {
    problems.report("malformed", `${path}.${key}`, `${key} must be an array of names`, origin);
    return [];
  }
  const names: string[] = [];
  list.forEach((entry: unknown, index) => {
    if (typeof entry !== "string" || !policyNamePattern.test(entry)) {
      problems.report("invalidName", `${path}.${key}[${index}]`, `${JSON.stringify(entry)} is not a valid name`, origin);
      return;
    }
    names.push(entry);
  });
  return names;
}

function readArray(root: JsonObject, key: string, problems: ProblemCollector): readonly unknown[] {
  const list = root[key];
  if (!Array.isArray(list)) {
    problems.report("malformed", key, `${key} must be an array`);
    return [];
  }
  return list;
}

/** Reads each element of a top-level array with `read`, skipping elements that are not objects. */
function readEach<T>(root: JsonObject, key: string, problems: ProblemCollector, read: (element: JsonObject, path: string) => T | undefined): T[] {
  const result: T[] = [];
  readArray(root, key, problems).forEach((element, index) => {
    const path = `${key}[${index}]`;
    if (!isObject(element)) {
      problems.report("malformed", path, "must be an object");
      return;
    }
    const value = read(element, path);
    if (value !== undefined) result.push(value);
  });
  return result;
}

function withOrigin<T extends object>(value: T, origin: PolicySourceLocation | undefined): T & { readonly origin?: PolicySourceLocation } {
  return origin === undefined ? value : { ...value, origin };
}

function reportDuplicates(
  elements: readonly { readonly origin?: PolicySourceLocation }[],
  nameOf: (element: never) => string,
  collection: string,
  what: string,
  problems: ProblemCollector,
): void {
  const seen = new Map<string, number>();
  elements.forEach((element, index) => {
    const name = (nameOf as (element: unknown) => string)(element);
    const first = seen.get(name);
    if (first === undefined) {
      seen.set(name, index);
      return;
    }
    problems.report("duplicateName", `${collection}[${index}]`, `${what} '${name}' is declared twice (first at ${collection}[${first}])`, element.origin);
  });
}

function readPermission(element: unknown, path: string, problems: ProblemCollector, origin?: PolicySourceLocation): PolicyPermission | undefined {
  if (!isObject(element)) {
    problems.report("malformed", path, "a permission must be { resourceClass, operations }", origin);
    return undefined;
  }
  const resourceClass = element["resourceClass"];
  if (typeof resourceClass !== "string" || (resourceClass !== anyResourceClass && !policyNamePattern.test(resourceClass))) {
    problems.report("invalidName", `${path}.resourceClass`, `resourceClass must be a resource class name or "*", not ${JSON.stringify(resourceClass)}`, origin);
    return undefined;
  }
  const rawOperations = element["operations"];
  if (!Array.isArray(rawOperations)) {
    problems.report("malformed", `${path}.operations`, "operations must be an array", origin);
    return undefined;
  }
  const operations: PolicyOperation[] = [];
  rawOperations.forEach((operation: unknown, index) => {
    if (typeof operation === "string" && (policyOperations as readonly string[]).includes(operation)) {
      operations.push(operation as PolicyOperation);
    } else {
      problems.report("unknownOperation", `${path}.operations[${index}]`, `${JSON.stringify(operation)} is not an operation (expected one of ${policyOperations.join(", ")})`, origin);
    }
  });
  if (rawOperations.length === 0) problems.report("emptyOperations", `${path}.operations`, `a permission on '${resourceClass}' grants no operation`, origin);
  return { resourceClass, operations };
}

function checkReferences(
  names: readonly string[],
  known: ReadonlySet<string>,
  kind: PolicyProblemKind,
  what: string,
  path: string,
  problems: ProblemCollector,
  origin?: PolicySourceLocation,
): void {
  names.forEach((name, index) => {
    if (!known.has(name)) problems.report(kind, `${path}[${index}]`, `unknown ${what} '${name}'`, origin);
  });
}

/** Domain-name globs: name characters and '*', which matches any run of characters. */
const domainPatternPattern = /^[A-Za-z0-9_.*-]+$/;

/** Compiles a validated glob into an anchored regular expression. */
export function compileDomainPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.\-]/g, "\\$&")).join(".*")}$`);
}

export function validateCompiledPolicy(input: unknown): PolicyValidationResult {
  const problems = new ProblemCollector();
  if (!isObject(input)) {
    problems.report("malformed", "$", "a compiled policy must be a JSON object");
    return { value: undefined, problems: problems.problems };
  }
  if (input["formatVersion"] !== compiledPolicyFormatVersion) {
    problems.report("formatVersion", "formatVersion", `formatVersion must be ${compiledPolicyFormatVersion}, found ${JSON.stringify(input["formatVersion"])}; recompile the policy with this version of proto-desc`);
  }
  const policyName = readName(input, "name", "$", problems) ?? "";
  const enforce: PolicyMechanism[] = [];
  readArray(input, "enforce", problems).forEach((mechanism, index) => {
    if (typeof mechanism === "string" && (policyMechanisms as readonly string[]).includes(mechanism)) enforce.push(mechanism as PolicyMechanism);
    else problems.report("unknownMechanism", `enforce[${index}]`, `${JSON.stringify(mechanism)} is not a mechanism (expected one of ${policyMechanisms.join(", ")})`);
  });

  const types = readEach<PolicyType>(input, "types", problems, (element, path) => {
    const origin = readOrigin(element, path, problems);
    const name = readName(element, "name", path, problems, origin);
    return name === undefined ? undefined : withOrigin({ name }, origin);
  });
  const labels = readEach<PolicyLabel>(input, "labels", problems, (element, path) => {
    const origin = readOrigin(element, path, problems);
    const name = readName(element, "name", path, problems, origin);
    const labelTypes = readNameList(element, "types", path, problems, origin);
    if (name === undefined) return undefined;
    return withOrigin({ name, types: labelTypes }, origin);
  });
  const roles = readEach<PolicyRole>(input, "roles", problems, (element, path) => {
    const origin = readOrigin(element, path, problems);
    const name = readName(element, "name", path, problems, origin);
    const rawPermissions = element["permissions"];
    if (!Array.isArray(rawPermissions)) {
      problems.report("malformed", `${path}.permissions`, "permissions must be an array", origin);
      return undefined;
    }
    const permissions = rawPermissions.flatMap((permission: unknown, index) => readPermission(permission, `${path}.permissions[${index}]`, problems, origin) ?? []);
    return name === undefined ? undefined : withOrigin({ name, permissions }, origin);
  });
  const principals = readEach<PolicyPrincipal>(input, "principals", problems, (element, path) => {
    const origin = readOrigin(element, path, problems);
    const name = readName(element, "name", path, problems, origin);
    const rawKind = element["kind"];
    if (rawKind !== "domain" && rawKind !== "tool") {
      problems.report("malformed", `${path}.kind`, `kind must be "domain" or "tool", not ${JSON.stringify(rawKind)}`, origin);
      return undefined;
    }
    const kind: PolicyPrincipalKind = rawKind;
    const principalRoles = readNameList(element, "roles", path, problems, origin);
    const matches = element["matches"];
    if (matches !== undefined && (typeof matches !== "string" || !domainPatternPattern.test(matches) || kind !== "domain")) {
      problems.report("invalidPattern", `${path}.matches`, `matches must be a domain-name glob (letters, digits, '_', '.', '-', '*') on a domain principal, not ${JSON.stringify(matches)}`, origin);
      return undefined;
    }
    const privileged = element["privileged"];
    if (privileged !== undefined && typeof privileged !== "boolean") {
      problems.report("malformed", `${path}.privileged`, "privileged must be a boolean", origin);
      return undefined;
    }
    if (name === undefined) return undefined;
    return withOrigin({ name, kind, roles: principalRoles, ...(matches === undefined ? {} : { matches }), ...(privileged === true ? { privileged } : {}) }, origin);
  });
  const domains = readEach<PolicyDomainAssignment>(input, "domains", problems, (element, path) => {
    const origin = readOrigin(element, path, problems);
    const rawDomain = element["domain"];
    const domain = typeof rawDomain === "string" && domainPatternPattern.test(rawDomain) ? rawDomain : undefined;
    if (domain === undefined) problems.report("invalidPattern", `${path}.domain`, `domain must be a domain name or glob, not ${JSON.stringify(rawDomain)}`, origin);
    const domainLabels = readNameList(element, "labels", path, problems, origin);
    return domain === undefined ? undefined : withOrigin({ domain, labels: domainLabels }, origin);
  });
  const resources = readEach<PolicyResourceAssignment>(input, "resources", problems, (element, path) => {
    const origin = readOrigin(element, path, problems);
    const resourceClass = readName(element, "resourceClass", path, problems, origin);
    const resourceLabels = readNameList(element, "labels", path, problems, origin);
    return resourceClass === undefined ? undefined : withOrigin({ resourceClass, labels: resourceLabels }, origin);
  });
  const conflictSets = readEach<PolicyConflictSet>(input, "conflictSets", problems, (element, path) => {
    const origin = readOrigin(element, path, problems);
    const name = readName(element, "name", path, problems, origin);
    const setTypes = readNameList(element, "types", path, problems, origin);
    return name === undefined ? undefined : withOrigin({ name, types: setTypes }, origin);
  });
  const colourGroups = readEach<PolicyColourGroup>(input, "colourGroups", problems, (element, path) => {
    const origin = readOrigin(element, path, problems);
    const name = readName(element, "name", path, problems, origin);
    const groupTypes = readNameList(element, "types", path, problems, origin);
    return name === undefined ? undefined : withOrigin({ name, types: groupTypes }, origin);
  });

  reportDuplicates(types, (type: PolicyType) => type.name, "types", "type", problems);
  reportDuplicates(labels, (label: PolicyLabel) => label.name, "labels", "label", problems);
  reportDuplicates(roles, (role: PolicyRole) => role.name, "roles", "role", problems);
  reportDuplicates(principals, (principal: PolicyPrincipal) => principal.name, "principals", "principal", problems);
  reportDuplicates(domains, (domain: PolicyDomainAssignment) => domain.domain, "domains", "domain assignment", problems);
  reportDuplicates(resources, (resource: PolicyResourceAssignment) => resource.resourceClass, "resources", "resource assignment", problems);
  reportDuplicates(conflictSets, (conflictSet: PolicyConflictSet) => conflictSet.name, "conflictSets", "conflict set", problems);
  reportDuplicates(colourGroups, (group: PolicyColourGroup) => group.name, "colourGroups", "colour group", problems);

  const typeNames = new Set(types.map((type) => type.name));
  const labelsByName = new Map(labels.map((label) => [label.name, label] as const));
  const roleNames = new Set(roles.map((role) => role.name));

  labels.forEach((label, index) => checkReferences(label.types, typeNames, "unknownType", "type", `labels[${index}].types`, problems, label.origin));
  principals.forEach((principal, index) => checkReferences(principal.roles, roleNames, "unknownRole", "role", `principals[${index}].roles`, problems, principal.origin));
  domains.forEach((domain, index) => {
    checkReferences(domain.labels, new Set(labelsByName.keys()), "unknownLabel", "label", `domains[${index}].labels`, problems, domain.origin);
  });
  resources.forEach((resource, index) => {
    checkReferences(resource.labels, new Set(labelsByName.keys()), "unknownLabel", "label", `resources[${index}].labels`, problems, resource.origin);
  });
  conflictSets.forEach((conflictSet, index) => {
    checkReferences(conflictSet.types, typeNames, "unknownType", "type", `conflictSets[${index}].types`, problems, conflictSet.origin);
    if (new Set(conflictSet.types).size < 2) problems.report("conflictSetTooSmall", `conflictSets[${index}].types`, `conflict set '${conflictSet.name}' needs at least two distinct types to exclude anything`, conflictSet.origin);
  });
  colourGroups.forEach((group, index) => {
    checkReferences(group.types, typeNames, "unknownType", "type", `colourGroups[${index}].types`, problems, group.origin);
    if (group.types.length === 0) problems.report("emptyColourGroup", `colourGroups[${index}].types`, `colour group '${group.name}' lists no types`, group.origin);
  });

  if (problems.problems.length > 0) return { value: undefined, problems: problems.problems };
  const value: CompiledPolicy = {
    formatVersion: compiledPolicyFormatVersion,
    name: policyName,
    enforce,
    types,
    labels,
    roles,
    principals,
    domains,
    resources,
    conflictSets,
    colourGroups,
  };
  return { value, problems: [] };
}
