// The journal's files in one directory: `journal` (checksummed records appended synchronously)
// and `snapshot` (the whole tree, replaced atomically by write-then-rename). Opening recovers
// the snapshot and the valid records after it, and cuts off a torn or corrupted tail.

import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { StoreMutation } from "../mutations.js";
import { JournalFormatError, decodeRecord, decodeSnapshot, encodeRecord, encodeSnapshot, readFrame } from "./journal-format.js";
import type { JournalRecord, JournalSnapshot } from "./journal-format.js";

export const journalFileName = "journal";
export const snapshotFileName = "snapshot";
const snapshotTemporaryFileName = "snapshot.tmp";

/** A journal that cannot be opened or written: the message names the file and the cause. */
export class StoreJournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreJournalError";
  }
}

export interface JournalFileOptions {
  /** fsync after every append: survives power loss, not only a killed process. */
  readonly flushToDisk: boolean;
}

/** What opening found: the state to rebuild, in order. */
export interface JournalRecovery {
  readonly snapshot: JournalSnapshot | undefined;
  readonly records: readonly JournalRecord[];
  /** Bytes of an incomplete or corrupted tail that were cut off (0 after a clean shutdown). */
  readonly discardedTailBytes: number;
}

export class JournalFile {
  private recordsSinceSnapshot = 0;

  private constructor(
    private readonly directory: string,
    private journalDescriptor: number | undefined,
    private lastSequence: number,
    private readonly options: JournalFileOptions,
  ) {}

  /** Opens (creating if needed) the journal in `directory` and reads back what it holds. */
  static open(directory: string, options: JournalFileOptions): { readonly journal: JournalFile; readonly recovery: JournalRecovery } {
    try {
      mkdirSync(directory, { recursive: true });
      rmSync(join(directory, snapshotTemporaryFileName), { force: true });
      const snapshot = readSnapshot(directory);
      const journalPath = join(directory, journalFileName);
      const journalBytes = readOptionalFile(journalPath);
      const records: JournalRecord[] = [];
      let expectedSequence = (snapshot?.sequence ?? 0) + 1;
      let offset = 0;
      while (true) {
        const frame = readFrame(journalBytes, offset);
        if (frame.kind !== "frame") break;
        const record = decodeRecordOrUndefined(frame.payload);
        if (record === undefined) break;
        // Records up to the snapshot's sequence survive a crash between snapshot and truncation.
        if (record.sequence >= expectedSequence) {
          if (record.sequence !== expectedSequence) break;
          records.push(record);
          expectedSequence++;
        }
        offset = frame.nextOffset;
      }
      const discardedTailBytes = journalBytes.length - offset;
      const descriptor = openSync(journalPath, "a");
      if (discardedTailBytes > 0) {
        ftruncateSync(descriptor, offset);
        fsyncSync(descriptor);
      }
      const journal = new JournalFile(directory, descriptor, expectedSequence - 1, options);
      journal.recordsSinceSnapshot = records.length;
      return { journal, recovery: { snapshot, records, discardedTailBytes } };
    } catch (error) {
      if (error instanceof StoreJournalError) throw error;
      throw new StoreJournalError(`cannot open the store journal in ${directory}: ${describeError(error)}`);
    }
  }

  /** Records appended since the last snapshot; the store snapshots when this grows too large. */
  get pendingRecordCount(): number {
    return this.recordsSinceSnapshot;
  }

  /** Appends one record and returns once the bytes are in the file (and on disk if configured). */
  append(mutations: readonly StoreMutation[]): void {
    const descriptor = this.requireOpen();
    const sequence = this.lastSequence + 1;
    const frame = encodeRecord({ sequence, mutations });
    try {
      let written = 0;
      while (written < frame.length) written += writeSync(descriptor, frame, written, frame.length - written);
      if (this.options.flushToDisk) fsyncSync(descriptor);
    } catch (error) {
      throw new StoreJournalError(`cannot append to the store journal in ${this.directory}: ${describeError(error)}`);
    }
    this.lastSequence = sequence;
    this.recordsSinceSnapshot++;
  }

  /**
   * Replaces the snapshot with the state built by `capture` (which must include every record
   * appended so far) and empties the journal. The rename makes the switch atomic.
   */
  writeSnapshot(capture: (sequence: number) => JournalSnapshot): void {
    const descriptor = this.requireOpen();
    const bytes = encodeSnapshot(capture(this.lastSequence));
    const temporaryPath = join(this.directory, snapshotTemporaryFileName);
    try {
      const snapshotDescriptor = openSync(temporaryPath, "w");
      try {
        let written = 0;
        while (written < bytes.length) written += writeSync(snapshotDescriptor, bytes, written, bytes.length - written);
        fsyncSync(snapshotDescriptor);
      } finally {
        closeSync(snapshotDescriptor);
      }
      renameSync(temporaryPath, join(this.directory, snapshotFileName));
      flushDirectory(this.directory);
      ftruncateSync(descriptor, 0);
      fsyncSync(descriptor);
    } catch (error) {
      throw new StoreJournalError(`cannot write a store snapshot in ${this.directory}: ${describeError(error)}`);
    }
    this.recordsSinceSnapshot = 0;
  }

  close(): void {
    if (this.journalDescriptor === undefined) return;
    fsyncSync(this.journalDescriptor);
    closeSync(this.journalDescriptor);
    this.journalDescriptor = undefined;
  }

  private requireOpen(): number {
    if (this.journalDescriptor === undefined) throw new StoreJournalError(`the store journal in ${this.directory} is closed`);
    return this.journalDescriptor;
  }
}

function readOptionalFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    if (isMissingFileError(error)) return Buffer.alloc(0);
    throw error;
  }
}

function readSnapshot(directory: string): JournalSnapshot | undefined {
  const path = join(directory, snapshotFileName);
  const bytes = readOptionalFile(path);
  if (bytes.length === 0) return undefined;
  const frame = readFrame(bytes, 0);
  // A snapshot is only ever replaced by rename, so a damaged one means the disk lost data:
  // refuse to start rather than silently serve an older state.
  if (frame.kind !== "frame" || frame.nextOffset !== bytes.length) {
    throw new StoreJournalError(`the store snapshot ${path} is damaged (checksum mismatch); restore it from a backup or remove the directory`);
  }
  try {
    return decodeSnapshot(frame.payload);
  } catch (error) {
    throw new StoreJournalError(`the store snapshot ${path} is malformed: ${describeError(error)}`);
  }
}

function decodeRecordOrUndefined(payload: Buffer): JournalRecord | undefined {
  try {
    return decodeRecord(payload);
  } catch (error) {
    if (error instanceof JournalFormatError || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function flushDirectory(directory: string): void {
  const descriptor = openSync(directory, "r");
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

function isMissingFileError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
