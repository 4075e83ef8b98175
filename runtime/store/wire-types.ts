// xs_wire facts shared by the store's core and its transports: message types, error names
// and limits, as Xen defines them (reference/xen-abi.md §8).

export const XsMessageType = {
  control: 0,
  directory: 1,
  read: 2,
  getPerms: 3,
  watch: 4,
  unwatch: 5,
  transactionStart: 6,
  transactionEnd: 7,
  introduce: 8,
  release: 9,
  getDomainPath: 10,
  write: 11,
  mkdir: 12,
  rm: 13,
  setPerms: 14,
  watchEvent: 15,
  error: 16,
  isDomainIntroduced: 17,
  resume: 18,
  setTarget: 19,
  resetWatches: 21,
  directoryPart: 22,
  getFeature: 23,
  setFeature: 24,
  getQuota: 25,
  setQuota: 26,
} as const;
export type XsMessageType = (typeof XsMessageType)[keyof typeof XsMessageType];

/** Errors travel by name; clients map names they do not know to EINVAL. */
export const xsErrorNames = [
  "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
  "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM",
] as const;
export type XsErrorName = (typeof xsErrorNames)[number];

export const xsHeaderBytes = 16;
export const xsPayloadMaxBytes = 4096;
export const xsAbsolutePathMaxChars = 3072;
export const xsRelativePathMaxChars = 2048;
