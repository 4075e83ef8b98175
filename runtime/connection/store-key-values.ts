// Reads and writes typed store key values the way Xen's drivers do: integers in decimal,
// booleans as "1"/"0" (any non-zero integer reads as true), text as is. Generated stubs call
// these per key with the key's type and default from the spec; a value that cannot be read is
// returned as a StoreKeyUnreadable naming the key, never thrown.

/** A key a peer wrote (or left out) that cannot be read as its declared type. */
export class StoreKeyUnreadable {
  readonly key: string;
  /** The text found, or undefined when the key is absent. */
  readonly text: string | undefined;
  /** What the key should hold, e.g. "an integer in 0..4"; for a broken clause, the clause as written. */
  readonly expected: string;
  /** The store key clause the value breaks (e.g. `blkif.backend.sector-size`), when the type was fine but a `where` was not. */
  readonly clauseId: string | undefined;

  constructor(key: string, text: string | undefined, expected: string, clauseId?: string) {
    this.key = key;
    this.text = text;
    this.expected = expected;
    this.clauseId = clauseId;
  }

  get message(): string {
    if (this.clauseId !== undefined) return `store key ${this.key} holds ${JSON.stringify(this.text ?? "")}, which breaks clause ${this.clauseId} (${this.expected})`;
    return this.text === undefined ? `store key ${this.key} is missing; it must hold ${this.expected}` : `store key ${this.key} holds ${JSON.stringify(this.text)}, not ${this.expected}`;
  }
}

/**
 * Thrown by a generated key writer instead of publishing a value that breaks one of the role's
 * own store key clauses: the caller's mistake, named by the clause id, never written to the store.
 */
export class StoreKeyClauseRefused extends RangeError {
  constructor(
    readonly clauseId: string,
    readonly key: string,
    readonly value: number | boolean | string | undefined,
    readonly clauseText: string,
  ) {
    super(`store key ${key} = ${JSON.stringify(value ?? null)} breaks clause ${clauseId} (${clauseText}); it was not written`);
    this.name = "StoreKeyClauseRefused";
  }
}

const decimalInteger = /^-?[0-9]{1,16}$/;

function parseInteger(text: string, minimum: number, maximum: number): number | undefined {
  if (!decimalInteger.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= minimum && value <= maximum ? value : undefined;
}

/** A required (or defaulted) boolean key: absent reads as `fallback`, or is unreadable without one. */
export function readStoreBoolean(text: string | undefined, key: string, fallback: boolean | undefined): boolean | StoreKeyUnreadable {
  if (text === undefined) return fallback ?? new StoreKeyUnreadable(key, text, "a boolean (0 or 1)");
  const value = parseInteger(text, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  return value === undefined ? new StoreKeyUnreadable(key, text, "a boolean (0 or 1)") : value !== 0;
}

/** An optional boolean key without a default: absent reads as undefined. */
export function readOptionalStoreBoolean(text: string | undefined, key: string): boolean | undefined | StoreKeyUnreadable {
  return text === undefined ? undefined : readStoreBoolean(text, key, undefined);
}

/** A required (or defaulted) integer key within [minimum, maximum]. */
export function readStoreInteger(text: string | undefined, key: string, minimum: number, maximum: number, fallback: number | undefined): number | StoreKeyUnreadable {
  if (text === undefined) return fallback ?? new StoreKeyUnreadable(key, text, `an integer in ${minimum}..${maximum}`);
  return parseInteger(text, minimum, maximum) ?? new StoreKeyUnreadable(key, text, `an integer in ${minimum}..${maximum}`);
}

/** An optional integer key without a default: absent reads as undefined. */
export function readOptionalStoreInteger(text: string | undefined, key: string, minimum: number, maximum: number): number | undefined | StoreKeyUnreadable {
  return text === undefined ? undefined : readStoreInteger(text, key, minimum, maximum, undefined);
}

/** A required (or defaulted) text key. */
export function readStoreText(text: string | undefined, key: string, fallback: string | undefined): string | StoreKeyUnreadable {
  return text ?? fallback ?? new StoreKeyUnreadable(key, text, "text");
}

export function formatStoreBoolean(value: boolean): string {
  return value ? "1" : "0";
}

/** An integer key's text; a value outside the key's type is the caller's mistake and throws a RangeError naming the key. */
export function formatStoreInteger(value: number, key: string, minimum: number, maximum: number): string {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) throw new RangeError(`store key ${key} must be an integer in ${minimum}..${maximum}, not ${value}`);
  return String(value);
}
