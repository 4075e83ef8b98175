// Diagnostic codes PD9xxx: command line, file system and input encoding. The first four end a
// run with exit code 2 and a one-line message; an import that cannot be loaded is an ordinary
// diagnostic pointing at the import.
import { defineDiagnostics } from "../definition.js";

export const cliDiagnostics = defineDiagnostics({
  PD9001: { slug: "file-not-found", severity: "error", summary: "A file or directory named on the command line does not exist." },
  PD9002: { slug: "file-unreadable", severity: "error", summary: "A file or directory exists but cannot be read (permissions, a device, a read error)." },
  PD9003: { slug: "file-not-utf8", severity: "error", summary: "A specification file is not valid UTF-8." },
  PD9004: { slug: "no-specs-in-directory", severity: "error", summary: "A directory named on the command line holds no .proto-desc files." },
  PD9005: { slug: "import-not-found", severity: "error", summary: "An imported file cannot be loaded (missing, unreadable or not UTF-8)." },
});
