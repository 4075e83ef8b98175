// Diagnostic codes PD7xxx: lowering a checked host (resource classes and one policy) into the
// runtime's plain data for the broker, the policy engine and the demo host, and checking that
// the host offers the class the demo's generated monitor polices.
import { defineDiagnostics } from "../definition.js";

export const hostDiagnostics = defineDiagnostics({
  PD7001: {
    slug: "host-policy-missing",
    severity: "error",
    summary: "The specs given for a host declare no access-control policy.",
  },
  PD7002: {
    slug: "host-policy-ambiguous",
    severity: "error",
    summary: "The specs given for a host declare more than one access-control policy.",
  },
  PD7003: {
    slug: "host-resource-class-missing",
    severity: "error",
    summary: "The demo host needs a resource class, speaking its generated monitor's protocol and version, that the specs do not declare.",
  },
  PD7004: {
    slug: "host-spec-hash-mismatch",
    severity: "error",
    summary: "A protocol spec the host loads is not the spec its generated module was compiled from (the spec hashes differ).",
  },
});
