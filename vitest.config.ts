import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests that kill worker threads run in forks: a stray thread can never outlive its file.
    pool: 'forks',
    // Deletes the Redis keys that test processes killed before their cleanup left behind.
    globalSetup: ['test/global-setup.ts'],
    teardownTimeout: 5_000,
    // Under CI, also write a JSON report: .ci/run prints its totals as a plain closing line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-report.json' },
  },
});
