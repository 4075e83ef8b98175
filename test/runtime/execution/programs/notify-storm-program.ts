// A hostile or merely busy domain for the execution tests: it notifies one port as fast as it
// can for a while, whatever state the channel is in, and counts what each send met.

import type { DomainProgram } from "../../../../runtime/execution/index.js";

export interface NotifyStormInput {
  readonly port: number;
  readonly sends: number;
}

export interface NotifyStormOutput {
  readonly raised: number;
  readonly notRaised: number;
  readonly refused: number;
}

export const domainProgram: DomainProgram<NotifyStormInput, NotifyStormOutput> = async (context, input) => {
  let raised = 0;
  let notRaised = 0;
  let refused = 0;
  for (let send = 0; send < input.sends; send += 1) {
    const result = context.notify(input.port);
    if (!result.ok) refused += 1;
    else if (result.raised) raised += 1;
    else notRaised += 1;
  }
  return { raised, notRaised, refused };
};
