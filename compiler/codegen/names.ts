// Every rule that turns a spec name into a TypeScript name lives here, together with the
// clash check: two spec names that map to one generated name are a diagnostic, never a
// silent rename.
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { createDiagnostic } from "../diagnostics/definition.js";
import { codegenDiagnostics } from "../diagnostics/codes/codegen.js";
import type { IrLayoutAbi, IrProtocol, IrSpan } from "../ir/protocol.js";

/** Splits `blkif_request`, `ring-ref`, `firstSect` and `X86Abi` into lower-case words. */
function splitWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "")
    .map((word) => word.toLowerCase());
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Records, enums and union holders: PascalCase (`blkif_request` -> `BlkifRequest`). */
export function typeNameOf(specName: string): string {
  return splitWords(specName).map(capitalize).join("");
}

/** Record fields and enum members: camelCase (`first_sect` -> `firstSect`). */
export function propertyNameOf(specName: string): string {
  const words = splitWords(specName);
  return words.map((word, index) => (index === 0 ? word : capitalize(word))).join("");
}

/** Constants: SCREAMING_SNAKE_CASE (`maxSegments` -> `MAX_SEGMENTS`). */
export function constantNameOf(specName: string): string {
  return splitWords(specName)
    .map((word) => word.toUpperCase())
    .join("_");
}

/** The suffix that tells per-ABI functions apart: `x86_64` -> `X86_64`. */
export function abiSuffixOf(abi: IrLayoutAbi): string {
  return abi === "x86_64" ? "X86_64" : "X86_32";
}

export function createFunctionNameOf(recordName: string): string {
  return `create${typeNameOf(recordName)}`;
}

export function validateFunctionNameOf(recordName: string): string {
  return `validate${typeNameOf(recordName)}`;
}

export function decodeFunctionNameOf(recordName: string, abi: IrLayoutAbi): string {
  return `decode${typeNameOf(recordName)}${abiSuffixOf(abi)}`;
}

export function decodeValidatedFunctionNameOf(recordName: string, abi: IrLayoutAbi): string {
  return `decodeValidated${typeNameOf(recordName)}${abiSuffixOf(abi)}`;
}

export function encodeFunctionNameOf(recordName: string, abi: IrLayoutAbi): string {
  return `encode${typeNameOf(recordName)}${abiSuffixOf(abi)}`;
}

/** The interface holding a union field's arms, e.g. field `body` of `Request` -> `RequestBody`. */
export function unionHolderNameOf(recordName: string, fieldName: string): string {
  return `${typeNameOf(recordName)}${typeNameOf(fieldName)}`;
}

/** The type guard generated for each enum (`Op` -> `isOp`). */
export function enumGuardNameOf(enumName: string): string {
  return `is${typeNameOf(enumName)}`;
}

/** The per-ABI codec table (`x86_64` -> `codecsForX86_64`). */
export function codecTableNameOf(abi: IrLayoutAbi): string {
  return `codecsFor${abiSuffixOf(abi)}`;
}

/** A typed stub class of one role: protocol and role in PascalCase (`blkif`, `frontend` -> `BlkifFrontend`). */
export function stubClassNameOf(protocolName: string, roleName: string): string {
  return `${typeNameOf(protocolName)}${typeNameOf(roleName)}`;
}

/** The constructor options of a stub class (`BlkifFrontendOptions`). */
export function stubOptionsNameOf(protocolName: string, roleName: string): string {
  return `${stubClassNameOf(protocolName, roleName)}Options`;
}

/** The handler interface a responder stub serves requests with (`BlkifBackendRequestHandler`). */
export function stubHandlerNameOf(protocolName: string, roleName: string): string {
  return `${stubClassNameOf(protocolName, roleName)}RequestHandler`;
}

/** The keys a role publishes before announcing a state (`BlkifBackendInitWaitKeys`). */
export function publishedKeysTypeNameOf(protocolName: string, roleName: string, state: string): string {
  return `${stubClassNameOf(protocolName, roleName)}${typeNameOf(state)}Keys`;
}

/** Every key a role publishes, as its peer reads them with defaults applied (`BlkifBackendKeys`). */
/** The generated module's table of store key `where` clauses (one per module, like `monitorSpecByAbi`). */
export function storeKeyClausesNameOf(): string {
  return "storeKeyClauses";
}

export function peerKeysTypeNameOf(protocolName: string, roleName: string): string {
  return `${stubClassNameOf(protocolName, roleName)}Keys`;
}

/** Turns one publication's typed object into store key texts (`formatBlkifBackendInitWaitKeys`). */
export function formatKeysFunctionNameOf(protocolName: string, roleName: string, state: string): string {
  return `format${publishedKeysTypeNameOf(protocolName, roleName, state)}`;
}

