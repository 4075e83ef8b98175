// The check pipeline: parses roots and their imports once each, reports unloadable imports at
// the import, and resolves import paths against the importing file.
import { describe, expect, it } from "vitest";
import { checkSources, resolveImportPath } from "../../compiler/pipeline/check.js";

describe("check pipeline", () => {
  it("resolves imports relative to the importing file", () => {
    expect(resolveImportPath("protocols/host.proto-desc", "blkif.proto-desc")).toBe("protocols/blkif.proto-desc");
    expect(resolveImportPath("a/b/c.proto-desc", "../d.proto-desc")).toBe("a/d.proto-desc");
    expect(resolveImportPath("c.proto-desc", "./d.proto-desc")).toBe("d.proto-desc");
  });

  it("loads each imported file once, also when roots and imports overlap or import each other", () => {
    const files: Record<string, string> = {
      "specs/b.proto-desc": 'import "a.proto-desc"; protocol b version 1 { roles x, y; }',
    };
    const loaded: string[] = [];
    const result = checkSources(
      [
        { path: "specs/a.proto-desc", text: 'import "b.proto-desc"; protocol a version 1 { roles x, y; }' },
        { path: "specs/c.proto-desc", text: 'import "b.proto-desc"; protocol c version 1 { roles x, y; }' },
      ],
      (path) => {
        loaded.push(path);
        const text = files[path];
        return text === undefined ? { ok: false, reason: "no such file or directory" } : { ok: true, text };
      },
    );
    // Loading does not loop on the a <-> b cycle; semantic analysis then reports it once.
    expect(result.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(["PD2003"]);
    expect(loaded).toEqual(["specs/b.proto-desc"]);
    expect(result.value.files.map((file) => file.file)).toEqual(["specs/a.proto-desc", "specs/c.proto-desc", "specs/b.proto-desc"]);
    expect(result.value.syntaxClean).toBe(true);
  });

  it("reports an import it cannot load at the import's path string", () => {
    const text = 'import "gone.proto-desc";\nresource r { provider backend; }';
    const result = checkSources([{ path: "x.proto-desc", text }], () => ({ ok: false, reason: "no such file or directory" }));
    expect(result.diagnostics.map((diagnostic) => [diagnostic.code, text.slice(diagnostic.span.start, diagnostic.span.end)])).toEqual([["PD9005", '"gone.proto-desc"']]);
    expect(result.value.syntaxClean).toBe(false);
  });
});
