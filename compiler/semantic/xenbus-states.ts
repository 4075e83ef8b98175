// The XenBus states (Xen io/xenbus.h) with their numbers: the vocabulary of every lifecycle.

export const xenbusStates: readonly { readonly name: string; readonly value: number }[] = Object.freeze([
  { name: "Unknown", value: 0 },
  { name: "Initialising", value: 1 },
  { name: "InitWait", value: 2 },
  { name: "Initialised", value: 3 },
  { name: "Connected", value: 4 },
  { name: "Closing", value: 5 },
  { name: "Closed", value: 6 },
  { name: "Reconfiguring", value: 7 },
  { name: "Reconfigured", value: 8 },
].map((state) => Object.freeze(state)));

export const initialXenbusState = "Initialising";
export const closedXenbusState = "Closed";

export function xenbusStateValue(name: string): number | undefined {
  return xenbusStates.find((state) => state.name === name)?.value;
}
