// Decides whether a checked host can run the demo's block device: the demo connects its guests
// through one resource class that must speak the protocol (name and version) of the monitor
// the demo polices with, and the spec the host loads for that protocol must be the very spec
// the monitor was generated from (same spec hash). Pure: returns PD7003 at the host's policy
// when no class fits, PD7004 at the protocol when the hashes differ.
import { hostDiagnostics } from "../diagnostics/codes/host.js";
import { createDiagnostic } from "../diagnostics/definition.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { SemanticModel } from "../semantic/model.js";

export interface DemoResourceClassRequirement {
  /** The class name the demo asks the broker for. */
  readonly resourceClass: string;
  /** The protocol the demo's monitor spec was generated from. */
  readonly protocol: string;
  readonly version: number;
}

export interface DemoSpecHashRequirement {
  readonly protocol: string;
  /** The generated module's `specHash` constant, `sha256:<hex>`. */
  readonly generatedSpecHash: string;
  /** The command that regenerates the module, for the note. */
  readonly regenerateCommand: string;
}

/**
 * Compares the hash of the spec the host loaded for a protocol (as lowerHost computed it, hex)
 * with the generated module's constant; a protocol the specs do not declare is PD7003's case.
 */
export function checkDemoProtocolSpecHash(model: SemanticModel, loadedSpecHashes: ReadonlyMap<string, string>, requirement: DemoSpecHashRequirement): readonly Diagnostic[] {
  const declared = model.protocols.find((candidate) => candidate.name === requirement.protocol);
  const loaded = loadedSpecHashes.get(requirement.protocol);
  if (declared === undefined || loaded === undefined) return [];
  if (`sha256:${loaded}` === requirement.generatedSpecHash) return [];
  return [
    createDiagnostic(
      hostDiagnostics.PD7004,
      declared.span,
      `${declared.file} has spec hash sha256:${loaded}, but the generated ${requirement.protocol} module the demo polices with was compiled from sha256:${requirement.generatedSpecHash.replace(/^sha256:/, "")}`,
      { notes: [`The monitor would police a different protocol than the one the broker records. Load the spec the module was generated from, or regenerate it: ${requirement.regenerateCommand}`] },
    ),
  ];
}

export function checkDemoResourceClass(model: SemanticModel, requirement: DemoResourceClassRequirement): readonly Diagnostic[] {
  const declared = model.resourceClasses.find((candidate) => candidate.name === requirement.resourceClass);
  if (declared !== undefined && declared.protocol === requirement.protocol && declared.protocolVersion === requirement.version) return [];
  const policy = model.policies[0];
  const span = declared?.span ?? policy?.span ?? { file: model.files[model.files.length - 1] ?? "<no files>", start: 0, end: 0 };
  const found = declared === undefined ? "the specs declare no such class" : `it speaks ${declared.protocol} version ${declared.protocolVersion}`;
  return [
    createDiagnostic(hostDiagnostics.PD7003, span, `the demo host needs resource class '${requirement.resourceClass}' speaking ${requirement.protocol} version ${requirement.version}, whose monitor is generated in drivers/blk/generated/; ${found}`, {
      notes: ["Include protocols/blkif.proto-desc and a 'resource vbd' class for it (see protocols/host-policy.proto-desc)."],
    }),
  ];
}
