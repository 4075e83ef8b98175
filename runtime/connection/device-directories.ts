// The toolstack's part of a split-device connection: create the frontend and backend store
// directories in state Initialising, with the permissions Xen's toolstack sets (each end owns
// its directory, the peer may read it) and the keys naming the peer.

import type { StoreClient, StoreResult } from "../store/store-client.js";
import { XenbusState } from "./xenbus-state.js";

export interface SplitDeviceDirectories {
  readonly frontendDomainId: number;
  readonly backendDomainId: number;
  /** Absolute paths, e.g. /local/domain/5/device/vbd/51712 and /local/domain/0/backend/vbd/5/51712. */
  readonly frontendPath: string;
  readonly backendPath: string;
}

/** Runs as a privileged store client (the toolstack); one transaction, all or nothing. */
export function createSplitDeviceDirectories(toolstack: StoreClient, directories: SplitDeviceDirectories): StoreResult<void> {
  const { frontendDomainId, backendDomainId, frontendPath, backendPath } = directories;
  return toolstack.transaction((transaction) => {
    const steps: Array<() => StoreResult<void>> = [
      () => toolstack.write(`${frontendPath}/state`, String(XenbusState.initialising), transaction),
      () => toolstack.write(`${frontendPath}/backend`, backendPath, transaction),
      () => toolstack.write(`${frontendPath}/backend-id`, String(backendDomainId), transaction),
      () => toolstack.write(`${backendPath}/state`, String(XenbusState.initialising), transaction),
      () => toolstack.write(`${backendPath}/frontend`, frontendPath, transaction),
      () => toolstack.write(`${backendPath}/frontend-id`, String(frontendDomainId), transaction),
      () => setTreePermissions(toolstack, frontendPath, [{ domainId: frontendDomainId, access: "n" }, { domainId: backendDomainId, access: "r" }], transaction),
      () => setTreePermissions(toolstack, backendPath, [{ domainId: backendDomainId, access: "n" }, { domainId: frontendDomainId, access: "r" }], transaction),
    ];
    for (const step of steps) {
      const outcome = step();
      if (!outcome.ok) return outcome;
    }
    return { ok: true, value: undefined };
  });
}

/** Sets the list on the directory and on the keys already written under it. */
function setTreePermissions(
  toolstack: StoreClient,
  path: string,
  permissions: Parameters<StoreClient["setPermissions"]>[1],
  transaction: number,
): StoreResult<void> {
  const set = toolstack.setPermissions(path, permissions, transaction);
  if (!set.ok) return set;
  const children = toolstack.directory(path, transaction);
  if (!children.ok) return children;
  for (const child of children.value) {
    const childSet = toolstack.setPermissions(`${path}/${child}`, permissions, transaction);
    if (!childSet.ok) return childSet;
  }
  return { ok: true, value: undefined };
}
