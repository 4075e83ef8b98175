// Makes the semantic model immutable: a deep copy in which every object and array is frozen
// and every Map is a FrozenMap that refuses changes. Syntax-tree nodes the model points at are
// kept as they are (by identity, never frozen or copied): the model refers to the AST, but
// the AST stays exactly what the parser produced.

/** A Map whose contents are fixed at construction. */
export class FrozenMap<K, V> extends Map<K, V> {
  private sealed = false;

  constructor(entries: Iterable<readonly [K, V]>) {
    super();
    for (const [key, value] of entries) super.set(key, value);
    this.sealed = true;
    Object.freeze(this);
  }

  override set(key: K, value: V): this {
    if (this.sealed) throw new TypeError("the semantic model is immutable");
    return super.set(key, value);
  }

  override delete(): boolean {
    throw new TypeError("the semantic model is immutable");
  }

  override clear(): void {
    throw new TypeError("the semantic model is immutable");
  }
}

/** AST nodes carry a PascalCase `kind` ("Identifier", "BinaryExpression"); model objects never do. */
export function isSyntaxNode(value: object): boolean {
  const kind = (value as { readonly kind?: unknown }).kind;
  return typeof kind === "string" && /^[A-Z]/.test(kind) && "span" in value;
}

export function freezeModel<T>(value: T): T {
  return freezeValue(value, new Map()) as T;
}

function freezeValue(value: unknown, copies: Map<object, unknown>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isSyntaxNode(value)) return value;
  const existing = copies.get(value);
  if (existing !== undefined) return existing;
  if (value instanceof FrozenMap) return value;
  if (value instanceof Map) {
    // Keys are AST nodes or strings: they keep their identity.
    const rebuilt = new FrozenMap<unknown, unknown>([...value.entries()].map(([key, entry]) => [key, freezeValue(entry, copies)] as const));
    copies.set(value, rebuilt);
    return rebuilt;
  }
  if (value instanceof Set) throw new TypeError("the semantic model holds no Sets (they cannot be frozen); use arrays");
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (const entry of value) copy.push(freezeValue(entry, copies));
    return Object.freeze(copy);
  }
  const copy: Record<string, unknown> = {};
  copies.set(value, copy);
  for (const [key, entry] of Object.entries(value)) copy[key] = freezeValue(entry, copies);
  return Object.freeze(copy);
}
