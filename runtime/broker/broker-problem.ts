// Stable codes for the broker's refusals that are not policy decisions: malformed resource
// classes, bad connect parameters, duplicate or unknown connections, store failures.

export const brokerProblemCodes = {
  resourceClassMalformed: { code: "PDB100", slug: "broker-resource-class-malformed" },
  resourceClassPathTemplate: { code: "PDB101", slug: "broker-path-template-invalid" },
  resourceClassDuplicate: { code: "PDB102", slug: "broker-resource-class-duplicate" },
  unknownResourceClass: { code: "PDB110", slug: "broker-unknown-resource-class" },
  invalidParameters: { code: "PDB111", slug: "broker-invalid-parameters" },
  alreadyConnected: { code: "PDB112", slug: "broker-already-connected" },
  notConnected: { code: "PDB113", slug: "broker-not-connected" },
  invalidDomain: { code: "PDB114", slug: "broker-invalid-domain" },
  controlArgumentsInvalid: { code: "PDB115", slug: "broker-control-arguments-invalid" },
  callerUnnamed: { code: "PDB116", slug: "broker-caller-unnamed" },
  storeFailure: { code: "PDB120", slug: "broker-store-failure" },
} as const;
export type BrokerProblemKind = keyof typeof brokerProblemCodes;

export interface BrokerProblem {
  readonly code: string;
  readonly slug: string;
  /** Where: a field path in a resource class, or the connection the request named. */
  readonly path: string;
  readonly message: string;
}

export function createBrokerProblem(kind: BrokerProblemKind, path: string, message: string): BrokerProblem {
  return { ...brokerProblemCodes[kind], path, message };
}

export function formatBrokerProblem(problem: BrokerProblem): string {
  return `${problem.code} ${problem.message} (at ${problem.path})`;
}
