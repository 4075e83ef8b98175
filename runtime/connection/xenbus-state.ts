// The XenBus device states of io/xenbus.h, which every split driver's two ends publish in
// their `state` store keys; generic to all protocols, so the connection library owns them.

export const XenbusState = {
  unknown: 0,
  initialising: 1,
  initWait: 2,
  initialised: 3,
  connected: 4,
  closing: 5,
  closed: 6,
  reconfiguring: 7,
  reconfigured: 8,
} as const;

export type XenbusState = (typeof XenbusState)[keyof typeof XenbusState];

/** Parses a `state` key value; anything that is not a known decimal state reads as Unknown. */
export function parseXenbusState(value: string | undefined): XenbusState {
  if (value === undefined || !/^[0-8]$/.test(value)) return XenbusState.unknown;
  return Number(value) as XenbusState;
}

export function isXenbusClosingOrClosed(state: XenbusState): boolean {
  return state === XenbusState.closing || state === XenbusState.closed;
}
