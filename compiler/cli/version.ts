// The CLI's version, shared by the dispatcher (`--version`) and the SARIF renderer's tool entry.
export const cliVersion = "0.1.0";
