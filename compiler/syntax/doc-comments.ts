// Attaches `///` doc comments to the declaration that directly follows them, and finds the
// ones that document nothing so they can be reported instead of silently dropped.
import type { Span } from "../diagnostics/diagnostic.js";
import type { DocComment } from "./ast.js";

interface DocRun {
  readonly comment: DocComment;
  used: boolean;
}

export interface RawComment {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly isDoc: boolean;
}

export class DocCommentIndex {
  /** Keyed by the offset of the first non-whitespace character after the run. */
  private readonly runsByFollowingOffset = new Map<number, DocRun>();
  private readonly runs: DocRun[] = [];

  constructor(file: string, text: string, comments: readonly RawComment[]) {
    let current: RawComment[] = [];
    const flush = (): void => {
      const first = current[0];
      const last = current[current.length - 1];
      if (first === undefined || last === undefined) return;
      const span: Span = { file, start: first.start, end: last.end };
      const body = current.map((comment) => comment.text.replace(/^\/\/\/ ?/, "")).join("\n");
      const run: DocRun = { comment: { kind: "DocComment", span, text: body }, used: false };
      this.runs.push(run);
      this.runsByFollowingOffset.set(skipWhitespace(text, last.end), run);
      current = [];
    };
    for (const comment of comments) {
      const previous = current[current.length - 1];
      if (!comment.isDoc) {
        flush();
        continue;
      }
      // Consecutive doc lines form one run; a blank line or code between them starts a new run.
      if (previous !== undefined && !/^[ \t]*\r?\n[ \t]*$/.test(text.slice(previous.end, comment.start))) flush();
      current.push(comment);
    }
    flush();
  }

  /** The doc comment directly before a declaration starting at `offset`, if any. */
  take(offset: number): DocComment | undefined {
    const run = this.runsByFollowingOffset.get(offset);
    if (run === undefined) return undefined;
    run.used = true;
    return run.comment;
  }

  /** Doc comments that no declaration took. */
  unattached(): readonly DocComment[] {
    return this.runs.filter((run) => !run.used).map((run) => run.comment);
  }
}

function skipWhitespace(text: string, offset: number): number {
  let position = offset;
  while (position < text.length && /[ \t\r\n]/.test(text[position] ?? "")) position++;
  return position;
}
