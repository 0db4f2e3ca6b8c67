import { defineConfig } from 'vitest/config';

/**
 * Unit tests are cheap and run in parallel. Integration tests drive real FFmpeg in real time and
 * compete for two cores, so they run one file at a time (see FIELD-NOTES: a 720p ladder alone
 * takes ~0.4 cores).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', setupFiles: ['test/support/count-assertions.ts'] },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/support/count-assertions.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
