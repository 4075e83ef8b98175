// Emits a protocol's `storeKeyClauses` table (runtime/monitor/store-key-clause-table.ts): the
// keys its store `where` clauses read, one slot each, and per clause a `holds` function over the
// slot values. Generated stubs check it before publishing or accepting keys, and the monitor
// spec carries it so the policer judges every store write.
import { StructureKind, VariableDeclarationKind, type StatementStructures } from "ts-morph";
import type { IrExpression } from "../ir/expression.js";
import type { IrStoreClauseExpression, IrStoreKeyClause, IrStoreKeyClauses } from "../ir/store-key-clauses.js";
import type { EmitContext } from "./emit-context.js";
import { writeExpression } from "./emit-expression.js";
import { storeKeyClausesNameOf } from "./names.js";

/** The protocol's store key clauses, when it has any the run time checks. */
export function storeKeyClausesOf(context: EmitContext): IrStoreKeyClauses | undefined {
  const table = context.protocol.monitor?.storeKeyClauses;
  return table === undefined || table.clauses.length === 0 ? undefined : table;
}

/** Slot leaves become field paths the resolver below turns into reads of the value table. */
function toFieldExpression(expression: IrStoreClauseExpression): IrExpression {
  switch (expression.kind) {
    case "key-value":
      return { kind: "field", path: ["value", String(expression.slot)] };
    case "key-present":
      return { kind: "field", path: ["present", String(expression.slot)] };
    case "unary":
      return { kind: "unary", operator: expression.operator, operand: toFieldExpression(expression.operand) };
    case "binary":
      return { kind: "binary", operator: expression.operator, left: toFieldExpression(expression.left), right: toFieldExpression(expression.right) };
    default:
      return expression;
  }
}

/** `a && b && c` as its conjuncts (one element when the expression is not a conjunction). */
function splitConjuncts(expression: IrStoreClauseExpression): IrStoreClauseExpression[] {
  if (expression.kind === "binary" && expression.operator === "&&") return [...splitConjuncts(expression.left), ...splitConjuncts(expression.right)];
  return [expression];
}

/** Slots whose value an expression reads (not those it only asks `present` of), in first-use order. */
function collectValueSlots(expression: IrStoreClauseExpression, into: number[]): number[] {
  switch (expression.kind) {
    case "key-value":
      if (!into.includes(expression.slot)) into.push(expression.slot);
      return into;
    case "unary":
      return collectValueSlots(expression.operand, into);
    case "binary":
      collectValueSlots(expression.left, into);
      return collectValueSlots(expression.right, into);
    default:
      return into;
  }
}

/**
 * The `holds` function of one clause. A key clause holds while its key is not written. Each
 * top-level conjunct is then judged on its own: one reading a malformed value, or false, breaks
 * the clause; one reading a key absent without default is undecided; so `value >= 1 && value <=
 * backend.max` with no maximum published is still broken by a 0, and undecided otherwise.
 */
function writeHolds(context: EmitContext, table: IrStoreKeyClauses, clause: IrStoreKeyClause): string {
  const lines: string[] = [];
  if (clause.keySlot >= 0) lines.push(`if (states[${clause.keySlot}] !== 2) return true;`);
  const resolve = ([kind, slotText]: readonly string[]): string => {
    const slot = Number(slotText);
    if (kind === "present") return `(states[${slot}] === 2)`;
    return table.slots[slot]?.kind === "bool" ? `(values[${slot}]! !== 0)` : `values[${slot}]!`;
  };
  const conjuncts = splitConjuncts(clause.expression);
  let mayBeUndecided = false;
  for (const conjunct of conjuncts) {
    const slots = collectValueSlots(conjunct, []);
    const condition = writeExpression(toFieldExpression(conjunct), "values", context.imports, resolve);
    const malformed = slots.map((slot) => `Number.isNaN(values[${slot}])`);
    const absent = slots.filter((slot) => slot !== clause.keySlot).map((slot) => `states[${slot}] === 0`);
    const broken = `${malformed.length === 0 ? "" : `${malformed.join(" || ")} || `}!(${condition})`;
    if (absent.length === 0) {
      lines.push(`if (${broken}) return false;`);
      continue;
    }
    mayBeUndecided = true;
    lines.push(`if (${absent.join(" || ")}) undecided = true;`, `else if (${broken}) return false;`);
  }
  if (mayBeUndecided) lines.unshift(...(clause.keySlot >= 0 ? [lines.shift() ?? ""] : []), "let undecided = false;");
  lines.push(mayBeUndecided ? "return undecided ? undefined : true;" : "return true;");
  return `(values: Float64Array, states: Uint8Array): boolean | undefined => {\n${lines.join("\n")}\n}`;
}

/** The `storeKeyClauses` constant, or nothing when the protocol states no checkable store clause. */
export function emitStoreKeyClauseTable(context: EmitContext): StatementStructures[] {
  const table = storeKeyClausesOf(context);
  if (table === undefined) return [];
  context.imports.useType("StoreKeyClauseTable");
  const slots = table.slots.map(
    (slot) => `{ role: ${JSON.stringify(slot.role)}, key: ${JSON.stringify(slot.key)}, kind: ${JSON.stringify(slot.kind)}${slot.defaultValue === undefined ? "" : `, defaultValue: ${slot.defaultValue}`} }`,
  );
  const clauses = table.clauses.map(
    (clause) => `{
  clauseId: ${JSON.stringify(clause.clauseId)},
  role: ${JSON.stringify(clause.role)},
  key: ${clause.key === undefined ? "undefined" : JSON.stringify(clause.key)},
  specSpan: ${JSON.stringify(clause.location)},
  text: ${JSON.stringify(clause.text)},
  ownSlots: ${JSON.stringify(clause.ownSlots)},
  peerSlots: ${JSON.stringify(clause.peerSlots)},
  dueInStates: ${JSON.stringify(clause.dueInStates)},
  holds: ${writeHolds(context, table, clause)},
}`,
  );
  const unchecked = table.unchecked.map((entry) => `${entry.clauseId} (${entry.reason})`);
  return [
    {
      kind: StructureKind.VariableStatement,
      declarationKind: VariableDeclarationKind.Const,
      isExported: true,
      docs: [
        `The store key \`where\` clauses of ${context.protocol.name}: the keys they read (one slot each) and a \`holds\` function per clause. ` +
          `Stubs check them before publishing or accepting keys; the monitor judges every store write by them.` +
          (unchecked.length === 0 ? "" : ` Not checked at run time: ${unchecked.join("; ")}.`),
      ],
      declarations: [{ name: storeKeyClausesNameOf(), type: "StoreKeyClauseTable", initializer: `{\nslots: [${slots.join(",\n")}],\nclauses: [${clauses.join(",\n")}],\n}` }],
    },
  ];
}
