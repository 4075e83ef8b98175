// The broker's operations as store control commands, so the daemon that hosts the broker
// accepts connect and disconnect over its socket like any xenstored control request:
//   proto-desc-connect <class> <frontend-domid> <backend-domid> [key=value ...]
//   proto-desc-disconnect <class> <frontend-domid> <devid>
// Only privileged connections reach here (the store refuses XS_CONTROL to others). The caller
// acts as the principal its transport names (the socket's tool) or else as its domain's name;
// domains are named as the toolstack recorded them, in /local/domain/<id>/name. Every policy
// decision is audited by the broker; this module decides the reply and does no I/O itself.
import type { StoreControlCaller, StoreControlHandler, StoreControlOutcome } from "../store/control-commands.js";
import type { Broker, ConnectResult, DisconnectResult } from "./broker.js";
import { createBrokerProblem, type BrokerProblem } from "./broker-problem.js";
import { formatBrokerControlReply } from "./broker-control-reply.js";

export const brokerConnectCommandWord = "proto-desc-connect";
export const brokerDisconnectCommandWord = "proto-desc-disconnect";

export interface BrokerControlContext {
  readonly broker: Broker;
  /** The name the toolstack gave a domain (from /local/domain/<id>/name), if any. */
  readonly domainNameOf: (domainId: number) => string | undefined;
  /** The policy labels a named domain carries. */
  readonly labelsOfDomain: (domainName: string) => readonly string[];
}

/** Something that serves control command words: the store's registry. */
export interface ControlCommandRegistrar {
  register(word: string, handler: StoreControlHandler): () => void;
}

const domainIdPattern = /^(0|[1-9][0-9]{0,4})$/;

function fail(problem: BrokerProblem): StoreControlOutcome {
  return { ok: true, reply: formatBrokerControlReply({ outcome: "failed", code: problem.code, message: problem.message }) };
}

function parseDomainId(text: string | undefined, what: string): number | BrokerProblem {
  if (text === undefined || !domainIdPattern.test(text)) return createBrokerProblem("controlArgumentsInvalid", what, `${what} must be a domain id (a decimal number), not ${JSON.stringify(text ?? "")}`);
  return Number(text);
}

/** The principal a control caller acts as: its transport's name for it, else its domain's name. */
function principalOf(context: BrokerControlContext, caller: StoreControlCaller): string | BrokerProblem {
  const principal = caller.principal ?? context.domainNameOf(caller.domainId);
  if (principal === undefined) return createBrokerProblem("callerUnnamed", `domain ${caller.domainId}`, `the calling connection (domain ${caller.domainId}) has no principal name and /local/domain/${caller.domainId}/name is not set`);
  return principal;
}

function replyToConnect(result: ConnectResult): StoreControlOutcome {
  switch (result.outcome) {
    case "connected": {
      const connection = result.connection;
      return {
        ok: true,
        reply: formatBrokerControlReply({
          outcome: "connected",
          connection: connection.key,
          frontendDirectory: connection.frontendDirectory,
          backendDirectory: connection.backendDirectory,
          descriptionDirectory: connection.descriptionDirectory,
          specHash: `sha256:${connection.protocol.specHash}`,
          rules: result.checks.map((check) => check.decision.rule),
        }),
      };
    }
    case "denied":
      return deniedReply(result.decision);
    case "failed":
      return fail(result.problem);
    default: {
      const unreachable: never = result;
      throw new Error(`unknown connect outcome ${JSON.stringify(unreachable)}`);
    }
  }
}

/** A policy denial, answered as a successful command whose reply names the deciding rule. */
function deniedReply(decision: { readonly rule: string; readonly ruleKind: string; readonly reason: string }): StoreControlOutcome {
  return { ok: true, reply: formatBrokerControlReply({ outcome: "denied", rule: decision.rule, ruleKind: decision.ruleKind, reason: decision.reason }) };
}

