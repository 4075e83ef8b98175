// Golden fixture 04: the stubs of fixture 03 for a protocol with no ABI key (both ends speak
// the native ABI), no page-order limit key and a frontend that publishes nothing of its own.
import type { IrProtocol } from "../../../../compiler/ir/protocol.js";
import { protocol as withAbiKey } from "../03-stubs/input.js";

const stubs = withAbiKey.stubs;
if (stubs === undefined) throw new Error("fixture 03 lost its stubs");

export const protocol: IrProtocol = {
  ...withAbiKey,
  name: "native_echo",
  abis: withAbiKey.abis.map((abi) => ({ ...abi, protocolKeyValue: undefined })),
  stubs: { ...stubs, abiSelectorKey: undefined, ringPageOrderLimitKey: undefined, requesterPublications: [{ state: "Initialised", keys: [] }] },
};
