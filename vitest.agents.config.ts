import { defineConfig } from 'vitest/config';

/** `npm run test:agents`: the real agent CLIs against the fake model API (see docs/agents.md). */
export default defineConfig({
  test: {
    include: ['test/agents-real/**/*.real.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
