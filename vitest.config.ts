import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files run in parallel, each on its own database of the shared server.
    pool: 'forks',
    // Tests never look for credentials on the network (the instance metadata service).
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
  },
});
