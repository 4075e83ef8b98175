// Lowers a checked host — the semantic model's resource classes and its one access-control
// policy — into the runtime's plain data: a CompiledPolicy for the policy engine and the
// broker's ResourceClasses, each carrying its protocol attribute (name, version, spec hash).
// Pure: the caller hands in the checked program (model and source texts).
import type { ResourceClass } from "../../runtime/broker/resource-class.js";
import type { CompiledPolicy } from "../../runtime/policy/policy-model.js";
import { computeSpecHash } from "../codegen/header.js";
import { hostDiagnostics } from "../diagnostics/codes/host.js";
import { createDiagnostic } from "../diagnostics/definition.js";
import type { Diagnostic, PhaseResult } from "../diagnostics/diagnostic.js";
import { lowerPolicy } from "../ir/lower-policy.js";
import type { SemanticModel } from "../semantic/model.js";
import { locateSpanStart } from "./source-location.js";

export interface LoweredHost {
  readonly policy: CompiledPolicy;
  readonly resourceClasses: readonly ResourceClass[];
  /** The spec hash of each protocol by name: sha256 of its file, as generated code carries it. */
  readonly specHashes: ReadonlyMap<string, string>;
  /** The file the policy was declared in. */
  readonly policyFile: string;
}

export interface CheckedHostInput {
  readonly model: SemanticModel;
  /** Every file's text by the path its spans use. */
  readonly sources: ReadonlyMap<string, string>;
}

/** Lowers the host; `value` is undefined exactly when an error diagnostic is returned. */
export function lowerHost(input: CheckedHostInput): PhaseResult<LoweredHost | undefined> {
  const diagnostics: Diagnostic[] = [];
  const { model, sources } = input;
  // Files come imports first, so the last one is a file the user named.
  const firstFile = model.files[model.files.length - 1] ?? "<no files>";
  const [policy, ...extraPolicies] = model.policies;
  if (policy === undefined) {
    diagnostics.push(
      createDiagnostic(hostDiagnostics.PD7001, { file: firstFile, start: 0, end: 0 }, `none of ${model.files.length} spec file(s) declares a 'policy'; a host needs exactly one`, {
        notes: ["Add the host's policy file (for example protocols/host-policy.proto-desc) to the inputs."],
      }),
    );
    return { value: undefined, diagnostics };
  }
  for (const extra of extraPolicies) {
    diagnostics.push(
      createDiagnostic(hostDiagnostics.PD7002, extra.span, `policy '${extra.name}' is a second policy; the host already has policy '${policy.name}'`, {
        related: [{ span: policy.span, message: `policy '${policy.name}' is declared here` }],
      }),
    );
  }
  if (diagnostics.length > 0) return { value: undefined, diagnostics };

  const specHashes = new Map<string, string>();
  for (const protocol of model.protocols) {
    specHashes.set(protocol.name, computeSpecHash([{ path: protocol.file, text: sources.get(protocol.file) ?? "" }]));
  }
  const lowered = lowerPolicy({ specHashes, locate: (span) => locateSpanStart(span, sources) }, policy, model.resourceClasses);
  return { value: { policy: lowered.policy, resourceClasses: lowered.resourceClasses, specHashes, policyFile: policy.file }, diagnostics };
}