/** Reads every key a role publishes from its store directory (`readBlkifBackendKeys`). */
export function readKeysFunctionNameOf(protocolName: string, roleName: string): string {
  return `read${peerKeysTypeNameOf(protocolName, roleName)}`;
}

/** The generated module of a protocol: kebab-case, e.g. `blkif` -> `blkif.ts`. */
export function moduleFileNameOf(protocolName: string): string {
  return `${splitWords(protocolName).join("-")}.ts`;
}

/** The property of a union holder that names its live arm. */
export const unionArmTagProperty = "arm";

/** Module-level names every generated file declares or imports itself. */
const namesUsedByGeneratedModules = [
  "protocolName",
  "protocolVersion",
  "specHash",
  "AbiName",
  "selectAbi",
  "layoutTables",
  "codecsByAbi",
  "contextualClauses",
  "AbiKeyValue",
  "stubSlotLayoutsByAbi",
  "SplitConnectionFrontend",
  "SplitConnectionBackend",
  "ConnectionRequestFailed",
  "StoreKeyUnreadable",
  "StubMessageRefused",
  "describeStubConnection",
  "echoCorrelatedFields",
  "formatStoreBoolean",
  "formatStoreInteger",
  "readOptionalStoreBoolean",
  "readOptionalStoreInteger",
  "readStoreBoolean",
  "readStoreInteger",
  "readStoreText",
  "writeConnectionId",
  "dataViewOfSlot",
  "BackendSessionOutcome",
  "ConnectionProblemListener",
  "ConnectionStore",
  "PeerKeyReader",
  "StubExchange",
  "StubSlotLayout",
  "DomainContext",
  "WeakMap",
  "Promise",
  "RangeError",
  "CodecError",
  "ValidationError",
  "RecordCodec",
  "RecordLayout",
  "GrantReference",
  "EventChannelPort",
  "readUnsigned64",
  "readSigned64",
  "describeUnsigned64",
  "unsignedAboveSafeIntegerError",
  "describeSigned64",
  "writeUnsigned64",
  "writeSigned64",
  "zeroBytes",
  "fitsUnsigned",
  "fitsSigned",
  "fitsUnsigned64",
  "fitsSigned64",
  "integerDivide",
  "integerRemainder",
  "bitwiseAnd",
  "bitwiseOr",
  "bitwiseXor",
  "shiftLeft",
  "shiftRight",
  "DataView",
  "Number",
  "Math",
  "Array",
  "Object",
  "undefined",
];

/** TypeScript's reserved and strict-mode words; a generated declaration may not use them. */
const typeScriptReservedWords = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "implements interface let package private protected public static yield any boolean number string symbol type " +
    "await async of never unknown object bigint"
  ).split(" "),
);

const reservedModuleNames = new Set(namesUsedByGeneratedModules);

interface NameClaim {
  readonly generatedName: string;
  readonly specName: string;
  readonly what: string;
  readonly span: IrSpan;
}

/** Collects claims on one scope and reports every clash, invalid name and reserved name. */
class NameScope {
  private readonly claims = new Map<string, NameClaim>();

  /**
   * `declaresBindings` is true for module scope, where names become declarations and so may
   * not be keywords; fields, arms and enum members are properties, where keywords are legal.
   */
  constructor(
    private readonly scopeDescription: string,
    private readonly reserved: ReadonlySet<string>,
    private readonly diagnostics: Diagnostic[],
    private readonly declaresBindings = false,
  ) {}

  claim(claim: NameClaim): void {
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(claim.generatedName)) {
      this.diagnostics.push(
        createDiagnostic(
          codegenDiagnostics.PD6003,
          claim.span,
          `${claim.what} '${claim.specName}' gives the TypeScript name '${claim.generatedName}', which is not an identifier`,
          { notes: ["rename it so that it starts with a letter"] },
        ),
      );
      return;
    }
    if (this.reserved.has(claim.generatedName) || (this.declaresBindings && typeScriptReservedWords.has(claim.generatedName))) {
      this.diagnostics.push(
        createDiagnostic(
          codegenDiagnostics.PD6002,
          claim.span,
          `${claim.what} '${claim.specName}' gives the TypeScript name '${claim.generatedName}', which is reserved ${this.scopeDescription}`,
          { notes: ["rename the declaration in the spec"] },
        ),
      );
      return;
    }
    const earlier = this.claims.get(claim.generatedName);
    if (earlier !== undefined) {
      this.diagnostics.push(
        createDiagnostic(
          codegenDiagnostics.PD6001,
          claim.span,
          `${claim.what} '${claim.specName}' and ${earlier.what} '${earlier.specName}' both become '${claim.generatedName}' ${this.scopeDescription}`,
          {
            related: [{ span: earlier.span, message: `'${earlier.specName}' is declared here` }],
            notes: ["rename one of them in the spec"],
          },
        ),
      );
      return;
    }
    this.claims.set(claim.generatedName, claim);
  }
}