function replyToDisconnect(result: DisconnectResult): StoreControlOutcome {
  switch (result.outcome) {
    case "disconnected":
      return { ok: true, reply: formatBrokerControlReply({ outcome: "disconnected", connection: result.connection.key }) };
    case "denied":
      return deniedReply(result.decision);
    case "failed":
      return fail(result.problem);
    default: {
      const unreachable: never = result;
      throw new Error(`unknown disconnect outcome ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Executes `proto-desc-connect <class> <frontend-domid> <backend-domid> [key=value ...]`. */
export function executeBrokerConnect(context: BrokerControlContext, caller: StoreControlCaller, commandArguments: readonly string[]): StoreControlOutcome {
  const [resourceClass, frontendText, backendText, ...assignments] = commandArguments;
  if (resourceClass === undefined || resourceClass === "") return fail(createBrokerProblem("controlArgumentsInvalid", brokerConnectCommandWord, `usage: ${brokerConnectCommandWord} <class> <frontend-domid> <backend-domid> [key=value ...]`));
  const principal = principalOf(context, caller);
  if (typeof principal !== "string") return fail(principal);
  const domains: { id: number; name: string; labels: readonly string[] }[] = [];
  for (const [text, what] of [[frontendText, "the frontend domain"], [backendText, "the backend domain"]] as const) {
    const id = parseDomainId(text, what);
    if (typeof id !== "number") return fail(id);
    const name = context.domainNameOf(id);
    if (name === undefined) return fail(createBrokerProblem("invalidDomain", `domain ${id}`, `${what} ${id} has no name in the store (/local/domain/${id}/name); the toolstack names a domain when it creates it`));
    domains.push({ id, name, labels: context.labelsOfDomain(name) });
  }
  const parameters: Record<string, string> = {};
  for (const assignment of assignments) {
    const equals = assignment.indexOf("=");
    if (equals <= 0) return fail(createBrokerProblem("controlArgumentsInvalid", assignment, `parameter ${JSON.stringify(assignment)} is not key=value`));
    const key = assignment.slice(0, equals);
    if (Object.hasOwn(parameters, key)) return fail(createBrokerProblem("controlArgumentsInvalid", key, `parameter '${key}' is given twice`));
    parameters[key] = assignment.slice(equals + 1);
  }
  const [frontendDomain, backendDomain] = domains as [(typeof domains)[0], (typeof domains)[0]];
  return replyToConnect(context.broker.connect({ principal, resourceClass, frontendDomain, backendDomain, parameters }));
}

/** Executes `proto-desc-disconnect <class> <frontend-domid> <devid>`. */
export function executeBrokerDisconnect(context: BrokerControlContext, caller: StoreControlCaller, commandArguments: readonly string[]): StoreControlOutcome {
  if (commandArguments.length !== 3) return fail(createBrokerProblem("controlArgumentsInvalid", brokerDisconnectCommandWord, `usage: ${brokerDisconnectCommandWord} <class> <frontend-domid> <devid>`));
  const [resourceClass, frontendText, id] = commandArguments as [string, string, string];
  const principal = principalOf(context, caller);
  if (typeof principal !== "string") return fail(principal);
  const frontendDomainId = parseDomainId(frontendText, "the frontend domain");
  if (typeof frontendDomainId !== "number") return fail(frontendDomainId);
  return replyToDisconnect(context.broker.disconnect({ principal, resourceClass, frontendDomainId, id }));
}

/** Registers both commands with the store; returns the function that unregisters them. */
export function registerBrokerControlCommands(registrar: ControlCommandRegistrar, context: BrokerControlContext): () => void {
  const unregisterConnect = registrar.register(brokerConnectCommandWord, { execute: (caller, commandArguments) => executeBrokerConnect(context, caller, commandArguments) });
  const unregisterDisconnect = registrar.register(brokerDisconnectCommandWord, { execute: (caller, commandArguments) => executeBrokerDisconnect(context, caller, commandArguments) });
  return () => {
    unregisterConnect();
    unregisterDisconnect();
  };
}
