// Event-channel hypercalls fail with negative errno values in Xen; here they are typed results
// carrying the errno name and a sentence naming the refused rule.

export type EventChannelErrorName = "ESRCH" | "EINVAL" | "EPERM" | "EACCES" | "ENOSPC" | "EBUSY";

export interface EventChannelFailure {
  readonly ok: false;
  readonly error: EventChannelErrorName;
  readonly reason: string;
}

export type EventChannelResult<T> = ({ readonly ok: true } & T) | EventChannelFailure;

export function eventChannelFailure(error: EventChannelErrorName, reason: string): EventChannelFailure {
  return { ok: false, error, reason };
}

/** Shared success value for operations that return nothing, so success allocates nothing. */
export const eventChannelOkay: { readonly ok: true } = Object.freeze({ ok: true });
