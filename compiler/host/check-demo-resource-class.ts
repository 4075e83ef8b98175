// Decides whether a checked host can run the demo's block device: the demo connects its guests
// through one resource class that must speak the protocol (name and version) of the monitor
// the demo polices with. Pure: returns PD7003 at the host's policy when no class fits.
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
