// The semantic phase's entry point: takes every parsed file (the importers and everything
// they import, loaded by the caller), resolves imports (cycles and missing files reported),
// analyses protocols, resource classes and policies, and returns the frozen semantic model.
import { posix } from "node:path";
import type { PhaseResult } from "../diagnostics/diagnostic.js";
import type { Expression, ImportDeclaration, SourceFileAst } from "../syntax/ast.js";
import { analyzeProtocol } from "./analyze-protocol.js";
import { checkPolicy } from "./check-policies.js";
import { checkResourceClass } from "./check-resources.js";
import { DiagnosticSink } from "./diagnostic-sink.js";
import { freezeModel } from "./freeze-model.js";
import type { PolicyModel, ProtocolModel, ResourceClassModel, SemanticModel } from "./model.js";
import type { ValueType } from "./value-types.js";

/** The file an import names: its path joined to the importing file's directory, normalised. */
export function resolveImportPath(importingFile: string, importPath: string): string {
  return posix.normalize(posix.join(posix.dirname(importingFile.replaceAll("\\", "/")), importPath));
}

function normalizeFile(file: string): string {
  return posix.normalize(file.replaceAll("\\", "/"));
}

interface ImportGraph {
  readonly order: readonly SourceFileAst[];
  readonly imports: ReadonlyMap<SourceFileAst, readonly SourceFileAst[]>;
}

function buildImportGraph(files: readonly SourceFileAst[], sink: DiagnosticSink): ImportGraph {
  const byPath = new Map(files.map((file) => [normalizeFile(file.file), file] as const));
  const imports = new Map<SourceFileAst, { readonly target: SourceFileAst; readonly declaration: ImportDeclaration }[]>();
  for (const file of files) {
    const targets: { target: SourceFileAst; declaration: ImportDeclaration }[] = [];
    for (const declaration of file.imports) {
      const target = byPath.get(resolveImportPath(file.file, declaration.path.value));
      if (target === undefined) {
        sink.report("PD2004", declaration.path.span, `imported file '${declaration.path.value}' (${resolveImportPath(file.file, declaration.path.value)}) is not available`);
        continue;
      }
      targets.push({ target, declaration });
    }
    imports.set(file, targets);
  }
  // Depth-first search: a back edge closes a cycle, reported once at the import that closes it.
  const state = new Map<SourceFileAst, "active" | "done">();
  const order: SourceFileAst[] = [];
  const stack: SourceFileAst[] = [];
  const visit = (file: SourceFileAst): void => {
    state.set(file, "active");
    stack.push(file);
    for (const { target, declaration } of imports.get(file) ?? []) {
      const targetState = state.get(target);
      if (targetState === "active") {
        const cycle = [...stack.slice(stack.indexOf(target)), target].map((entry) => entry.file);
        sink.report("PD2003", declaration.path.span, `this import closes a cycle: ${cycle.join(" -> ")}`, { notes: ["move the shared declarations into a file both can import"] });
        continue;
      }
      if (targetState === undefined) visit(target);
    }
    stack.pop();
    state.set(file, "done");
    order.push(file);
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return { order, imports: new Map([...imports].map(([file, targets]) => [file, targets.map((entry) => entry.target)] as const)) };
}

function reachableFiles(start: SourceFileAst, imports: ReadonlyMap<SourceFileAst, readonly SourceFileAst[]>): Set<SourceFileAst> {
  const seen = new Set<SourceFileAst>([start]);
  const queue = [start];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const target of imports.get(next) ?? []) if (!seen.has(target)) { seen.add(target); queue.push(target); }
  }
  return seen;
}

export function analyze(files: readonly SourceFileAst[]): PhaseResult<SemanticModel> {
  const sink = new DiagnosticSink();
  const expressionTypes = new Map<Expression, ValueType>();
  const graph = buildImportGraph(files, sink);

  const protocolsByFile = new Map<SourceFileAst, ProtocolModel[]>();
  const allProtocols = new Map<string, ProtocolModel>();
  for (const file of graph.order) {
    const models: ProtocolModel[] = [];
    for (const declaration of file.declarations) {
      if (declaration.kind !== "ProtocolDeclaration") continue;
      const previous = allProtocols.get(declaration.name.text);
      if (previous !== undefined) {
        sink.report("PD2007", declaration.name.span, `protocol ${declaration.name.text} is already declared in ${previous.file}`, { related: [{ span: previous.span, message: "first declared here" }] });
        continue;
      }
      const model = analyzeProtocol(declaration, file.file, sink, expressionTypes);
      allProtocols.set(model.name, model);
      models.push(model);
    }
    protocolsByFile.set(file, models);
  }

  const classesByFile = new Map<SourceFileAst, ResourceClassModel[]>();
  const classNamesByFile = new Map<SourceFileAst, string[]>();
  const allClassNames = new Map<string, import("../diagnostics/diagnostic.js").Span>();
  for (const file of graph.order) {
    const visibleFiles = reachableFiles(file, graph.imports);
    const visible = new Map<string, ProtocolModel>();
    for (const visibleFile of visibleFiles) for (const model of protocolsByFile.get(visibleFile) ?? []) visible.set(model.name, model);
    const models: ResourceClassModel[] = [];
    const names: string[] = [];
    for (const declaration of file.declarations) {
      if (declaration.kind !== "ResourceDeclaration") continue;
      const previous = allClassNames.get(declaration.name.text);
      if (previous !== undefined) {
        sink.report("PD2002", declaration.name.span, `resource class ${declaration.name.text} is already declared`, { related: [{ span: previous, message: "first declared here" }] });
        continue;
      }
      allClassNames.set(declaration.name.text, declaration.name.span);
      names.push(declaration.name.text);
      const model = checkResourceClass(sink, file.file, declaration, { visible, all: allProtocols });
      if (model !== undefined) models.push(model);
    }
    classesByFile.set(file, models);
    classNamesByFile.set(file, names);
  }

  const policies: PolicyModel[] = [];
  const policyNames = new Map<string, import("../diagnostics/diagnostic.js").Span>();
  for (const file of graph.order) {
    const visibleFiles = reachableFiles(file, graph.imports);
    const visibleClasses = new Map<string, ResourceClassModel>();
    const declaredNames = new Set<string>();
    for (const visibleFile of visibleFiles) {
      for (const model of classesByFile.get(visibleFile) ?? []) visibleClasses.set(model.name, model);
      for (const name of classNamesByFile.get(visibleFile) ?? []) declaredNames.add(name);
    }
    for (const declaration of file.declarations) {
      if (declaration.kind !== "PolicyDeclaration") continue;
      const previous = policyNames.get(declaration.name.text);
      if (previous !== undefined) {
        sink.report("PD2002", declaration.name.span, `policy ${declaration.name.text} is already declared`, { related: [{ span: previous, message: "first declared here" }] });
        continue;
      }
      policyNames.set(declaration.name.text, declaration.name.span);
      const model = checkPolicy(sink, file.file, declaration, visibleClasses, declaredNames);
      if (model !== undefined) policies.push(model);
    }
  }

  const model: SemanticModel = {
    kind: "semantic-model",
    files: graph.order.map((file) => file.file),
    protocols: [...allProtocols.values()],
    resourceClasses: [...classesByFile.values()].flat(),
    policies,
    expressionTypes,
  };
  return { value: freezeModel(model), diagnostics: sink.diagnostics };
}
