// The contract of one benchmark suite: bench/<name>.bench.ts exports `suite`.
// Suites print their own lines; every figure is a ratio against a baseline measured in the same run.

export interface BenchSuite {
  readonly name: string;
  run(): Promise<void>;
}
