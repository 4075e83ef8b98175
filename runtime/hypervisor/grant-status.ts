// Xen's grant-table status codes (GNTST_*) and the typed results grant operations return.
// Peer-caused failures are values, never exceptions.

export const GrantStatus = {
  okay: 0,
  generalError: -1,
  badDomain: -2,
  badGrantReference: -3,
  badHandle: -4,
  badVirtualAddress: -5,
  badDeviceAddress: -6,
  noDeviceSpace: -7,
  permissionDenied: -8,
  badPage: -9,
  badCopyArgument: -10,
  addressTooBig: -11,
  eagain: -12,
  noSpace: -13,
} as const;

export type GrantStatusCode = (typeof GrantStatus)[keyof typeof GrantStatus];
export type GrantFailureCode = Exclude<GrantStatusCode, 0>;

/** A failed grant operation: Xen's status code plus a sentence saying which rule refused it. */
export interface GrantFailure {
  readonly ok: false;
  readonly status: GrantFailureCode;
  readonly reason: string;
}

export type GrantResult<T> = ({ readonly ok: true; readonly status: 0 } & T) | GrantFailure;

export function grantFailure(status: GrantFailureCode, reason: string): GrantFailure {
  return { ok: false, status, reason };
}

const grantStatusNames = new Map<number, string>(Object.entries(GrantStatus).map(([name, code]) => [code, name]));

/** The status's name as used in this codebase (e.g. "permissionDenied"), for messages and logs. */
export function describeGrantStatus(status: number): string {
  return grantStatusNames.get(status) ?? `unknown(${status})`;
}

/** Tells a failure from a success value of any shape (successes never carry `ok: false`). */
export function isGrantFailure(value: object): value is GrantFailure {
  return "ok" in value && value.ok === false;
}
