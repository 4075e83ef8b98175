// The reply text of the broker's store control commands (proto-desc-connect and
// proto-desc-disconnect over XS_CONTROL): one JSON object per reply, so the CLI and the demo
// read the outcome, the deciding rule or the problem exactly, and xenstore-control users can
// still read it. Formatting and strict parsing of untrusted reply text live together here.

export type BrokerControlReply =
  | {
      readonly outcome: "connected";
      readonly connection: string;
      readonly frontendDirectory: string;
      readonly backendDirectory: string;
      readonly descriptionDirectory: string;
      /** The protocol attribute recorded in the store: `sha256:<hex>` of the class's spec. */
      readonly specHash: string;
      /** The rule of every policy check that allowed the connection, in order. */
      readonly rules: readonly string[];
    }
  | { readonly outcome: "disconnected"; readonly connection: string }
  | { readonly outcome: "denied"; readonly rule: string; readonly ruleKind: string; readonly reason: string }
  | { readonly outcome: "failed"; readonly code: string; readonly message: string };

/** Reply texts must fit one xs_wire payload (4096 bytes) with room to spare. */
const maximumMessageChars = 1500;

export function formatBrokerControlReply(reply: BrokerControlReply): string {
  if (reply.outcome === "failed" || reply.outcome === "denied") {
    const key = reply.outcome === "failed" ? "message" : "reason";
    const text = reply.outcome === "failed" ? reply.message : reply.reason;
    return JSON.stringify({ ...reply, [key]: text.length > maximumMessageChars ? `${text.slice(0, maximumMessageChars)}…` : text });
  }
  return JSON.stringify(reply);
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/** Parses a reply the daemon sent; undefined when the text is not a broker control reply. */
export function parseBrokerControlReply(text: string): BrokerControlReply | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const fields = value as Readonly<Record<string, unknown>>;
  const stringField = (key: string): string | undefined => (typeof fields[key] === "string" ? (fields[key] as string) : undefined);
  switch (fields["outcome"]) {
    case "connected": {
      const connection = stringField("connection");
      const frontendDirectory = stringField("frontendDirectory");
      const backendDirectory = stringField("backendDirectory");
      const descriptionDirectory = stringField("descriptionDirectory");
      const specHash = stringField("specHash");
      const rules = fields["rules"];
      if (connection === undefined || frontendDirectory === undefined || backendDirectory === undefined || descriptionDirectory === undefined || specHash === undefined || !isStringArray(rules)) return undefined;
      return { outcome: "connected", connection, frontendDirectory, backendDirectory, descriptionDirectory, specHash, rules };
    }
    case "disconnected": {
      const connection = stringField("connection");
      return connection === undefined ? undefined : { outcome: "disconnected", connection };
    }
    case "denied": {
      const rule = stringField("rule");
      const ruleKind = stringField("ruleKind");
      const reason = stringField("reason");
      return rule === undefined || ruleKind === undefined || reason === undefined ? undefined : { outcome: "denied", rule, ruleKind, reason };
    }
    case "failed": {
      const code = stringField("code");
      const message = stringField("message");
      return code === undefined || message === undefined ? undefined : { outcome: "failed", code, message };
    }
    default:
      return undefined;
  }
}
