// A stable, readable text dump of an AST for golden tests and debugging: one node per line,
// indented, with its kind, half-open span and scalar fields; children listed by field name.

function isNode(value: unknown): value is { readonly kind: string; readonly span?: { readonly start: number; readonly end: number } } {
  return typeof value === "object" && value !== null && "kind" in value && typeof (value as { kind: unknown }).kind === "string";
}

function scalarText(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

export function dumpAst(root: unknown): string {
  const lines: string[] = [];
  const visit = (node: { readonly kind: string; readonly span?: { readonly start: number; readonly end: number } }, indent: string, label: string): void => {
    const record = node as unknown as Record<string, unknown>;
    const scalars: string[] = [];
    const children: [string, unknown][] = [];
    for (const [key, value] of Object.entries(record)) {
      if (key === "kind" || key === "span") continue;
      if (key === "file" && node.kind === "SourceFile") continue;
      if (value === undefined) continue;
      if (isNode(value) || Array.isArray(value)) children.push([key, value]);
      else scalars.push(`${key}=${scalarText(value)}`);
    }
    const span = node.span === undefined ? "" : ` ${node.span.start}..${node.span.end}`;
    lines.push(`${indent}${label}${node.kind}${span}${scalars.length > 0 ? ` ${scalars.join(" ")}` : ""}`);
    for (const [key, value] of children) {
      if (Array.isArray(value)) {
        if (value.length === 0) continue;
        lines.push(`${indent}  ${key}:`);
        for (const element of value) if (isNode(element)) visit(element, `${indent}    `, "");
      } else if (isNode(value)) visit(value, `${indent}  `, `${key}: `);
    }
  };
  if (isNode(root)) visit(root, "", "");
  return `${lines.join("\n")}\n`;
}
