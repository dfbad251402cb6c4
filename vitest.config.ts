import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests share two cores; files that start Chromium or ORT sessions are heavy.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
