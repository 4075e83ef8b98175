// A domain program for the execution tests: maps several grants of one granter as one
// contiguous view through its hypercalls, stamps the first byte of each page, and unmaps.

import type { DomainProgram } from "../../../../runtime/execution/index.js";

export interface MapAndStampInput {
  readonly granterId: number;
  readonly references: readonly number[];
}

export interface MapAndStampOutput {
  readonly viewBytes: number;
  readonly refusal: string | undefined;
}

export const domainProgram: DomainProgram<MapAndStampInput, MapAndStampOutput> = async (context, input) => {
  const mapped = await context.hypercalls.mapGrants(input.granterId, input.references, true);
  if (!mapped.ok) return { viewBytes: 0, refusal: `${mapped.status}: ${mapped.reason}` };
  for (let page = 0; page < input.references.length; page += 1) mapped.view[page * 4096] = 0xa0 + page;
  for (const handle of mapped.handles) {
    const unmapped = await context.hypercalls.unmapGrant(handle);
    if (!unmapped.ok) throw new Error(unmapped.reason);
  }
  return { viewBytes: mapped.view.byteLength, refusal: undefined };
};
