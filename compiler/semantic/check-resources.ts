// Resource classes: the protocol each speaks (visible through imports, version matching), the
// provider and consumer roles, store path templates and per-domain limits.
import type { Span } from "../diagnostics/diagnostic.js";
import type { ResourceDeclaration } from "../syntax/ast.js";
import type { DiagnosticSink } from "./diagnostic-sink.js";
import type { ProtocolModel, ResourceClassModel } from "./model.js";
import { didYouMean } from "./suggest-names.js";

export interface VisibleProtocols {
  /** Protocols declared in the resource's file or in a file it imports (directly or not). */
  readonly visible: ReadonlyMap<string, ProtocolModel>;
  /** Every analysed protocol, to suggest an import when one exists elsewhere. */
  readonly all: ReadonlyMap<string, ProtocolModel>;
}

const pathCharacters = /^[A-Za-z0-9\-/_@{}]+$/;

export function checkResourceClass(sink: DiagnosticSink, file: string, resource: ResourceDeclaration, protocols: VisibleProtocols): ResourceClassModel | undefined {
  const errorsBefore = sink.errorCount;
  const single = <T extends { readonly span: Span }>(items: readonly T[], what: string): T | undefined => {
    if (items.length !== 1) sink.report("PD5003", items[1]?.span ?? resource.name.span, `resource class ${resource.name.text} needs exactly one \`${what}\` member, but has ${items.length}`);
    return items[0];
  };
  const protocolMember = single(resource.members.filter((member) => member.kind === "ResourceProtocolMember"), "protocol");
  const provider = single(resource.members.filter((member) => member.kind === "ResourceRoleMember" && member.side === "provider"), "provider");
  const consumer = single(resource.members.filter((member) => member.kind === "ResourceRoleMember" && member.side === "consumer"), "consumer");
  if (protocolMember?.kind !== "ResourceProtocolMember") return undefined;
  const protocol = protocols.visible.get(protocolMember.protocol.text);
  if (protocol === undefined) {
    const elsewhere = protocols.all.get(protocolMember.protocol.text);
    sink.report("PD5001", protocolMember.protocol.span, elsewhere !== undefined
      ? `protocol ${elsewhere.name} is declared in ${elsewhere.file}, which this file does not import`
      : `unknown protocol '${protocolMember.protocol.text}'${didYouMean(protocolMember.protocol.text, protocols.visible.keys())}`,
      { notes: elsewhere !== undefined ? [`add \`import "${elsewhere.file.split("/").pop() ?? elsewhere.file}";\` (a path relative to this file)`] : [] });
    return undefined;
  }
  if (protocolMember.version !== undefined && protocolMember.version.value !== BigInt(protocol.version)) {
    sink.report("PD5005", protocolMember.version.span, `protocol ${protocol.name} is version ${protocol.version}, not ${protocolMember.version.value}`);
  }
  const roleNames = protocol.roles.map((role) => role.name);
  const requireRole = (identifier: { readonly text: string; readonly span: Span }, what: string): string | undefined => {
    if (roleNames.includes(identifier.text)) return identifier.text;
    sink.report("PD5002", identifier.span, `${what} '${identifier.text}' is not a role of protocol ${protocol.name}${didYouMean(identifier.text, roleNames)}`);
    return undefined;
  };
  const providerRole = provider?.kind === "ResourceRoleMember" ? requireRole(provider.role, "the provider") : undefined;
  const consumerRole = consumer?.kind === "ResourceRoleMember" ? requireRole(consumer.role, "the consumer") : undefined;
  if (providerRole !== undefined && providerRole === consumerRole && consumer !== undefined) {
    sink.report("PD5004", consumer.span, `the provider and the consumer of ${resource.name.text} are both ${providerRole}`);
  }
  const placeholders = new Set(["devid", ...roleNames.map((role) => `${role}-domid`)]);
  const paths: { role: string; template: string }[] = [];
  const labels: string[] = [];
  let perDomainLimit: bigint | undefined;
  for (const member of resource.members) {
    if (member.kind === "ResourcePathMember") {
      const role = requireRole(member.role, "the path's role");
      const template = member.template.value;
      const problems: string[] = [];
      if (!pathCharacters.test(template)) problems.push("a store path uses only letters, digits and - / _ @");
      if (template.startsWith("/") || template.endsWith("/") || template.includes("//")) problems.push("a path template is relative, with no empty components");
      for (const match of template.matchAll(/\{([^}]*)\}/g)) {
        if (!placeholders.has(match[1] ?? "")) problems.push(`unknown placeholder {${match[1] ?? ""}}${didYouMean(match[1] ?? "", placeholders)}; known: ${[...placeholders].map((name) => `{${name}}`).join(", ")}`);
      }
      for (const problem of problems) sink.report("PD5006", member.template.span, problem);
      if (role !== undefined && paths.some((path) => path.role === role)) sink.report("PD5003", member.span, `role ${role} already has a path`);
      else if (role !== undefined) paths.push({ role, template });
    } else if (member.kind === "ResourceLabelsMember") {
      labels.push(...member.labels.map((label) => label.text));
    } else if (member.kind === "ResourceLimitMember") {
      const limit = member.limit;
      if (limit.kind !== "IntegerLiteral" || limit.value < 1n || member.scope.text !== "domain") {
        sink.report("PD5007", member.span, "a limit is written `limit N per domain;` with N a positive integer");
      } else perDomainLimit = limit.value;
    }
  }
  if (sink.errorCount > errorsBefore || providerRole === undefined || consumerRole === undefined) return undefined;
  return { name: resource.name.text, span: resource.name.span, file, protocol: protocol.name, protocolVersion: protocol.version, providerRole, consumerRole, paths, labels, perDomainLimit, doc: resource.doc?.text };
}
