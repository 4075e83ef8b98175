// The `proto-desc layout` report: for one ABI, every struct/message's size, alignment and
// entries (fields, padding, switches with their cases), and every ring's slot size and entries
// per page order — as a stable JSON document (docs/semantics.md) or as an aligned text table.
import type { TargetAbi } from "./layout-abi.js";
import type { LayoutEntry, RecordLayout } from "./layout.js";
import type { ProtocolModel, SemanticModel } from "./model.js";

export const layoutReportFormat = "proto-desc-layout";
export const layoutReportVersion = 1;

export type LayoutReportEntry =
  | { readonly kind: "field"; readonly name: string; readonly offset: number; readonly size: number; readonly align: number; readonly type: string; readonly elementSize?: number; readonly elementCount?: number }
  | { readonly kind: "padding"; readonly name: string; readonly offset: number; readonly size: number; readonly origin: "implicit" | "explicit" }
  | {
      readonly kind: "switch";
      readonly discriminant: string;
      readonly offset: number;
      readonly size: number;
      readonly cases: readonly { readonly labels: readonly string[]; readonly default: boolean; readonly variantSize: number; readonly variantAlign: number; readonly entries: readonly LayoutReportEntry[] }[];
    };

export interface LayoutReport {
  readonly format: typeof layoutReportFormat;
  readonly version: typeof layoutReportVersion;
  readonly abi: TargetAbi;
  readonly protocols: readonly {
    readonly name: string;
    readonly file: string;
    readonly records: readonly { readonly name: string; readonly kind: "struct" | "message"; readonly sender?: string; readonly size: number; readonly align: number; readonly entries: readonly LayoutReportEntry[] }[];
    readonly rings: readonly { readonly name: string; readonly requests: readonly string[]; readonly responses: readonly string[]; readonly slotSize: number; readonly orders: readonly { readonly pageOrder: number; readonly ringBytes: number; readonly entries: number }[] }[];
  }[];
  /** Protocols that do not list this ABI in their `abi` member. */
  readonly skippedProtocols: readonly string[];
}

function reportEntries(entries: readonly LayoutEntry[]): LayoutReportEntry[] {
  return entries.map((entry): LayoutReportEntry => {
    switch (entry.kind) {
      case "field":
        return entry.isArray
          ? { kind: "field", name: entry.name, offset: entry.offset, size: entry.size, align: entry.align, type: entry.typeText, elementSize: entry.elementSize, elementCount: entry.elementCount }
          : { kind: "field", name: entry.name, offset: entry.offset, size: entry.size, align: entry.align, type: entry.typeText };
      case "padding":
        return { kind: "padding", name: entry.name, offset: entry.offset, size: entry.size, origin: entry.origin };
      case "switch":
        return {
          kind: "switch",
          discriminant: entry.discriminant,
          offset: entry.offset,
          size: entry.size,
          cases: entry.cases.map((item) => ({ labels: item.labels, default: item.isDefault, variantSize: item.variantSize, variantAlign: item.variantAlign, entries: reportEntries(item.entries) })),
        };
    }
  });
}

function supportsAbi(protocol: ProtocolModel, abi: TargetAbi): boolean {
  return protocol.abis.some((entry) => entry.abi === abi);
}

export function buildLayoutReport(model: SemanticModel, abi: TargetAbi): LayoutReport {
  const supported = model.protocols.filter((protocol) => supportsAbi(protocol, abi));
  return {
    format: layoutReportFormat,
    version: layoutReportVersion,
    abi,
    protocols: supported.map((protocol) => ({
      name: protocol.name,
      file: protocol.file,
      records: protocol.records.flatMap((record) => {
        const layout: RecordLayout | undefined = record.layouts.get(abi);
        if (layout === undefined) return [];
        const base = { name: record.name, kind: record.isMessage ? ("message" as const) : ("struct" as const), size: layout.size, align: layout.align, entries: reportEntries(layout.entries) };
        return [record.sender === undefined ? base : { ...base, sender: record.sender }];
      }),
      rings: protocol.rings.flatMap((ring) => {
        const geometry = ring.geometry.get(abi);
        if (geometry === undefined) return [];
        return [{ name: ring.name, requests: ring.requestMessages, responses: ring.responseMessages, slotSize: geometry.slotSize, orders: geometry.byOrder.map((order) => ({ pageOrder: order.pageOrder, ringBytes: order.ringBytes, entries: order.entries })) }];
      }),
    })),
    skippedProtocols: model.protocols.filter((protocol) => !supportsAbi(protocol, abi)).map((protocol) => protocol.name),
  };
}

export function renderLayoutJson(report: LayoutReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function tableLines(entries: readonly LayoutReportEntry[], depth: number, lines: string[]): void {
  const indent = "  ".repeat(depth);
  for (const entry of entries) {
    if (entry.kind === "switch") {
      lines.push(`  ${String(entry.offset).padStart(6)}  ${String(entry.size).padStart(6)}  ${indent}switch ${entry.discriminant}`);
      for (const item of entry.cases) {
        const labels = item.default ? "default" : `case ${item.labels.join(", ")}`;
        lines.push(`  ${"".padStart(6)}  ${"".padStart(6)}  ${indent}  ${labels} (variant size ${item.variantSize}, align ${item.variantAlign})`);
        tableLines(item.entries, depth + 2, lines);
      }
      continue;
    }
    const what = entry.kind === "padding" ? (entry.origin === "implicit" ? "(padding)" : `${entry.name}: padding`) : `${entry.name}: ${entry.type}`;
    lines.push(`  ${String(entry.offset).padStart(6)}  ${String(entry.size).padStart(6)}  ${indent}${what}`);
  }
}

export function renderLayoutTable(report: LayoutReport): string {
  const lines: string[] = [];
  for (const protocol of report.protocols) {
    lines.push(`protocol ${protocol.name} (${report.abi})`, "");
    for (const record of protocol.records) {
      lines.push(`${record.kind} ${record.name}${record.sender === undefined ? "" : ` from ${record.sender}`}: size ${record.size}, align ${record.align}`);
      lines.push(`  ${"offset".padStart(6)}  ${"size".padStart(6)}  field`);
      tableLines(record.entries, 0, lines);
      lines.push("");
    }
    for (const ring of protocol.rings) {
      lines.push(`ring ${ring.name}: slot ${ring.slotSize} bytes (requests ${ring.requests.join(", ")}; responses ${ring.responses.join(", ")})`);
      for (const order of ring.orders) lines.push(`  page order ${order.pageOrder}: ${order.ringBytes} bytes, ${order.entries} entries`);
      lines.push("");
    }
  }
  for (const name of report.skippedProtocols) lines.push(`protocol ${name}: does not support ${report.abi} (not listed in its abi member)`);
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}
