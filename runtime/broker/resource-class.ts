// Resource classes as plain data: which protocol a class speaks (name, version, spec hash),
// which role provides and consumes it, where its store directories live, its labels and
// per-domain limits. The compiler produces them from `resource` declarations.
import { createBrokerProblem, type BrokerProblem } from "./broker-problem.js";
import { describeInvalidPathTemplate } from "./resource-paths.js";

export interface ResourceProtocolDescription {
  readonly name: string;
  readonly version: number;
  /** The hash of the .proto-desc source the class was compiled from (hex). */
  readonly specHash: string;
}

export interface ResourceClassLimits {
  /** How many instances one frontend (consumer) domain may hold; absent means unlimited. */
  readonly perFrontendDomain?: number;
  /** How many instances one backend (provider) domain may serve; absent means unlimited. */
  readonly perBackendDomain?: number;
}

export interface ResourceClass {
  /** The class name, e.g. "vbd"; also `{class}` in path templates. */
  readonly name: string;
  readonly protocol: ResourceProtocolDescription;
  /** The role that serves the resource (lives in the backend directory), e.g. "backend". */
  readonly providerRole: string;
  /** The role that uses it (lives in the frontend directory), e.g. "frontend". */
  readonly consumerRole: string;
  /** Relative to /local/domain/<frontend>; placeholders {devid}, {class}, {frontend-domid}, {backend-domid}. */
  readonly frontendPath: string;
  /** Relative to /local/domain/<backend>; same placeholders. */
  readonly backendPath: string;
  /** Policy labels every instance carries (type enforcement, colours). */
  readonly labels: readonly string[];
  readonly limits: ResourceClassLimits;
  /** Connect parameters written as keys into the frontend directory (e.g. none for vbd). */
  readonly frontendParameterKeys: readonly string[];
  /** Connect parameters written as keys into the backend directory (e.g. "params", "mode"). */
  readonly backendParameterKeys: readonly string[];
}

const classNamePattern = /^[a-z][a-z0-9_-]*$/;
const keyPattern = /^[A-Za-z0-9_-]+$/;
const specHashPattern = /^[0-9a-f]{8,128}$/;
const roleNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Keys the broker itself writes; a parameter may not shadow them. */
export const brokerOwnedKeys: readonly string[] = ["state", "backend", "backend-id", "frontend", "frontend-id", "proto-desc", "devid"];

type JsonObject = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readKeyList(value: unknown, path: string, problems: BrokerProblem[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(createBrokerProblem("resourceClassMalformed", path, "must be an array of store key names"));
    return [];
  }
  const keys: string[] = [];
  value.forEach((key: unknown, index) => {
    if (typeof key !== "string" || !keyPattern.test(key)) {
      problems.push(createBrokerProblem("resourceClassMalformed", `${path}[${index}]`, `${JSON.stringify(key)} is not a store key name`));
    } else if (brokerOwnedKeys.includes(key)) {
      problems.push(createBrokerProblem("resourceClassMalformed", `${path}[${index}]`, `'${key}' is written by the broker itself and cannot be a parameter`));
    } else {
      keys.push(key);
    }
  });
  return keys;
}

function readLimit(limits: JsonObject, key: string, path: string, problems: BrokerProblem[]): number | undefined {
  const value = limits[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    problems.push(createBrokerProblem("resourceClassMalformed", `${path}.${key}`, "a limit must be a positive integer"));
    return undefined;
  }
  return value;
}

/** Validates untrusted resource-class data (e.g. compiler output read from JSON). */
export function validateResourceClass(input: unknown, path = "resourceClass"): { readonly value: ResourceClass | undefined; readonly problems: readonly BrokerProblem[] } {
  const problems: BrokerProblem[] = [];
  if (!isObject(input)) return { value: undefined, problems: [createBrokerProblem("resourceClassMalformed", path, "a resource class must be an object")] };
  const name = input["name"];
  if (typeof name !== "string" || !classNamePattern.test(name)) problems.push(createBrokerProblem("resourceClassMalformed", `${path}.name`, `${JSON.stringify(name)} is not a resource class name (lower-case letters, digits, '_', '-')`));
  const protocol = input["protocol"];
  if (!isObject(protocol) || typeof protocol["name"] !== "string" || protocol["name"].length === 0) {
    problems.push(createBrokerProblem("resourceClassMalformed", `${path}.protocol`, "protocol must be { name, version, specHash }"));
  } else {
    if (!Number.isInteger(protocol["version"]) || (protocol["version"] as number) < 0) problems.push(createBrokerProblem("resourceClassMalformed", `${path}.protocol.version`, "version must be a non-negative integer"));
    if (typeof protocol["specHash"] !== "string" || !specHashPattern.test(protocol["specHash"])) problems.push(createBrokerProblem("resourceClassMalformed", `${path}.protocol.specHash`, "specHash must be lower-case hex (8 to 128 digits)"));
  }
  for (const key of ["providerRole", "consumerRole"] as const) {
    const role = input[key];
    if (typeof role !== "string" || !roleNamePattern.test(role)) problems.push(createBrokerProblem("resourceClassMalformed", `${path}.${key}`, `${key} must be a role name`));
  }
  if (input["providerRole"] === input["consumerRole"]) problems.push(createBrokerProblem("resourceClassMalformed", `${path}.consumerRole`, "provider and consumer must be different roles"));
  for (const key of ["frontendPath", "backendPath"] as const) {
    const template = input[key];
    const invalid = typeof template === "string" ? describeInvalidPathTemplate(template) : "must be a string";
    if (invalid !== undefined) problems.push(createBrokerProblem("resourceClassPathTemplate", `${path}.${key}`, `${JSON.stringify(template)}: ${invalid}`));
  }
  const labels = input["labels"] ?? [];
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === "string")) problems.push(createBrokerProblem("resourceClassMalformed", `${path}.labels`, "labels must be an array of label names"));
  const limits = input["limits"] ?? {};
  if (!isObject(limits)) problems.push(createBrokerProblem("resourceClassMalformed", `${path}.limits`, "limits must be an object"));
  const perFrontendDomain = isObject(limits) ? readLimit(limits, "perFrontendDomain", `${path}.limits`, problems) : undefined;
  const perBackendDomain = isObject(limits) ? readLimit(limits, "perBackendDomain", `${path}.limits`, problems) : undefined;
  const frontendParameterKeys = readKeyList(input["frontendParameterKeys"], `${path}.frontendParameterKeys`, problems);
  const backendParameterKeys = readKeyList(input["backendParameterKeys"], `${path}.backendParameterKeys`, problems);
  if (problems.length > 0) return { value: undefined, problems };
  const validProtocol = protocol as JsonObject;
  const value: ResourceClass = {
    name: name as string,
    protocol: { name: validProtocol["name"] as string, version: validProtocol["version"] as number, specHash: validProtocol["specHash"] as string },
    providerRole: input["providerRole"] as string,
    consumerRole: input["consumerRole"] as string,
    frontendPath: input["frontendPath"] as string,
    backendPath: input["backendPath"] as string,
    labels: labels as string[],
    limits: {
      ...(perFrontendDomain === undefined ? {} : { perFrontendDomain }),
      ...(perBackendDomain === undefined ? {} : { perBackendDomain }),
    },
    frontendParameterKeys,
    backendParameterKeys,
  };
  return { value, problems: [] };
}
