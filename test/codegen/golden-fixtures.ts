// The golden fixtures' shared emission settings, so the golden test and the update command
// produce exactly the same text.
import { computeSpecHash } from "../../compiler/codegen/header.js";
import { emitGeneratedFiles, type GeneratedFile } from "../../compiler/codegen/emit.js";
import type { IrProtocol } from "../../compiler/ir/protocol.js";

export const goldenFixtureNames = ["01-scalars", "02-block-like", "03-stubs", "04-stubs-native-abi"] as const;

export async function emitGoldenFixture(fixtureName: string, protocol: IrProtocol): Promise<GeneratedFile> {
  const specPath = `test/codegen/golden/${fixtureName}/input.ts`;
  const result = await emitGeneratedFiles(
    { protocols: [protocol], specFiles: [specPath], specHash: computeSpecHash([{ path: specPath, text: JSON.stringify(protocol) }]) },
    { runtimeImportSpecifier: "../../../../runtime/gen/v1.js", regenerateCommand: "UPDATE_GOLDEN=1 npx vitest run test/codegen/golden.test.ts" },
  );
  const file = result.value[0];
  if (file === undefined || result.diagnostics.length > 0) {
    throw new Error(`fixture ${fixtureName} did not emit: ${result.diagnostics.map((diagnostic) => diagnostic.message).join("; ")}`);
  }
  return file;
}
