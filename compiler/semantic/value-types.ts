// The types of expressions in constraints, guards and guarantees, and the rules for which
// operators accept which types. Grants and event channels are opaque handles: they compare
// only with their own kind, never with integers or strings.
import type { ScalarTypeName } from "./layout-abi.js";

export type ValueType =
  /** `scalar` is undefined for untyped integer literals and constants. */
  | { readonly kind: "integer"; readonly scalar: ScalarTypeName | undefined; readonly enumName: string | undefined }
  | { readonly kind: "boolean" }
  | { readonly kind: "string" }
  | { readonly kind: "abi" }
  | { readonly kind: "duration" }
  | { readonly kind: "grant" }
  | { readonly kind: "evtchn" }
  | { readonly kind: "record"; readonly recordName: string }
  | { readonly kind: "array"; readonly element: ValueType; readonly capacity: number; readonly countField: string | undefined }
  /** The values of one field across the slots of a repeated packet part (for `sum`, `count`). */
  | { readonly kind: "sequence"; readonly element: ValueType; readonly maximumLength: number }
  | { readonly kind: "role"; readonly role: string }
  | { readonly kind: "state" }
  | { readonly kind: "range" }
  | { readonly kind: "set"; readonly element: ValueType }
  | { readonly kind: "enum-type"; readonly enumName: string }
  | { readonly kind: "channel"; readonly channel: string }
  /** A multi-slot packet (its parts are members). */
  | { readonly kind: "packet"; readonly packet: string }
  /** Something that happens: answered(request), unmapped(g), notify. */
  | { readonly kind: "event" }
  /** The type of an expression that already produced a diagnostic; accepted everywhere. */
  | { readonly kind: "error" };

export const booleanType: ValueType = Object.freeze({ kind: "boolean" });
export const untypedInteger: ValueType = Object.freeze({ kind: "integer", scalar: undefined, enumName: undefined });
export const errorType: ValueType = Object.freeze({ kind: "error" });
export const durationType: ValueType = Object.freeze({ kind: "duration" });
export const eventType: ValueType = Object.freeze({ kind: "event" });
export const stringType: ValueType = Object.freeze({ kind: "string" });
export const stateType: ValueType = Object.freeze({ kind: "state" });
export const rangeType: ValueType = Object.freeze({ kind: "range" });

export function integerOf(scalar: ScalarTypeName): ValueType {
  if (scalar === "bool") return booleanType;
  if (scalar === "grant") return { kind: "grant" };
  if (scalar === "evtchn") return { kind: "evtchn" };
  return { kind: "integer", scalar, enumName: undefined };
}

export function isNumeric(type: ValueType): boolean {
  return type.kind === "integer" || type.kind === "error";
}

/** A short human description for diagnostics, e.g. `integer (u16)`, `grant`, `message Request`. */
export function describeValueType(type: ValueType): string {
  switch (type.kind) {
    case "integer":
      if (type.enumName !== undefined) return `enum ${type.enumName}`;
      return type.scalar === undefined ? "integer" : `integer (${type.scalar})`;
    case "record":
      return `record ${type.recordName}`;
    case "array":
      return `array of ${describeValueType(type.element)}`;
    case "sequence":
      return `sequence of ${describeValueType(type.element)}`;
    case "role":
      return `role ${type.role}`;
    case "set":
      return `set of ${describeValueType(type.element)}`;
    case "enum-type":
      return `enum type ${type.enumName}`;
    case "channel":
      return `channel ${type.channel}`;
    case "packet":
      return `packet ${type.packet}`;
    default:
      return type.kind;
  }
}

/**
 * Whether two values may be compared with `==`/`!=`. Integers compare with integers (enums
 * with their own enum or untyped integers); a role compares with a state (its current state);
 * the abi store type compares with strings; everything else only with its own kind.
 */
export function areComparable(left: ValueType, right: ValueType): boolean {
  if (left.kind === "error" || right.kind === "error") return true;
  if (left.kind === "integer" && right.kind === "integer") {
    if (left.enumName !== undefined && right.enumName !== undefined) return left.enumName === right.enumName;
    return true;
  }
  const roleOrState = (type: ValueType): boolean => type.kind === "role" || type.kind === "state";
  if (roleOrState(left) && roleOrState(right)) return left.kind !== right.kind || left.kind === "state";
  const textual = (type: ValueType): boolean => type.kind === "string" || type.kind === "abi";
  if (textual(left) && textual(right)) return true;
  if (left.kind === "set" && right.kind === "set") return areComparable(left.element, right.element);
  if (left.kind === "record" && right.kind === "record") return left.recordName === right.recordName;
  return left.kind === right.kind && (left.kind === "boolean" || left.kind === "grant" || left.kind === "evtchn" || left.kind === "duration");
}

/** Whether `<`, `<=`, `>`, `>=` apply: integers, durations, and role-versus-state (XenBus order). */
export function areOrdered(left: ValueType, right: ValueType): boolean {
  if (left.kind === "error" || right.kind === "error") return true;
  if (left.kind === "integer" && right.kind === "integer") return true;
  if (left.kind === "duration" && right.kind === "duration") return true;
  return (left.kind === "role" && right.kind === "state") || (left.kind === "state" && right.kind === "role");
}