/** Checks every name a protocol's generated module will declare; an empty result means emission is safe. */
export function checkGeneratedNames(protocol: IrProtocol): readonly Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const moduleScope = new NameScope(`in the generated module of protocol '${protocol.name}'`, reservedModuleNames, diagnostics, true);
  const abis = [...new Set(protocol.abis.map((abi) => abi.layout))];
  for (const constant of protocol.constants) {
    moduleScope.claim({ generatedName: constantNameOf(constant.name), specName: constant.name, what: "constant", span: constant.span });
  }
  for (const enumeration of protocol.enums) {
    moduleScope.claim({ generatedName: typeNameOf(enumeration.name), specName: enumeration.name, what: "enum", span: enumeration.span });
    moduleScope.claim({ generatedName: enumGuardNameOf(enumeration.name), specName: enumeration.name, what: "the guard of enum", span: enumeration.span });
    const memberScope = new NameScope(`among the members of enum '${enumeration.name}'`, new Set(), diagnostics);
    for (const member of enumeration.members) {
      memberScope.claim({ generatedName: propertyNameOf(member.name), specName: member.name, what: "enum member", span: enumeration.span });
    }
  }
  for (const record of protocol.records) {
    moduleScope.claim({ generatedName: typeNameOf(record.name), specName: record.name, what: record.role, span: record.span });
    moduleScope.claim({ generatedName: createFunctionNameOf(record.name), specName: record.name, what: `the constructor of ${record.role}`, span: record.span });
    moduleScope.claim({ generatedName: validateFunctionNameOf(record.name), specName: record.name, what: `the validator of ${record.role}`, span: record.span });
    for (const abi of abis) {
      moduleScope.claim({ generatedName: decodeFunctionNameOf(record.name, abi), specName: record.name, what: `the ${abi} decoder of ${record.role}`, span: record.span });
      moduleScope.claim({ generatedName: decodeValidatedFunctionNameOf(record.name, abi), specName: record.name, what: `the ${abi} validating decoder of ${record.role}`, span: record.span });
      moduleScope.claim({ generatedName: encodeFunctionNameOf(record.name, abi), specName: record.name, what: `the ${abi} encoder of ${record.role}`, span: record.span });
    }
    const fieldScope = new NameScope(`among the fields of '${record.name}'`, new Set(), diagnostics);
    for (const field of record.fields) {
      fieldScope.claim({ generatedName: propertyNameOf(field.name), specName: field.name, what: "field", span: field.span });
      if (field.type.kind === "union") {
        moduleScope.claim({ generatedName: unionHolderNameOf(record.name, field.name), specName: `${record.name}.${field.name}`, what: "the arm holder of union", span: field.span });
        const armScope = new NameScope(`among the arms of union '${record.name}.${field.name}'`, new Set([unionArmTagProperty]), diagnostics);
        for (const arm of field.type.arms) {
          armScope.claim({ generatedName: propertyNameOf(arm.armName), specName: arm.armName, what: "union arm", span: field.span });
        }
      }
    }
  }
  const stubs = protocol.stubs;
  if (stubs !== undefined) {
    const claimStub = (generatedName: string, what: string): void => moduleScope.claim({ generatedName, specName: protocol.name, what, span: stubs.span });
    for (const role of [stubs.requesterRole, stubs.responderRole]) {
      claimStub(stubClassNameOf(protocol.name, role), `the ${role} stub of protocol`);
      claimStub(stubOptionsNameOf(protocol.name, role), `the ${role} stub options of protocol`);
      claimStub(peerKeysTypeNameOf(protocol.name, role), `the ${role} keys of protocol`);
      claimStub(readKeysFunctionNameOf(protocol.name, role), `the ${role} key reader of protocol`);
    }
    claimStub(stubHandlerNameOf(protocol.name, stubs.responderRole), "the request handler of protocol");
    for (const [role, publications] of [[stubs.requesterRole, stubs.requesterPublications], [stubs.responderRole, stubs.responderPublications]] as const) {
      for (const publication of publications) {
        claimStub(publishedKeysTypeNameOf(protocol.name, role, publication.state), `the ${role} ${publication.state} keys of protocol`);
        claimStub(formatKeysFunctionNameOf(protocol.name, role, publication.state), `the ${role} ${publication.state} key writer of protocol`);
      }
      const keyScope = new NameScope(`among the store keys of role '${role}'`, new Set(), diagnostics);
      for (const key of publications.flatMap((publication) => publication.keys)) {
        keyScope.claim({ generatedName: propertyNameOf(key.key), specName: key.key, what: "store key", span: key.span });
      }
    }
  }
  for (const abi of abis) {
    moduleScope.claim({ generatedName: codecTableNameOf(abi), specName: abi, what: "the codec table of ABI", span: protocol.span });
  }
  return diagnostics;
}
