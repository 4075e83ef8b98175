// A small, strict argument parser shared by every command: unknown flags, missing values and
// values outside an allowed set are usage errors (exit 2) with a one-line message.
import { CliUsageError } from "./io.js";

export interface FlagSpec {
  readonly kind: "boolean" | "string";
  /** For string flags: the allowed values, if the set is closed. */
  readonly values?: readonly string[];
}

export interface ParsedArguments {
  readonly positionals: readonly string[];
  readonly booleans: ReadonlySet<string>;
  readonly strings: ReadonlyMap<string, string>;
}

export function parseArguments(
  command: string,
  args: readonly string[],
  flags: Readonly<Record<string, FlagSpec>>,
): ParsedArguments {
  const positionals: string[] = [];
  const booleans = new Set<string>();
  const strings = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? "";
    if (arg === "--") {
      positionals.push(...args.slice(index + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      if (arg.startsWith("-") && arg !== "-") throw new CliUsageError(`${command}: unknown option '${arg}'`);
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    const spec = flags[name];
    if (spec === undefined) throw new CliUsageError(`${command}: unknown option '--${name}'`);
    if (spec.kind === "boolean") {
      if (equals >= 0) throw new CliUsageError(`${command}: option '--${name}' takes no value`);
      booleans.add(name);
      continue;
    }
    let value: string | undefined;
    if (equals >= 0) value = arg.slice(equals + 1);
    else {
      value = args[index + 1];
      index++;
    }
    if (value === undefined || value === "") throw new CliUsageError(`${command}: option '--${name}' needs a value`);
    if (spec.values !== undefined && !spec.values.includes(value)) {
      throw new CliUsageError(`${command}: option '--${name}' must be one of ${spec.values.join(", ")} (got '${value}')`);
    }
    strings.set(name, value);
  }
  return { positionals, booleans, strings };
}
