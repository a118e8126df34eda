// Mutation testing of the data path: the webhook function (templates/lambda) and the CLI's
// database reads (src/db). `npm run mutate` writes reports/mutation/mutation.json; `npm run bench`
// prints its score (killed ÷ (killed + survived)) as mutation_score_data_path, with the commit it
// measured. Survivors judged equivalent are listed, with the reason, in stryker.equivalent.json.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: ['templates/lambda/**/*.ts', 'src/db/**/*.ts'],
  checkers: [],
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['json', 'clear-text', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: 'node_modules/.cache/stryker-tmp',
  cleanTempDir: true,
  ignoreStatic: true,
  // Unchanged code and tests keep their last results: a re-run tests what changed.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  thresholds: { high: 90, low: 80, break: null },
};
