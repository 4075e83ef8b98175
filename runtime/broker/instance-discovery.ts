// Finds the instances of a resource class already in the store, by walking the backend path
// template under every domain's home: how a restarted broker rebuilds its connection table.
import type { BrokerStoreOperations } from "./broker-store.js";
import { domainHomePath, matchTemplateComponent, type TemplateBindings } from "./resource-paths.js";

export interface DiscoveredInstanceDirectory {
  readonly backendDomainId: number;
  readonly backendDirectory: string;
  /** Placeholder values read from the path ({devid}, {frontend-domid}, ...). */
  readonly bindings: TemplateBindings;
}

const domainIdPattern = /^(0|[1-9][0-9]{0,4})$/;

export function discoverInstanceDirectories(store: BrokerStoreOperations, resourceClass: string, backendTemplate: string): DiscoveredInstanceDirectory[] {
  const found: DiscoveredInstanceDirectory[] = [];
  const components = backendTemplate.split("/");
  for (const domain of store.directory("/local/domain") ?? []) {
    if (!domainIdPattern.test(domain)) continue;
    const backendDomainId = Number(domain);
    const initial: TemplateBindings = new Map([["class", resourceClass], ["backend-domid", domain]]);
    const walk = (path: string, depth: number, bindings: TemplateBindings): void => {
      const templateComponent = components[depth];
      if (templateComponent === undefined) {
        found.push({ backendDomainId, backendDirectory: path, bindings });
        return;
      }
      for (const child of store.directory(path) ?? []) {
        const extended = matchTemplateComponent(templateComponent, child, bindings);
        if (extended !== undefined) walk(`${path}/${child}`, depth + 1, extended);
      }
    };
    walk(domainHomePath(backendDomainId), 0, initial);
  }
  return found;
}
