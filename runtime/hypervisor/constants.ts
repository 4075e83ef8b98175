// Numbers the hypervisor shares with Xen (reference/xen-abi.md §6, §7): page size, reserved
// grant references, grant-entry flag bits and domain-id limits.

/** Every shared page is 4 KiB, whatever the host's page size (ring pages included). */
export const pageSizeBytes = 4096;

/** Grant references 0..7 are reserved by Xen (0 = console page, 1 = xenstore page). */
export const reservedGrantReferenceCount = 8;
export const consoleGrantReference = 0;
export const xenstoreGrantReference = 1;

/** v1 grant-entry flag bits: the type field, then readonly, reading and writing. */
export const GrantEntryFlag = {
  typeMask: 0b11,
  permitAccess: 1,
  readonly: 1 << 2,
  reading: 1 << 3,
  writing: 1 << 4,
} as const;

/** Domain ids at or above this value are reserved by Xen (DOMID_FIRST_RESERVED). */
export const firstReservedDomainId = 0x7ff0;

/** Port 0 is never handed out by Xen; the first usable event-channel port is 1. */
export const firstEventChannelPort = 1;
