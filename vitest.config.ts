import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests that kill worker threads run in forks: a stray thread can never outlive its file.
    pool: 'forks',
    teardownTimeout: 5_000,
  },
});
