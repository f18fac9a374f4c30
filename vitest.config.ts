import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // Temporal's worker is a native addon: keep the default `forks` pool (stable with native code).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
