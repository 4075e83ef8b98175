// The shape every generator returns: a repository-relative path and its exact contents, so
// that scripts/generate.ts writes them and drift tests compare them without touching disk.

export interface GeneratedFile {
  /** Path relative to the repository root, with forward slashes. */
  readonly path: string;
  /** The whole file, LF line endings, ending in one newline. */
  readonly contents: string;
}

/** The command that regenerates every generated file; named in headers and drift messages. */
export const regenerateCommand = "npm run generate";
