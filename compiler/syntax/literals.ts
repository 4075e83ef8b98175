// Decoding of literal tokens (integers, durations, strings) into values; pure functions that
// report what is wrong with a literal instead of throwing.
import type { DurationUnit } from "./ast.js";

export type LiteralResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string; readonly offset: number; readonly length: number };

const decimalDigits = /^[0-9](?:_?[0-9])*$/;
const hexadecimalDigits = /^[0-9a-fA-F](?:_?[0-9a-fA-F])*$/;
const binaryDigits = /^[01](?:_?[01])*$/;

/** Decodes `4096`, `0x1000`, `0b1_0000`; `_` only between digits. */
export function decodeInteger(text: string): LiteralResult<bigint> {
  const prefix = text.slice(0, 2).toLowerCase();
  if (prefix === "0x" || prefix === "0b") {
    const digits = text.slice(2);
    const pattern = prefix === "0x" ? hexadecimalDigits : binaryDigits;
    const radixName = prefix === "0x" ? "hexadecimal" : "binary";
    if (digits.length === 0) return { ok: false, problem: `${radixName} integer '${text}' has no digits`, offset: 0, length: text.length };
    if (!pattern.test(digits)) {
      return { ok: false, problem: `invalid ${radixName} integer '${text}': ${describeDigitProblem(digits, pattern === hexadecimalDigits ? /[0-9a-fA-F]/ : /[01]/)}`, offset: 0, length: text.length };
    }
    return { ok: true, value: BigInt(`${prefix}${digits.replaceAll("_", "")}`) };
  }
  if (!decimalDigits.test(text)) {
    return { ok: false, problem: `invalid integer '${text}': ${describeDigitProblem(text, /[0-9]/)}`, offset: 0, length: text.length };
  }
  return { ok: true, value: BigInt(text.replaceAll("_", "")) };
}

function describeDigitProblem(digits: string, digit: RegExp): string {
  for (const character of digits) {
    if (character !== "_" && !digit.test(character)) return `'${character}' is not a digit here (a duration unit is one of ns, us, ms, s, min)`;
  }
  return "'_' may only separate digits";
}

const nanosecondsPerUnit: Readonly<Record<DurationUnit, bigint>> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  min: 60_000_000_000n,
};

export interface DecodedDuration {
  readonly amount: bigint;
  readonly unit: DurationUnit;
  readonly nanoseconds: bigint;
}

/** Decodes `30s`, `500ms`; the lexer guarantees the shape, this checks the digits. */
export function decodeDuration(text: string): LiteralResult<DecodedDuration> {
  const match = /^([0-9_]+)(ns|us|ms|min|s)$/.exec(text);
  const digits = match?.[1];
  const unit = match?.[2] as DurationUnit | undefined;
  if (digits === undefined || unit === undefined || !decimalDigits.test(digits)) {
    return { ok: false, problem: `invalid duration '${text}': '_' may only separate digits`, offset: 0, length: text.length };
  }
  const amount = BigInt(digits.replaceAll("_", ""));
  return { ok: true, value: { amount, unit, nanoseconds: amount * nanosecondsPerUnit[unit] } };
}

export interface StringEscapeProblem {
  readonly problem: string;
  /** Offset of the bad escape within the literal's text (including the opening quote). */
  readonly offset: number;
  readonly length: number;
}

/**
 * Decodes a string literal's text (with its quotes; the closing quote may be missing when the
 * string is unterminated). Bad escapes are reported and kept verbatim.
 */
export function decodeString(text: string): { readonly value: string; readonly problems: readonly StringEscapeProblem[] } {
  const closed = text.length >= 2 && text.endsWith('"') && !isEscaped(text, text.length - 1);
  const body = text.slice(1, closed ? -1 : undefined);
  const problems: StringEscapeProblem[] = [];
  let value = "";
  for (let index = 0; index < body.length; index++) {
    const character = body[index] ?? "";
    if (character !== "\\") {
      value += character;
      continue;
    }
    const next = body[index + 1];
    if (next === "\\" || next === '"') value += next;
    else if (next === "n") value += "\n";
    else if (next === "t") value += "\t";
    else if (next === "x" && /^[0-9a-fA-F]{2}$/.test(body.slice(index + 2, index + 4))) {
      value += String.fromCharCode(Number.parseInt(body.slice(index + 2, index + 4), 16));
      index += 2;
    } else {
      const shown = next === undefined ? "\\" : `\\${next}`;
      problems.push({ problem: `invalid escape '${shown}' in a string (use \\\\, \\", \\n, \\t or \\xHH)`, offset: index + 1, length: shown.length });
      value += shown;
    }
    index++;
  }
  return { value, problems };
}

function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let position = index - 1; position >= 0 && text[position] === "\\"; position--) backslashes++;
  return backslashes % 2 === 1;
}
