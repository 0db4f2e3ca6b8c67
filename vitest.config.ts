import os from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * How many integration files run at once. They drive real FFmpeg in real time and are bound by
 * the cores: on two cores, two files side by side keep the machine about 1.6 cores busy, and a
 * third pushed it to saturation, where the live path falls behind far enough to bend the timing
 * the privacy tests measure (docs/benchmarks.md, "The test suite"). COURTCAST_TEST_LANES
 * overrides it (1 runs the files one at a time, as the suite once did).
 */
const lanes = Number(process.env.COURTCAST_TEST_LANES) || os.availableParallelism();

/**
 * Files that run alone, after the others: what they prove needs the machine to themselves. The
 * retroactive masks re-render the whole ladder at about real time, and the live slots' segments
 * must be proven before their release (issue 26): beside another live hearing, segments of both
 * turned into cards (safe, but these tests demand the masked picture and the sound after the
 * lift). The player test times a real browser's playback.
 */
const ALONE = ['test/integration/masks.test.ts', 'test/integration/live-masks.test.ts', 'test/e2e/player-embed.test.ts'];

const integration = {
  environment: 'node' as const,
  setupFiles: ['test/support/count-assertions.ts'],
  testTimeout: 120_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        // Units first, on every core; then the integration lanes; then the files that run alone
        // (vitest runs projects with different worker limits in separate groups, in this order).
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', setupFiles: ['test/support/count-assertions.ts'], sequence: { groupOrder: 0 } },
      },
      {
        test: {
          ...integration,
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: ALONE,
          maxWorkers: lanes,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: { ...integration, name: 'integration-alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
