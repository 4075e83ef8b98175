// The two facts every IR module shares: where a construct came from in a spec, and which C
// layout rules an ABI follows. Kept apart so the protocol and monitor IR need not import each other.

/** A half-open range in a spec file, carried into generated code for violation reports. */
export interface IrSpan {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/** A layout ABI: the C rules a record's bytes follow. `arm` uses the x86_64 rules, so it is an alias. */
export type IrLayoutAbi = "x86_64" | "x86_32";
