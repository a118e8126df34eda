// The tests that exercise the data path (the webhook function and the database reads of the
// CLI), for mutation testing (stryker.config.mjs): the setup/teardown end-to-end suites cover the
// same code only in passing and take minutes, so they are left out here.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // MBED_TSDB_MUTATE_TESTS: the files npm run mutate's static recheck names (scripts/mutate.mjs).
    include: process.env.MBED_TSDB_MUTATE_TESTS?.split(',') ?? ['test/lambda/**/*.test.ts', 'test/db/**/*.test.ts', 'test/commands/chart.db.test.ts', 'test/stack/status-data.db.test.ts', 'test/dashboard/server.db.test.ts'],
    exclude: ['test/lambda/bundle.test.ts', '**/node_modules/**'],
  },
});
