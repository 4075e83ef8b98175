// Expands a resource class's directory templates ("device/vbd/{devid}") into the absolute
// store paths of one instance, and validates templates and instance ids. Pure.

export interface ResourcePathValues {
  readonly id: string;
  readonly resourceClass: string;
  readonly frontendDomainId: number;
  readonly backendDomainId: number;
}

/** The language's placeholders (docs/language.md §10.1), plus {class}. */
const placeholders = new Set(["devid", "class", "frontend-domid", "backend-domid"]);
const templateComponentPattern = /^(?:[A-Za-z0-9_-]|\{[a-z-]+\})+$/;
/** Instance ids become one path component: Xen's node-name characters, no '/' and not '@'. */
const instanceIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

export function domainHomePath(domainId: number): string {
  return `/local/domain/${domainId}`;
}

/** Why a template is unusable, or undefined when it is fine. */
export function describeInvalidPathTemplate(template: string): string | undefined {
  if (template.length === 0) return "a path template may not be empty";
  if (template.startsWith("/")) return "a path template is relative to the domain's home directory and may not start with '/'";
  const components = template.split("/");
  for (const component of components) {
    if (!templateComponentPattern.test(component)) return `component '${component}' has characters outside [A-Za-z0-9_-] or an empty component`;
    for (const match of component.matchAll(/\{([a-z-]+)\}/g)) {
      if (!placeholders.has(match[1] ?? "")) return `unknown placeholder {${match[1]}} (known: {devid}, {class}, {frontend-domid}, {backend-domid})`;
    }
  }
  if (!template.includes("{devid}")) return "a path template must contain {devid} so that instances do not collide";
  return undefined;
}

export function isValidInstanceId(id: string): boolean {
  return instanceIdPattern.test(id);
}

/** The instance's directory under `domainId`'s home, from a template already validated. */
export function expandResourcePath(template: string, domainId: number, values: ResourcePathValues): string {
  const relative = template.replace(/\{([a-z-]+)\}/g, (_whole, name: string) => {
    switch (name) {
      case "devid":
        return values.id;
      case "class":
        return values.resourceClass;
      case "frontend-domid":
        return String(values.frontendDomainId);
      case "backend-domid":
        return String(values.backendDomainId);
      default:
        throw new Error(`unvalidated path template placeholder {${name}}`);
    }
  });
  return `${domainHomePath(domainId)}/${relative}`;
}

/** Placeholder values read back from a store path (the inverse of expandResourcePath). */
export type TemplateBindings = ReadonlyMap<string, string>;

/**
 * Matches one store path component against one template component, extending `bindings`;
 * returns the new bindings, or undefined when it does not match or contradicts a binding.
 */
export function matchTemplateComponent(templateComponent: string, component: string, bindings: TemplateBindings): TemplateBindings | undefined {
  const names: string[] = [];
  const pattern = templateComponent.replace(/\{([a-z-]+)\}|[^{}]+/g, (whole, name: string | undefined) => {
    if (name === undefined) return whole.replace(/[-_.]/g, "\\$&");
    names.push(name);
    return name === "devid" ? "([A-Za-z0-9_-]{1,64})" : name === "class" ? "([a-z][a-z0-9_-]*)" : "(0|[1-9][0-9]{0,4})";
  });
  const match = new RegExp(`^${pattern}$`).exec(component);
  if (match === null) return undefined;
  const extended = new Map(bindings);
  for (let index = 0; index < names.length; index++) {
    const name = names[index] ?? "";
    const value = match[index + 1] ?? "";
    const bound = extended.get(name);
    if (bound !== undefined && bound !== value) return undefined;
    extended.set(name, value);
  }
  return extended;
}
