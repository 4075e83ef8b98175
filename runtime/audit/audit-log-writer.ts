// Appends audit records to a JSON-lines file, one synchronous write per record, so every
// decision is on disk (or, with "fsync", on stable storage) before the caller proceeds.
import { closeSync, fdatasyncSync, fstatSync, openSync, readFileSync, readSync, unlinkSync, writeSync } from "node:fs";
import { findLastSequenceNumber } from "./audit-log-scan.js";
import type { AuditEntry, AuditRecord } from "./audit-record.js";

/** Where the policy engine's callers send records; the file writer is the real one. */
export interface AuditSink {
  append(entry: AuditEntry): AuditRecord;
}

export interface AuditLogWriterOptions {
  /** Milliseconds; injected so tests and simulations use a virtual clock. */
  readonly now: () => number;
  /**
   * "flush": each record is handed to the kernel before `append` returns (survives a crash of
   * this process). "fsync": also forced to stable storage (survives power loss); slower.
   */
  readonly durability?: "flush" | "fsync";
}

/** How far back from the end to look first for the last complete record on reopen. */
const initialTailBytes = 64 * 1024;

interface ExistingLogState {
  readonly lastSeq: number;
  readonly tornFragmentBytes: number;
}

function readRange(fd: number, start: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const read = readSync(fd, buffer, filled, length - filled, start + filled);
    if (read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}

/** Finds the last valid seq and the size of a torn tail, reading only the end of the file. */
function inspectExistingLog(fd: number): ExistingLogState {
  const size = fstatSync(fd).size;
  if (size === 0) return { lastSeq: 0, tornFragmentBytes: 0 };
  let tailBytes = Math.min(size, initialTailBytes);
  for (;;) {
    const start = size - tailBytes;
    const tail = readRange(fd, start, tailBytes);
    const lastNewline = tail.lastIndexOf(0x0a);
    if (lastNewline < 0 && start > 0) {
      tailBytes = Math.min(size, tailBytes * 2);
      continue;
    }
    const tornFragmentBytes = tail.length - (lastNewline + 1);
    const lastSeq = findLastSequenceNumber(tail.subarray(0, lastNewline + 1).toString("utf8"), start === 0);
    if (lastSeq !== undefined || start === 0) return { lastSeq: lastSeq ?? 0, tornFragmentBytes };
    tailBytes = Math.min(size, tailBytes * 2);
  }
}

/** Refused open: another live process holds the log (two writers would break the sequence). */
export class AuditLogLockedError extends Error {
  constructor(path: string, holder: number) {
    super(`audit log ${path} is already open for writing by process ${holder}`);
    this.name = "AuditLogLockedError";
  }
}

/** Removes the lock file; one already gone (removed by hand) is not an error. */
function releaseWriterLock(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch (error) {
    if ((error as { readonly code?: unknown }).code !== "ENOENT") throw error;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    // Signal 0 only asks whether the process exists; nothing is sent.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { readonly code?: unknown }).code === "EPERM";
  }
}

/**
 * Takes `<log>.lock`, holding this process's pid. A lock left by a process that no longer
 * exists (a crash) is taken over; a live holder's lock is refused.
 */
function acquireWriterLock(path: string): string {
  const lockPath = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lockPath;
    } catch (error) {
      if ((error as { readonly code?: unknown }).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder)) throw new AuditLogLockedError(path, holder);
      unlinkSync(lockPath);
    }
  }
  throw new AuditLogLockedError(path, -1);
}

export class AuditLogWriter implements AuditSink {
  readonly path: string;
  private readonly fd: number;
  private readonly now: () => number;
  private readonly fsync: boolean;
  private readonly lockPath: string;
  private nextSeq: number;
  private closed = false;

  private constructor(path: string, fd: number, lockPath: string, options: AuditLogWriterOptions, lastSeq: number) {
    this.path = path;
    this.fd = fd;
    this.lockPath = lockPath;
    this.now = options.now;
    this.fsync = options.durability === "fsync";
    this.nextSeq = lastSeq + 1;
  }

  /**
   * Opens (creating if needed) the log for appending. Existing records are kept; a torn last
   * line is terminated, not rewritten, and declared by the log-opened record that follows.
   * One writer at a time: a second open while the first is live throws AuditLogLockedError.
   */
  static open(path: string, options: AuditLogWriterOptions): AuditLogWriter {
    const lockPath = acquireWriterLock(path);
    let fd: number;
    try {
      fd = openSync(path, "a+");
    } catch (error) {
      releaseWriterLock(lockPath);
      throw error;
    }
    try {
      const existing = inspectExistingLog(fd);
      const writer = new AuditLogWriter(path, fd, lockPath, options, existing.lastSeq);
      if (existing.tornFragmentBytes > 0) writeSync(fd, "\n");
      writer.writeRecord({ seq: writer.nextSeq++, time: writer.now(), kind: "log-opened", tornFragmentBytes: existing.tornFragmentBytes });
      return writer;
    } catch (error) {
      closeSync(fd);
      releaseWriterLock(lockPath);
      throw error;
    }
  }

  /** The seq the next record will get. */
  get upcomingSeq(): number {
    return this.nextSeq;
  }

  append(entry: AuditEntry): AuditRecord {
    if (this.closed) throw new Error(`audit log ${this.path} is closed`);
    const record = { seq: this.nextSeq, time: this.now(), ...entry } as AuditRecord;
    this.writeRecord(record);
    this.nextSeq++;
    return record;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    releaseWriterLock(this.lockPath);
  }

  private writeRecord(record: AuditRecord): void {
    // One write call per line, newline included, so a crash leaves at most one torn line.
    const line = `${JSON.stringify(record)}\n`;
    const bytes = Buffer.from(line, "utf8");
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    if (this.fsync) fdatasyncSync(this.fd);
  }
}
