// Path rules of the store: validation of Xen's character set and length limits, resolution of
// relative paths under /local/domain/<domid>, and the component-wise prefix test used by watches.

import { xsAbsolutePathMaxChars, xsRelativePathMaxChars } from "./wire-types.js";
import type { XsErrorName } from "./wire-types.js";

/** A path after resolution: absolute, valid, and how the client spelled it. */
export interface ResolvedStorePath {
  readonly absolute: string;
  /** True when the client gave a path relative to its domain's home directory. */
  readonly relative: boolean;
}

export type PathResolution =
  | { readonly ok: true; readonly path: ResolvedStorePath }
  | { readonly ok: false; readonly error: XsErrorName };

// Xen's node names use exactly these characters; '@' is only meaningful as the first character
// of a special watch path, but Xen accepts it anywhere in a name.
const validPathCharacters = /^[A-Za-z0-9\-/_@]*$/;

/** The home directory of a domain, which relative paths are resolved under. */
export function formatDomainPath(domainId: number): string {
  return `/local/domain/${domainId}`;
}

/** True for the special watch-only paths such as @introduceDomain and @releaseDomain. */
export function isSpecialPath(path: string): boolean {
  return path.startsWith("@");
}

/**
 * Resolves a node path as sent by a client: absolute paths are checked as given, relative ones
 * are prefixed with the domain's home directory. Special '@' paths are rejected here because
 * only watches (and permission queries on them) accept them; see resolveWatchPath.
 */
export function resolveNodePath(rawPath: string, domainId: number): PathResolution {
  const relative = !rawPath.startsWith("/");
  if (relative && isSpecialPath(rawPath)) return { ok: false, error: "EINVAL" };
  if (relative ? rawPath.length > xsRelativePathMaxChars : rawPath.length > xsAbsolutePathMaxChars) {
    return { ok: false, error: "EINVAL" };
  }
  const absolute = relative ? `${formatDomainPath(domainId)}/${rawPath}` : rawPath;
  if (!isValidAbsolutePath(absolute)) return { ok: false, error: "EINVAL" };
  return { ok: true, path: { absolute, relative } };
}

/** Resolves a watch path: a node path, or a special path such as @releaseDomain. */
export function resolveWatchPath(rawPath: string, domainId: number): PathResolution {
  if (isSpecialPath(rawPath)) {
    if (rawPath.length > xsRelativePathMaxChars || rawPath.length < 2) return { ok: false, error: "EINVAL" };
    if (!validPathCharacters.test(rawPath) || rawPath.includes("//") || rawPath.endsWith("/")) {
      return { ok: false, error: "EINVAL" };
    }
    return { ok: true, path: { absolute: rawPath, relative: false } };
  }
  return resolveNodePath(rawPath, domainId);
}

/** True for "/" and for "/a/b" style paths with Xen's characters, no "//" and no trailing "/". */
export function isValidAbsolutePath(path: string): boolean {
  if (path.length === 0 || path.length > xsAbsolutePathMaxChars) return false;
  if (path.charCodeAt(0) !== 0x2f) return false;
  if (path === "/") return true;
  if (path.charCodeAt(path.length - 1) === 0x2f) return false;
  if (path.includes("//")) return false;
  return validPathCharacters.test(path);
}

/** The parent of an absolute path other than "/" ("/a" -> "/", "/a/b" -> "/a"). */
export function parentPathOf(path: string): string {
  const lastSlash = path.lastIndexOf("/");
  return lastSlash <= 0 ? "/" : path.slice(0, lastSlash);
}

/** The last component of an absolute path other than "/". */
export function lastComponentOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The absolute path of a child. */
export function joinChildPath(parentPath: string, childName: string): string {
  return parentPath === "/" ? `/${childName}` : `${parentPath}/${childName}`;
}

/**
 * True when `prefix` names `path` itself or one of its ancestors, comparing whole components:
 * "/a/b" is a prefix of "/a/b/c" but not of "/a/bc".
 */
export function isComponentPrefix(prefix: string, path: string): boolean {
  if (prefix === path) return true;
  if (prefix === "/") return path.startsWith("/");
  return path.length > prefix.length && path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f;
}

/**
 * The path as a client that spoke relatively should see it: watch events of relative watches
 * carry paths relative to the domain's home directory, as Xen's do.
 */
export function presentPathTo(absolutePath: string, relative: boolean, domainId: number): string {
  if (!relative) return absolutePath;
  const home = formatDomainPath(domainId);
  return absolutePath.length > home.length + 1 && absolutePath.startsWith(home) && absolutePath.charCodeAt(home.length) === 0x2f
    ? absolutePath.slice(home.length + 1)
    : absolutePath;
}
