// Collects which names of the runtime's generated-code entry point a module uses, so the
// import declaration lists exactly those, sorted, whatever order emission asked for them.
import { StructureKind, type ImportDeclarationStructure } from "ts-morph";

export class RuntimeImports {
  private readonly values = new Set<string>();
  private readonly types = new Set<string>();

  useValue(name: string): void {
    this.values.add(name);
  }

  useType(name: string): void {
    this.types.add(name);
  }

  /** One import declaration; type-only names are marked inline, as verbatimModuleSyntax requires. */
  toImportDeclaration(moduleSpecifier: string): ImportDeclarationStructure | undefined {
    const names = [
      ...[...this.values].map((name) => ({ name, isTypeOnly: false })),
      ...[...this.types].filter((name) => !this.values.has(name)).map((name) => ({ name, isTypeOnly: true })),
    ].sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
    if (names.length === 0) return undefined;
    return { kind: StructureKind.ImportDeclaration, moduleSpecifier, namedImports: names };
  }
}
